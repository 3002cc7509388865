"""`docpipe samples export --out DIR [--kind receipt] [--count N]`: generated documents as a labelled folder.

Writes DIR/img/<name>.(pdf|png|jpg|tif) and DIR/key/<name>.json (the true field values, in the engine's
field names), the layout `docpipe eval extraction` and `docpipe models train extraction` read. The
documents are the sample generator's (born-digital and scanned, byte-identical for the same seed): the
project's own data, free of third-party terms, and the text-layer documents real receipt scans lack.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

GROUP = "samples"
NAME = "export"
HELP = "write generated documents with their true fields as a labelled folder (img/ + key/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder to write img/ and key/ into")
    parser.add_argument("--kind", choices=("receipt", "invoice", "any"), default="receipt",
                        help="which documents (default: receipt; forms carry no schema fields)")  # fmt: skip
    parser.add_argument("--count", type=int, default=200, help="documents to write (default 200)")
    parser.add_argument("--scanned-share", type=float, default=0.3, help="share rendered as scans (default 0.3)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")


def run(args: argparse.Namespace) -> int:
    from docpipe.cli import CliError, console
    from docpipe.samples.generator import generate_documents

    if args.count < 1:
        raise CliError(f"--count must be at least 1, not {args.count}")
    if not 0.0 <= args.scanned_share <= 1.0:
        raise CliError(f"--scanned-share must be within [0, 1], not {args.scanned_share}")
    root = Path(args.out)
    (root / "img").mkdir(parents=True, exist_ok=True)
    (root / "key").mkdir(parents=True, exist_ok=True)
    written = scanned = 0
    # the generator mixes kinds (invoices, receipts, forms ~ 5:3:2); draw until enough of the wanted kind
    for doc in generate_documents(
        args.count * 6, tenants=["samples"], seed=args.seed, scanned_share=args.scanned_share
    ):
        if written >= args.count:
            break
        fields = doc.truth.get("fields") or {}
        if doc.kind == "form" or not fields or (args.kind != "any" and doc.kind != args.kind):
            continue
        stem, ext = doc.filename.rsplit(".", 1)
        (root / "img" / f"{stem}.{ext}").write_bytes(doc.data)
        (root / "key" / f"{stem}.json").write_text(
            json.dumps(fields, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        written += 1
        scanned += doc.scanned
    if written < args.count:
        raise CliError(
            f"the generator gave only {written} {args.kind} documents; raise --count's multiplier or use --kind any"
        )
    console.print(f"wrote {written} documents ({scanned} scanned) to {root}/img with their fields in {root}/key")
    return 0
