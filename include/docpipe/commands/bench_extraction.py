"""`docpipe bench extraction [--json]`: born-digital and scanned pages per second per core of the local
engine, and its peak memory on a 500-page PDF, beside what a user would otherwise run (OCR on every
page; Tesseract instead of rapidocr). The measurements live in `docpipe.extraction.bench`.
"""

from __future__ import annotations

import argparse
import json
import os

GROUP = "bench"
NAME = "extraction"
HELP = "pages/s per core (born-digital, scanned) and peak memory on a 500-page PDF of the extraction engine"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object (the local engine's figures)")
    parser.add_argument("--docs", type=int, default=150, help="born-digital documents to extract (default 150)")
    parser.add_argument("--scans", type=int, default=8, help="scanned documents to extract (default 8)")
    parser.add_argument("--dataset", default=None,
                        help="measure scanned pages on the images of this folder (img/) instead of generated scans")  # fmt: skip
    parser.add_argument("--pages", type=int, default=500, help="pages of the long PDF for peak memory (default 500)")
    parser.add_argument("--no-alternatives", action="store_true", help="skip Tesseract and OCR-every-page runs")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DOCPIPE_OCR_THREADS", "1")  # one thread per process: figures are per core
    from docpipe.cli import console
    from docpipe.extraction import bench
    from docpipe.extraction.local import LocalExtractionBackend

    engine = LocalExtractionBackend(ocr_engine="rapidocr")
    born_docs = bench.born_digital_docs(args.docs)
    bench.measure(engine, born_docs[:3])  # first calls pay for imports and caches, not for pages
    born = bench.measure(engine, born_docs)
    scans = bench.folder_docs(args.dataset, args.scans) if args.dataset else bench.scanned_docs(args.scans)
    bench.warm_up(engine)
    scanned = bench.measure(engine, scans)
    # on receipts (the shipped model's document type): generated ones, and the folder's scans when given
    model_ms, rules_ms = bench.selection_ms(engine, bench.receipt_docs(20) + (scans if args.dataset else []))
    rss, long_pages, long_seconds = bench.peak_rss_mb(bench.long_pdf(args.pages))
    report = {
        "born_digital_pages_per_s_per_core": round(born.pages_per_cpu_second, 2),
        "scanned_pages_per_s_per_core": round(scanned.pages_per_cpu_second, 3),
        "peak_rss_mb_500_pages": round(rss, 1),
        "field_model_ms_per_document": round(model_ms - rules_ms, 2),
    }
    if args.json:
        print(json.dumps(report))
        return 0

    from rich.table import Table

    alt_born = alt_scan = None
    if not args.no_alternatives:
        tess = LocalExtractionBackend(ocr_engine="tesseract", min_text_chars=10**9)  # OCR even pages with text
        alt_born = bench.measure(tess, bench.born_digital_docs(max(2, args.docs // 30)))
        alt_scan = bench.measure(LocalExtractionBackend(ocr_engine="tesseract"), scans)
    table = Table(title="local extraction engine (one thread per process; per core = pages / CPU seconds)")
    table.add_column("measure")
    table.add_column("local engine", justify="right")
    table.add_column("alternative", justify="right")
    table.add_column("alternative is")
    table.add_row("born-digital pages/s per core", f"{born.pages_per_cpu_second:.1f}",
                  f"{alt_born.pages_per_cpu_second:.2f}" if alt_born else "-", "OCR every page (Tesseract)")  # fmt: skip
    table.add_row("scanned pages/s per core", f"{scanned.pages_per_cpu_second:.2f}",
                  f"{alt_scan.pages_per_cpu_second:.2f}" if alt_scan else "-", "Tesseract 5 instead of rapidocr")  # fmt: skip
    table.add_row(f"peak RSS, {long_pages}-page PDF", f"{rss:.0f} MB", "-", "")
    table.add_row("classification and fields, CPU ms per receipt", f"{model_ms:.1f}", f"{rules_ms:.1f}",
                  "the rules alone (DOCPIPE_FIELD_MODEL=none)")  # fmt: skip
    console.print(table)
    console.print(
        f"born-digital: {born.pages} pages of {born.documents} documents in {born.cpu_seconds:.1f} CPU s "
        f"({born.wall_seconds:.1f} s wall); scanned: {scanned.pages} pages of {scanned.documents} documents in "
        f"{scanned.cpu_seconds:.1f} CPU s ({scanned.wall_seconds:.1f} s wall); {long_pages}-page PDF in "
        f"{long_seconds:.0f} s. Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall times stretch "
        "when the machine is shared, CPU times much less."
    )
    return 0
