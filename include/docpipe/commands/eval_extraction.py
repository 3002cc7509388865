"""`docpipe eval extraction --dataset DIR [--json]`: per-field accuracy of the local engine on labelled
receipts, the share of confident fields (>= 0.8) that are correct, and seconds per document.

DIR holds img/ and key/ in the SROIE task-3 layout (one JSON per document with company, date, address,
total). Documents are spread over one process per core, each with a single OCR thread. The scoring
lives in `docpipe.extraction.evaluation`.
"""

from __future__ import annotations

import argparse
import json
import os
import time

GROUP = "eval"
NAME = "extraction"
HELP = "field accuracy and confidence precision of the extraction engine on labelled receipts (img/ + key/)"

# Published per-field accuracy on the SROIE test split (company, date, address, total): what a cloud
# service reaches, for comparison.
REFERENCE = {"AWS Textract": (0.856, 0.968, 0.729, 0.911)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", required=True, help="folder with img/ and key/ (e.g. ../shared/datasets/sroie-dev)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: one per core)")
    parser.add_argument("--ocr", choices=("rapidocr", "tesseract"), default=None,
                        help="OCR engine (default: DOCPIPE_OCR_ENGINE, else rapidocr)")  # fmt: skip
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    parser.add_argument("--show-misses", action="store_true", help="list every wrong or missing field")


def run(args: argparse.Namespace) -> int:
    from docpipe.cli import CliError, console
    from docpipe.extraction import evaluation

    if args.ocr:
        os.environ["DOCPIPE_OCR_ENGINE"] = args.ocr  # read by the worker processes' engines
    try:
        items = evaluation.load_dataset(args.dataset)
    except evaluation.DatasetError as e:
        raise CliError(str(e)) from None
    started = time.perf_counter()
    scores = list(evaluation.run(args.dataset, workers=max(1, args.workers), limit=args.limit))
    wall = time.perf_counter() - started
    report = evaluation.summarise(scores)
    if args.json:
        print(json.dumps(report))
        return 0

    from rich.table import Table

    high, scored = evaluation.high_confidence_count(scores)
    n_docs = len(items) if args.limit is None else min(args.limit, len(items))
    table = Table(title=f"extraction on {n_docs} documents of {args.dataset}")
    table.add_column("field")
    table.add_column("local engine", justify="right")
    for name in REFERENCE:
        table.add_column(f"{name} (published, SROIE test)", justify="right")
    for i, field in enumerate(evaluation.FIELDS):
        acc = report["accuracy"][field]
        table.add_row(field, "-" if acc is None else f"{acc:.3f}", *(f"{ref[i]:.3f}" for ref in REFERENCE.values()))
    console.print(table)
    hcp = report["high_confidence_precision"]
    console.print(
        f"fields with confidence >= {evaluation.HIGH_CONFIDENCE}: {high} of {scored}, "
        f"{'-' if hcp is None else f'{hcp:.1%}'} of them correct"
    )
    console.print(
        f"{report['seconds_per_document']:.2f} CPU s per document on one core "
        f"({evaluation.wall_seconds_per_document(scores):.2f} s wall each); {wall:.0f} s wall in all with "
        f"{max(1, args.workers)} process(es), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    errors = [s for s in scores if s.error]
    for s in errors:
        console.print(f"[red]{s.name}: {s.error}[/red]")
    if args.show_misses:
        for s in scores:
            for field, v in s.fields.items():
                if not v["correct"]:
                    conf = "-" if v["confidence"] is None else f"{v['confidence']:.2f}"
                    console.print(f"{s.name} {field}: expected {v['expected']!r}, got {v['got']!r} ({conf})")
    return 0
