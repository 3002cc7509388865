"""`docpipe bench discovery [--json]`: the hourly run's listing cost with 0 and with 100,000 older
objects elsewhere in the bucket, beside `S3Hook.list_keys` over the whole uploads prefix.

Runs on a scratch moto server of its own (started and stopped here): one hour of uploads (--docs,
default 1,000, over three tenants), then --older tiny objects (default 100,000) in earlier hour
partitions of the same tenants. Discovery lists the tenants, then exactly the hour's partition of
each: its requests and the keys it reads do not change with the bucket. `list_keys` reads every key
under the prefix. moto scans its whole bucket on every list request (S3 answers a prefix listing from
its index), so the seconds shown for discovery grow a little on moto where S3's would not: the request
and key counts are what carry over to S3. Seconds are medians of --repeats runs.
"""

from __future__ import annotations

import argparse
import json
import os

GROUP = "bench"
NAME = "discovery"
HELP = "discovery time and S3 requests for one hour with 0 vs 100,000 older objects in the bucket"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__  # how each figure is computed, in --help
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--docs", type=int, default=1000, help="uploads in the hour (default 1,000)")
    parser.add_argument("--older", type=int, default=100_000, help="older objects added (default 100,000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of discovery per state (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
    from rich.table import Table

    from docpipe.bench import discovery, figures
    from docpipe.cli import console

    out = Console(stderr=True) if args.json else console
    hour = datetime(2026, 11, 26, 3, tzinfo=UTC)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=out) as progress:  # fmt: skip
        tasks: dict[str, TaskID] = {}

        def advance(label: str, k: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"uploading {label}", total=total)
            progress.update(tasks[label], advance=k)

        result = discovery.run(hour, args.docs, args.older, repeats=args.repeats,
                               alt_repeats=max(1, min(3, args.repeats)), progress=advance)  # fmt: skip
    fig = figures.discovery_figures(result)
    if args.json:
        print(json.dumps(fig))
        return 0
    t = Table(title=f"listing one hour of {args.docs:,} uploads (moto; load average {os.getloadavg()[0]:.1f})")
    for c in ("method", "older objects", "seconds", "list requests", "keys read", "found"):
        t.add_column(c, justify="left" if c == "method" else "right")
    for label, key in (("discovery (hour partitions)", "discovery"),
                       ("S3Hook.list_keys(prefix='uploads/'), keep the hour", "list_keys_whole_prefix")):  # fmt: skip
        for state, older in (("before", 0), ("after", args.older)):
            r = result[state][key]
            t.add_row(label, f"{older:,}", f"{r['seconds']:.3f}", f"{r['requests']:,}", f"{r['keys_read']:,}",
                      f"{r['found']:,}")  # fmt: skip
    console.print(t)
    console.print(
        f"discovery: {fig['discovery_growth']:.2f}x the time with {args.older:,} older objects, with "
        f"{fig['discovery_requests'][0]} -> {fig['discovery_requests'][1]} requests; list_keys: "
        f"{fig['list_keys_growth']:.1f}x, {fig['list_keys_requests'][0]} -> {fig['list_keys_requests'][1]} requests. "
        f"One empty list request on moto: {fig['moto_empty_list_request_s'][0] * 1000:.1f} -> "
        f"{fig['moto_empty_list_request_s'][1] * 1000:.1f} ms (moto scans its whole bucket per request; S3 does not)."
    )
    console.print(f"older objects uploaded at {result['seed_puts_per_s']:,.0f} puts/s (32 in flight)")
    return 0
