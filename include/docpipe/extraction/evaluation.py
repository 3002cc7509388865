"""Measure field extraction on labelled folders (img/ + key/, optional box/; see `labelled`).

Two ways, one report shape:

- `evaluate_engine`: the engine as it ships (classification, rules, the field model in use) on every
  document: for data no model was trained on;
- `evaluate_cv`: K-fold cross-validation grouped by issuer: each fold is scored by a field model trained
  and calibrated on the other folds only: for the data the shipped model was trained on.

Each field is scored under two rules (`labelled.correct`): strict (equal after folding case, accents,
spaces and punctuation; amounts as numbers; dates as calendar dates), the one a user feels, and the
published SROIE references' rule (containment; totals within 1%). Fields report under SROIE's names
(company, date, address, total) where they have one, else under the engine's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docpipe.models import ExtractionResult

from . import labelled, training
from .labelled import DatasetError, LabelledDocument, fold  # noqa: F401  (re-exported for callers)

FIELDS = {report: engine for report, engine in labelled.SROIE_FIELDS.items()}  # report name -> engine field
HIGH_CONFIDENCE = 0.8


def report_name(engine_field: str) -> str:
    return next((r for r, e in FIELDS.items() if e == engine_field), engine_field)


def engine_field(name: str) -> str:
    return FIELDS.get(name, name)


def field_correct(name: str, expected: str, got: str | None, rule: str = "strict") -> bool:
    """Whether an extracted value matches the key's printed value (`name`: a report or engine field name)."""
    return labelled.correct(engine_field(name), expected, got, rule)


def load_dataset(folder: str | Path) -> list[LabelledDocument]:
    return labelled.load_folder(folder)


def extracted(result: ExtractionResult) -> dict[str, tuple[str, float]]:
    """{engine field: (value, confidence)} from a result's entities (first of each type)."""
    by_type: dict[str, tuple[str, float]] = {}
    for e in result.entities:
        nv = e.normalized_value or {}
        by_type.setdefault(e.type, (str(nv.get("text", e.mention_text)), e.confidence))
    return by_type


@dataclass
class DocumentScore:
    name: str
    seconds: float  # wall time of the extraction
    fields: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # report name -> expected, got, confidence, correct, reference
    error: str | None = None
    cpu_seconds: float = 0.0  # CPU time of reading the pages (0 when they came from the cache)
    select_seconds: float = 0.0  # classification and field selection on the read pages
    fold: int | None = None  # the cross-validation fold that scored it
    group: str = ""
    dataset: str = ""  # the folder it came from
    # cross-validation: whether the model's own choice was right per field, had the document been read
    # as a receipt (its classification aside): selection alone
    selection: dict[str, bool] = field(default_factory=dict)


def score_document(name: str, truth: dict[str, str], result: ExtractionResult | None, seconds: float,
                   error: str | None = None, *, cpu_seconds: float | None = None) -> DocumentScore:  # fmt: skip
    """Score a result against `truth` ({report or engine field name: printed value}; empty values are not scored)."""
    got = extracted(result) if result is not None else {}
    out = DocumentScore(name, seconds, error=error, cpu_seconds=seconds if cpu_seconds is None else cpu_seconds)
    for f, expected in truth.items():
        if not expected.strip():
            continue
        value, conf = got.get(engine_field(f), (None, None))
        out.fields[report_name(engine_field(f))] = _scored(f, expected, value, conf)
    return out


def _scored(f: str, expected: str, value: str | None, conf: float | None) -> dict[str, Any]:
    return {"expected": expected, "got": value, "confidence": conf, "correct": field_correct(f, expected, value),
            "reference": field_correct(f, expected, value, "reference")}  # fmt: skip


# ---------------------------------------------------------------------------------------------- the two ways


def evaluate_engine(
    docs: list[LabelledDocument], *, transcripts: bool = False, workers: int = 1, backend: Any = None,
    cache_dir: Path | None = None, progress: Callable[[int], None] | None = None,
) -> Iterator[DocumentScore]:  # fmt: skip
    """Every document through the engine (default: the local one with its shipped field model)."""
    from .local import LocalExtractionBackend

    engine = backend or LocalExtractionBackend()
    for read in labelled.read_documents(docs, transcripts=transcripts, workers=workers, cache_dir=cache_dir,
                                        progress=progress):  # fmt: skip
        truth = read.doc.truth
        if read.error:
            yield score_document(read.doc.name, truth, None, 0.0, read.error, cpu_seconds=read.cpu_seconds or 0.0)
            continue
        t0 = time.perf_counter()
        result = engine.result_from_pages(read.pages, read.mime)
        took = time.perf_counter() - t0
        s = score_document(read.doc.name, truth, result, took, cpu_seconds=read.cpu_seconds or 0.0)
        s.select_seconds, s.group, s.dataset = took, read.doc.group, read.doc.dataset
        yield s


def evaluate_cv(
    docs: list[LabelledDocument], k: int, *, transcripts: bool = False, workers: int = 1,
    cache_dir: Path | None = None, progress: Callable[[int], None] | None = None,
    fold_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[DocumentScore], training.CandidateTable]:  # fmt: skip
    """Grouped K-fold cross-validation: one score per document, from the fold that held it out."""
    reads = list(labelled.read_documents(docs, transcripts=transcripts, workers=workers, cache_dir=cache_dir,
                                         progress=progress))  # fmt: skip
    table = training.candidate_table(reads)
    return cross_validate(table, reads, k, fold_progress), table


def cross_validate(
    table: training.CandidateTable, reads: list[labelled.ReadPages], k: int,
    progress: Callable[[int, int], None] | None = None, document_types: tuple[str, ...] = ("receipt",),
) -> list[DocumentScore]:  # fmt: skip
    """Each fold's documents through the whole engine (classification, rules, fields) with a field model
    trained and calibrated on the other folds only; folds are grouped by issuer. A receipt the engine
    classifies as another type gets that type's fields, as it would in production."""
    from .local import LocalExtractionBackend

    usable = [i for i, d in enumerate(table.documents) if not d.error]
    folds = [[usable[j] for j in f] for f in training._grouped_folds([table.documents[i].doc.group for i in usable], k)]
    scores: dict[int, DocumentScore] = {}
    for n, held in enumerate(folds):
        trained = training.train(table, sorted(set(usable) - set(held)))
        engine = LocalExtractionBackend(field_model=training.as_model(trained, document_types))
        chosen = {
            (p.document, p.field): p.correct for f, tf in trained.items() for p in training._choose(table, tf, f, held)
        }
        for i in held:
            read = reads[i]
            t0 = time.perf_counter()
            result = engine.result_from_pages(read.pages, read.mime)
            s = score_document(read.doc.name, read.doc.truth, result, time.perf_counter() - t0, cpu_seconds=0.0)
            s.fold, s.group, s.dataset = n, read.doc.group, read.doc.dataset
            s.selection = {report_name(f): ok for (j, f), ok in chosen.items() if j == i}
            scores[i] = s
        if progress:
            progress(n + 1, len(folds))
    for i, read in enumerate(reads):  # unreadable documents: every field missed
        if i not in scores:
            s = score_document(read.doc.name, read.doc.truth, None, 0.0, read.error, cpu_seconds=0.0)
            s.group, s.dataset = read.doc.group, read.doc.dataset
            scores[i] = s
    return [scores[i] for i in range(len(reads))]


# ---------------------------------------------------------------------------------------------- the report


def _field_names(scores: list[DocumentScore]) -> list[str]:
    seen = {f for s in scores for f in s.fields}
    ordered = list(FIELDS) if seen & set(FIELDS) else []  # SROIE's four are reported together
    return ordered + sorted(seen - set(ordered))


def confident(scores: list[DocumentScore]) -> tuple[list[float], list[bool]]:
    """(confidence, strict correctness) of every field that was extracted."""
    pairs = [(v["confidence"], v["correct"]) for s in scores for v in s.fields.values() if v["confidence"] is not None]
    return [c for c, _ in pairs], [ok for _, ok in pairs]


def summarise(
    scores: list[DocumentScore],
    target_precision: float = training.DEFAULT_TARGET_PRECISION,
    threshold_on: list[str] | None = None,
) -> dict[str, Any]:
    """The report in the shape of `docpipe eval extraction --json`."""
    names = _field_names(scores) or list(FIELDS)
    acc: dict[str, float | None] = {}
    ref: dict[str, float | None] = {}
    for f in names:
        got = [s.fields[f] for s in scores if f in s.fields]
        acc[f] = round(sum(v["correct"] for v in got) / len(got), 4) if got else None
        ref[f] = round(sum(v["reference"] for v in got) / len(got), 4) if got else None
    confs, oks = confident(scores)
    high = [ok for c, ok in zip(confs, oks, strict=True) if c >= HIGH_CONFIDENCE]
    bins, ece = training.reliability(confs, oks)
    threshold = auto_accept(scores, target_precision, threshold_on)
    n = len(scores)
    report: dict[str, Any] = {
        "documents": n,
        "accuracy": acc,
        "accuracy_reference_rule": ref,
        "high_confidence_precision": round(sum(high) / len(high), 4) if high else None,
        "expected_calibration_error": round(ece, 4),
        "reliability": _bins(bins),
        "auto_accept": threshold,
        # CPU seconds of a one-thread page read: the cost on one core (None when every page came from the cache)
        "seconds_per_document": round(sum(s.cpu_seconds for s in scores) / n, 3)
        if n and any(s.cpu_seconds for s in scores)
        else None,
        "selection_ms_per_document": round(1000 * sum(s.select_seconds for s in scores) / n, 2)
        if n and any(s.select_seconds for s in scores)
        else None,
    }
    datasets = sorted({s.dataset for s in scores if s.dataset})
    if len(datasets) > 1:
        report["by_dataset"] = {
            ds: {"documents": len(part := [s for s in scores if s.dataset == ds]), "accuracy": _accuracy(part, names),
                 "accuracy_reference_rule": _accuracy(part, names, "reference"),
                 "expected_calibration_error": round(training.reliability(*confident(part))[1], 4),
                 "reliability": _bins(training.reliability(*confident(part))[0])}
            for ds in datasets
        }  # fmt: skip
    if any(s.selection for s in scores):
        report["selection_accuracy"] = {
            ds or "all": {f: round(sum(v) / len(v), 4) if (v := [s.selection[f] for s in scores
                          if s.dataset == ds and f in s.selection]) else None for f in names}
            for ds in (datasets or [""])
        }  # fmt: skip
    folds = sorted({s.fold for s in scores if s.fold is not None})
    if folds:
        report["folds"] = [
            {"fold": k, "documents": len(fs := [s for s in scores if s.fold == k]),
             "groups": len({s.group for s in fs}), "accuracy": _accuracy(fs, names)}
            for k in folds
        ]  # fmt: skip
    return report


def _bins(bins: list[training.ReliabilityBin]) -> list[dict[str, Any]]:
    return [
        {"bin": f"{b.low:.1f}-{b.high:.1f}", "count": b.count,
         "mean_confidence": None if b.mean_confidence is None else round(b.mean_confidence, 4),
         "accuracy": None if b.accuracy is None else round(b.accuracy, 4)}
        for b in bins
    ]  # fmt: skip


def auto_accept(scores: list[DocumentScore], target: float, on: list[str] | None = None) -> dict[str, Any]:
    """The auto-accept threshold: the lowest confidence whose fields keep `target` precision on the documents of
    the datasets named `on` (default: all; name the real documents when the others are easy, such as generated
    ones), with the precision and coverage it gives there, overall and per dataset."""
    datasets = sorted({s.dataset for s in scores})
    judged = [s for s in scores if not on or s.dataset in on]
    chosen = training.choose_threshold(*confident(judged), target)
    out: dict[str, Any] = {"target_precision": target, "threshold": chosen.threshold,
                           "chosen_on": sorted({s.dataset for s in judged}) if len(datasets) > 1 else None,
                           "precision": None if chosen.precision is None else round(chosen.precision, 4),
                           "coverage": round(chosen.coverage, 4)}  # fmt: skip
    if chosen.threshold is not None and len(datasets) > 1:
        out["by_dataset"] = {}
        for ds in datasets:
            c, ok = confident([s for s in scores if s.dataset == ds])
            kept = [o for x, o in zip(c, ok, strict=True) if x >= chosen.threshold]
            out["by_dataset"][ds] = {"precision": round(sum(kept) / len(kept), 4) if kept else None,
                                     "coverage": round(len(kept) / len(c), 4) if c else 0.0}  # fmt: skip
    return out


def _accuracy(scores: list[DocumentScore], names: list[str], rule: str = "strict") -> dict[str, float | None]:
    key = "correct" if rule == "strict" else "reference"
    out: dict[str, float | None] = {}
    for f in names:
        got = [s.fields[f][key] for s in scores if f in s.fields]
        out[f] = round(sum(got) / len(got), 4) if got else None
    return out


def prediction_line(s: DocumentScore) -> dict[str, Any]:
    """One line of `--predictions FILE.jsonl`: the document's values and confidences under report names."""
    line: dict[str, Any] = {"id": s.name}
    for f, v in s.fields.items():
        line[f] = v["got"]
        line[f"{f}_confidence"] = None if v["confidence"] is None else round(v["confidence"], 4)
    if s.fold is not None:
        line["fold"] = s.fold
    if s.error:
        line["error"] = s.error
    return line


def wall_seconds_per_document(scores: list[DocumentScore]) -> float | None:
    return round(sum(s.seconds for s in scores) / len(scores), 3) if scores else None


def high_confidence_count(scores: list[DocumentScore]) -> tuple[int, int]:
    """(fields given confidence >= 0.8, fields scored)."""
    fields = [v for s in scores for v in s.fields.values()]
    return sum(1 for v in fields if v["confidence"] is not None and v["confidence"] >= HIGH_CONFIDENCE), len(fields)
