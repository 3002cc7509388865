"""`docpipe eval pii [--docs N] [--seed S] [--json]`: precision and recall per PII type on a labelled
set built from the sample-document generator (see `docpipe.moderation.pii_eval`)."""

from __future__ import annotations

import argparse
import json

GROUP = "eval"
NAME = "pii"
HELP = "precision / recall per PII type on generated documents with injected PII and hard negatives"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docs", type=int, default=300, help="generated documents (default 300)")
    parser.add_argument("--seed", type=int, default=11, help="the set's seed; another seed is another set")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--show-errors", action="store_true", help="print the context of misses and false alarms (synthetic data)"
    )


def run(args: argparse.Namespace) -> int:
    from docpipe.cli import CliError
    from docpipe.moderation.pii_eval import build_set, evaluate

    if args.docs < 1:
        raise CliError("--docs must be at least 1")
    items = build_set(args.docs, args.seed)
    ev = evaluate(items, keep_errors=args.show_errors)
    if args.json:
        print(json.dumps(ev.to_json()))
        return 0
    from rich.table import Table

    from docpipe.cli import console

    table = Table(title=f"PII detection: {ev.documents} generated documents (seed {args.seed}), "
                  f"{ev.negatives} injected hard negatives")  # fmt: skip
    for col in ("type", "support", "precision", "recall", "TP", "FP", "FN"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for t, s in ev.per_type.items():
        table.add_row(t, str(s.support), f"{s.precision:.3f}", f"{s.recall:.3f}", str(s.tp), str(s.fp), str(s.fn))
    console.print(table)
    console.print(
        f"find_pii: {ev.documents / ev.seconds:,.0f} documents/s "
        f"({ev.characters / max(ev.documents, 1):,.0f} characters each), one process"
    )
    if args.show_errors:
        for kind, ctx in ev.misses:
            console.print(f"[yellow]missed[/yellow] {kind}: {ctx!r}")
        for kind, ctx in ev.false_alarms:
            console.print(f"[red]false alarm[/red] {kind}: {ctx!r}")
    return 0
