"""Measure a moderation backend on a labelled CSV (columns: text, hate_score; hate_score >= 0.5 is
"hate").

    docpipe eval moderation --dataset path/to/labelled.csv [--json] [--details]
    python -m docpipe.moderation.evaluate --dataset path/to/labelled.csv   (the same, as a module)

`evaluate()` returns precision / recall / F1 of the backend's flag (decision review or block) against
the label, and throughput: texts per CPU second of this process, i.e. per core (batched, model already
loaded, best of `repeat` runs; wall-clock figures on a shared machine measure its load too); with
`details`, also the same for block only and for single category scores at a few thresholds.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ABUSE = ("Toxic", "Insult", "Derogatory", "Violent")
SCORE_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)


@dataclass
class Row:
    rule: str
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        n = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / n if n else 0.0


class DatasetError(ValueError):
    """The labelled file cannot be read as text,hate_score rows; the message says why."""


def load_dataset(path: str | Path, label_threshold: float = 0.5) -> tuple[list[str], list[bool]]:
    texts: list[str] = []
    labels: list[bool] = []
    try:
        fh = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        reader = csv.DictReader(fh)
        missing = {"text", "hate_score"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{path}: missing column(s) {sorted(missing)}; expected text, hate_score")
        for line, rec in enumerate(reader, start=2):
            try:
                score = float(rec["hate_score"])
            except (TypeError, ValueError):
                raise DatasetError(f"{path}:{line}: hate_score {rec['hate_score']!r} is not a number") from None
            texts.append(rec["text"] or "")
            labels.append(score >= label_threshold)
    if not texts:
        raise DatasetError(f"{path}: no rows")
    return texts, labels


def confusion(rule: str, predicted: Sequence[bool], labels: Sequence[bool]) -> Row:
    tp = sum(p and y for p, y in zip(predicted, labels, strict=True))
    fp = sum(p and not y for p, y in zip(predicted, labels, strict=True))
    fn = sum(y and not p for p, y in zip(predicted, labels, strict=True))
    return Row(rule, tp, fp, fn, len(labels) - tp - fp - fn)


def format_table(rows: list[Row]) -> str:
    width = max(len(r.rule) for r in rows)
    head = f"{'rule':<{width}}  precision  recall     F1  accuracy   TP   FP   FN   TN"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.rule:<{width}}  {r.precision:9.3f}  {r.recall:6.3f}  {r.f1:5.3f}  {r.accuracy:8.3f}"
            f"  {r.tp:3d}  {r.fp:3d}  {r.fn:3d}  {r.tn:3d}"
        )
    return "\n".join(lines)


@dataclass
class Evaluation:
    texts: int
    positives: int
    flag: Row  # decision review or block
    texts_per_second: float  # per core: texts / CPU seconds of this process (the machine may be shared)
    wall_texts_per_second: float
    load_seconds: float
    backend: str
    decisions: dict[str, int]
    details: list[Row] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON form: texts, precision, recall, f1, texts_per_second."""
        return {
            "texts": self.texts,
            "precision": round(self.flag.precision, 4),
            "recall": round(self.flag.recall, 4),
            "f1": round(self.flag.f1, 4),
            "texts_per_second": round(self.texts_per_second, 1),
        }


def evaluate(
    texts: list[str], labels: list[bool], backend: Any, *, repeat: int = 3, details: bool = False
) -> Evaluation:
    t0 = time.perf_counter()
    backend.moderate_many(texts[:1])  # loads the model
    load = time.perf_counter() - t0
    best = best_cpu = float("inf")
    verdicts: list[Any] = []
    for _ in range(max(1, repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        verdicts = backend.moderate_many(texts)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    flag = confusion("decision != allow", [v.decision != "allow" for v in verdicts], labels)
    rows: list[Row] = []
    if details:
        rows.append(flag)
        rows.append(confusion("decision == block", [v.decision == "block" for v in verdicts], labels))
        for cat in ABUSE + ("max(" + ", ".join(ABUSE) + ")",):
            for th in SCORE_THRESHOLDS:
                if cat in ABUSE:
                    pred = [v.categories[cat] >= th for v in verdicts]
                else:
                    pred = [max(v.categories[c] for c in ABUSE) >= th for v in verdicts]
                rows.append(confusion(f"{cat} >= {th}", pred, labels))
    return Evaluation(
        texts=len(texts),
        positives=sum(labels),
        flag=flag,
        texts_per_second=len(texts) / best_cpu if best_cpu > 0 else float("inf"),
        wall_texts_per_second=len(texts) / best if best > 0 else float("inf"),
        load_seconds=load,
        backend=f"{getattr(backend, 'name', '?')} {getattr(backend, 'version', '')}".strip(),
        decisions={d: sum(v.decision == d for v in verdicts) for d in ("allow", "review", "block")},
        details=rows,
    )


def report(ev: Evaluation, dataset: str) -> str:
    lines = [
        f"dataset: {dataset}: {ev.texts} texts, {ev.positives} hate ({ev.positives / ev.texts:.1%})",
        f"backend: {ev.backend}",
        "",
        format_table(ev.details or [ev.flag]),
        "",
        f"decisions: {ev.decisions}",
        f"throughput: {ev.texts_per_second:,.0f} texts/s per core (texts / CPU seconds, batched); "
        f"{ev.wall_texts_per_second:,.0f} texts/s wall clock on this machine now; "
        f"first call incl. model load {ev.load_seconds:.1f} s",
    ]
    return "\n".join(lines)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--dataset", required=True, help="CSV with columns text, hate_score (0..1)")
    ap.add_argument("--json", action="store_true", help="print {texts, precision, recall, f1, texts_per_second}")
    ap.add_argument("--details", action="store_true", help="also block-only and per-category rows")
    ap.add_argument("--backend", default="local", help="moderation backend (default local)")
    ap.add_argument("--label-threshold", type=float, default=0.5, help="hate_score >= this is hate (default 0.5)")
    ap.add_argument("--thresholds", default=None, help="JSON threshold overrides for the backend's decision")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs; the best is reported (default 3)")


def run(args: argparse.Namespace) -> int:
    from . import get_backend

    try:
        texts, labels = load_dataset(args.dataset, args.label_threshold)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    backend = get_backend(args.backend, thresholds=args.thresholds)
    ev = evaluate(texts, labels, backend, repeat=args.repeat, details=args.details)
    print(json.dumps(ev.to_json()) if args.json else report(ev, args.dataset))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m docpipe.moderation.evaluate", description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
