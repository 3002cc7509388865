"""Measure the extraction engine on a labelled folder of receipts (the SROIE task-3 layout).

Reads: DIR/img/<name>.(jpg|png|tif|pdf) and DIR/key/<name>.json with the printed `company`, `date`,
`address` and `total`. Returns per-field accuracy, the share of fields given confidence >= 0.8 that
are correct, and seconds per document (CPU seconds of the one-thread extraction, i.e. per core). Scoring follows the dataset's convention: company and address
compared with case, whitespace, punctuation and accents folded; totals as numbers; dates as calendar
dates (day first, as printed on these receipts). A key field left empty is not scored.
"""

from __future__ import annotations

import json
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from docpipe.models import DocumentError, ExtractionResult

FIELDS = {"company": "supplier_name", "date": "receipt_date", "address": "supplier_address", "total": "total_amount"}
HIGH_CONFIDENCE = 0.8
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf")


class DatasetError(ValueError):
    """The folder is not in the expected layout; the message says what is missing."""


def fold(text: str) -> str:
    """Lower case, without accents, whitespace or punctuation."""
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[\W_]+", "", "".join(ch for ch in text if not unicodedata.combining(ch))).lower()


def _number(text: str) -> Decimal | None:
    from .normalize import parse_number

    m = re.search(r"-?\d[\d,.' ]*", text or "")
    return parse_number(m.group(0)) if m else None


def _date(text: str) -> str | None:
    from .normalize import find_dates

    found = find_dates(text or "")
    return found[0].value.isoformat() if found else None


def field_correct(name: str, expected: str, got: str | None) -> bool:
    """Whether an extracted value matches the key's printed value under the dataset's scoring."""
    if got is None:
        return False
    if name in ("company", "address"):
        return fold(expected) == fold(got)
    if name == "total":
        a, b = _number(expected), _number(got)
        try:
            return a is not None and b is not None and a == b
        except InvalidOperation:
            return False
    if name == "date":
        return _date(expected) is not None and _date(expected) == (
            got if re.fullmatch(r"\d{4}-\d\d-\d\d", got) else _date(got)
        )
    return expected == got


def load_dataset(folder: str | Path) -> list[tuple[Path, dict[str, str]]]:
    root = Path(folder)
    img, key = root / "img", root / "key"
    if not img.is_dir() or not key.is_dir():
        raise DatasetError(f"{root} must hold img/ (the documents) and key/ (one JSON of truth per document)")
    out = []
    for path in sorted(img.iterdir()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        truth_path = key / f"{path.stem}.json"
        if not truth_path.exists():
            continue
        try:
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise DatasetError(f"{truth_path} is not JSON ({e})") from None
        out.append((path, {k: str(truth.get(k) or "") for k in FIELDS}))
    if not out:
        raise DatasetError(f"{root}/img holds no document with a key in {root}/key")
    return out


def extracted(result: ExtractionResult) -> dict[str, tuple[str, float]]:
    """{dataset field: (value, confidence)} from a result's entities (first of each type)."""
    by_type: dict[str, tuple[str, float]] = {}
    for e in result.entities:
        nv = e.normalized_value or {}
        by_type.setdefault(e.type, (str(nv.get("text", e.mention_text)), e.confidence))
    return {name: by_type[t] for name, t in FIELDS.items() if t in by_type}


@dataclass
class DocumentScore:
    name: str
    seconds: float  # wall time of the extraction
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> expected, got, confidence, correct
    error: str | None = None
    cpu_seconds: float = 0.0  # CPU time of the (one-thread) extraction: what it costs a core


def score_document(name: str, truth: dict[str, str], result: ExtractionResult | None, seconds: float,
                   error: str | None = None, *, cpu_seconds: float | None = None) -> DocumentScore:  # fmt: skip
    got = extracted(result) if result is not None else {}
    out = DocumentScore(name, seconds, error=error, cpu_seconds=seconds if cpu_seconds is None else cpu_seconds)
    for f, expected in truth.items():
        if not expected.strip():
            continue
        value, conf = got.get(f, (None, None))
        out.fields[f] = {"expected": expected, "got": value, "confidence": conf,
                         "correct": field_correct(f, expected, value)}  # fmt: skip
    return out


def _work(path: str) -> tuple[str, ExtractionResult | None, float, float, str | None]:
    from . import get_backend

    backend = _work_backend or get_backend("local")
    data = Path(path).read_bytes()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        result = backend.extract(data, filename=Path(path).name)
        err = None
    except DocumentError as e:
        result, err = None, f"{e.reason}: {e.message}"
    return path, result, time.perf_counter() - t0, time.process_time() - c0, err


_work_backend: Any = None


def _init_worker() -> None:
    # one OCR thread per process: the processes are the parallelism
    os.environ.setdefault("DOCPIPE_OCR_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def run(
    folder: str | Path, *, workers: int = 1, backend: Any = None, limit: int | None = None
) -> Iterator[DocumentScore]:
    """Extract and score every document of the folder (the first `limit`), in order. `workers` > 1 runs
    that many processes with the default local engine; `backend` is used in this process otherwise."""
    global _work_backend
    items = load_dataset(folder)[:limit]
    truths = {str(p): t for p, t in items}
    if workers <= 1:
        _work_backend = backend
        try:
            for p, _ in items:
                path, result, seconds, cpu, err = _work(str(p))
                yield score_document(Path(path).stem, truths[path], result, seconds, err, cpu_seconds=cpu)
        finally:
            _work_backend = None
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
        for path, result, seconds, cpu, err in pool.map(_work, [str(p) for p, _ in items]):
            yield score_document(Path(path).stem, truths[path], result, seconds, err, cpu_seconds=cpu)


def summarise(scores: list[DocumentScore]) -> dict[str, Any]:
    """The report in the shape of `docpipe eval extraction --json`."""
    acc: dict[str, float | None] = {}
    for f in FIELDS:
        got = [s.fields[f]["correct"] for s in scores if f in s.fields]
        acc[f] = round(sum(got) / len(got), 4) if got else None
    high = [v["correct"] for s in scores for v in s.fields.values()
            if v["confidence"] is not None and v["confidence"] >= HIGH_CONFIDENCE]  # fmt: skip
    n = len(scores)
    return {
        "documents": n,
        "accuracy": acc,
        "high_confidence_precision": round(sum(high) / len(high), 4) if high else None,
        # CPU seconds of a one-thread extraction: the cost on one core, which unlike wall time does not
        # stretch when other work shares the machine (wall_seconds_per_document gives the other view)
        "seconds_per_document": round(sum(s.cpu_seconds for s in scores) / n, 3) if n else None,
    }


def wall_seconds_per_document(scores: list[DocumentScore]) -> float | None:
    return round(sum(s.seconds for s in scores) / len(scores), 3) if scores else None


def high_confidence_count(scores: list[DocumentScore]) -> tuple[int, int]:
    """(fields given confidence >= 0.8, fields scored)."""
    fields = [v for s in scores for v in s.fields.values()]
    return sum(1 for v in fields if v["confidence"] is not None and v["confidence"] >= HIGH_CONFIDENCE), len(fields)
