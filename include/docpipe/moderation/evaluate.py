"""Measure a moderation backend on a labelled CSV (columns: text, hate_score; hate_score >= 0.5 is
"hate").

    python -m docpipe.moderation.evaluate --dataset path/to/labelled.csv [--backend local]
        [--label-threshold 0.5] [--thresholds JSON] [--repeat 3]

Prints precision / recall / F1 of "hate" predicted as (a) the backend's decision (review or block,
and block only), (b) single category scores and the max of the abuse categories at a few score
thresholds; then throughput (texts/s, batched, model already loaded).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from . import get_backend

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


def load_dataset(path: str, label_threshold: float = 0.5) -> tuple[list[str], list[bool]]:
    texts: list[str] = []
    labels: list[bool] = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"text", "hate_score"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing column(s) {sorted(missing)}; expected text, hate_score")
        for rec in reader:
            texts.append(rec["text"] or "")
            labels.append(float(rec["hate_score"]) >= label_threshold)
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


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m docpipe.moderation.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True, help="CSV with columns text, hate_score")
    ap.add_argument("--backend", default="local")
    ap.add_argument("--label-threshold", type=float, default=0.5, help="hate_score >= this is hate (default 0.5)")
    ap.add_argument("--thresholds", default=None, help="JSON threshold overrides for the backend's decision")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs (the best is reported)")
    args = ap.parse_args(argv)

    texts, labels = load_dataset(args.dataset, args.label_threshold)
    if not texts:
        print(f"{args.dataset}: no rows", file=sys.stderr)
        return 1
    backend = get_backend(args.backend, thresholds=args.thresholds)

    t0 = time.perf_counter()
    backend.moderate_many(texts[:1])  # loads the model
    warm = time.perf_counter() - t0
    best = best_cpu = float("inf")
    verdicts = []
    for _ in range(max(1, args.repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        verdicts = backend.moderate_many(texts)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)

    rows = [
        confusion("decision != allow", [v.decision != "allow" for v in verdicts], labels),
        confusion("decision == block", [v.decision == "block" for v in verdicts], labels),
    ]
    for cat in ABUSE + ("max(" + ", ".join(ABUSE) + ")",):
        for th in SCORE_THRESHOLDS:
            if cat in ABUSE:
                pred = [v.categories[cat] >= th for v in verdicts]
            else:
                pred = [max(v.categories[c] for c in ABUSE) >= th for v in verdicts]
            rows.append(confusion(f"{cat} >= {th}", pred, labels))

    n_pos = sum(labels)
    chars = sum(map(len, texts))
    print(
        f"dataset: {args.dataset}: {len(texts)} texts, {n_pos} hate ({n_pos / len(texts):.1%}), "
        f"mean {chars / len(texts):.0f} chars"
    )
    print(f"backend: {getattr(backend, 'name', args.backend)} {getattr(backend, 'version', '')}")
    print()
    print(format_table(rows))
    print()
    decisions = {d: sum(v.decision == d for v in verdicts) for d in ("allow", "review", "block")}
    print(f"decisions: {decisions}")
    print(
        f"throughput: {len(texts) / best:,.0f} texts/s batched, wall clock (best of {args.repeat}: "
        f"{best * 1000 / len(texts):.3f} ms/text; CPU {best_cpu * 1000 / len(texts):.3f} ms/text); "
        f"first call incl. model load {warm:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
