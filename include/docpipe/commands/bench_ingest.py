"""`docpipe bench ingest --docs N [--scanned] [--json]`: one hour of N documents through
`document_ingest` on the real scheduler, beside the same batches through a plain Python loop.

On a private copy of the local stack (its own DOCPIPE_HOME under .docpipe/bench-ingest, moto server,
application and Airflow metadata databases, and `airflow standalone` on free ports; all removed
afterwards): seed N generated documents into one hour (born-digital PDFs; `--scanned`: scanned images
and image-only PDFs), run `process_batch` over the DAG's batches in a plain loop of as many processes
as the DAG runs batch tasks at once (the alternative), empty the stores, start Airflow, unpause the
DAG, trigger the hour through the REST API and wait for the run.

Figures (`--json` prints one object):
- wall_s: the DAG run's queued_at to end_date (Airflow's timestamps); documents_per_hour from it.
- airflow_overhead_share = 1 - work / (slots x wall_s). Work is the seconds `process_batch` measured
  inside each batch task (its XCom outcome) plus discover's and record_run's task durations less the
  median start-up cost seen on the batch tasks (task instance start/end from the REST API). Slots are
  the batch tasks the DAG lets run at once (max_active_tis_per_dagrun=2; fewer when there are fewer
  batches). The rest splits into task start-up (task time outside process_batch: process start, DAG
  parse, imports, clients) and idle slots (scheduling gaps). Engines that load on their first document
  do so inside process_batch and count as work here; the CPU comparison below counts them as overhead.
- peak_rss_mb: the largest RSS of one task process (sampled from /proc every 0.5 s).
- pages_per_s_per_core (--scanned): pages / wall_s / cores.
- cpu_s_per_document, and beside the plain loop's: CPU seconds of every Airflow process and moto over
  the run, sampled from /proc; cpu_overhead_vs_plain_loop = 1 - loop CPU / scheduler CPU. On a shared
  machine wall time measures the neighbours too; CPU time hardly does.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from typing import Any

from docpipe.config import DEFAULT_BATCH_SIZE, DEFAULT_BATCH_TASKS_PER_RUN

GROUP = "bench"
NAME = "ingest"
HELP = "document_ingest over one hour of N documents on the real scheduler, beside a plain Python loop"

DAG_BATCH_SIZE = DEFAULT_BATCH_SIZE  # what the DAG uses when its batch_size param is empty
DAG_BATCH_TASKS = DEFAULT_BATCH_TASKS_PER_RUN  # process_batch's max_active_tis_per_dagrun: the loop's processes


def _hour(value: str) -> datetime:
    from docpipe.cli import _parse_hour

    return _parse_hour(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__  # how each figure is computed, in --help
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--docs", type=int, default=1000, help="documents in the hour (default 1,000)")
    parser.add_argument("--scanned", action="store_true", help="scanned images instead of born-digital PDFs")
    parser.add_argument("--json", action="store_true", help="print one JSON object (progress goes to stderr)")
    parser.add_argument("--batch-size", type=int, default=DAG_BATCH_SIZE,
                        help=f"documents per batch task, passed as the run's conf (default {DAG_BATCH_SIZE})")  # fmt: skip
    parser.add_argument("--hour", type=_hour, help="the upload hour, UTC (default: this hour yesterday)")
    parser.add_argument("--no-alternative", action="store_true", help="skip the plain-loop run")
    parser.add_argument("--timeout", type=float, help="seconds to wait for each run (default: scaled to --docs)")
    parser.add_argument("--keep", action="store_true", help="leave the private stack's databases and files")


def _accounting_errors(n: int, acc: dict[str, Any], label: str) -> list[str]:
    errors = []
    if acc.get("listed") != n:
        errors.append(f"{label}: listed {acc.get('listed')} of {n} documents")
    done = sum(int(acc.get(k) or 0) for k in ("processed", "quarantined", "unchanged"))
    if done != n:
        errors.append(f"{label}: {done} of {n} documents accounted for")
    if "status" in acc and acc["status"] != "success":
        errors.append(f"{label}: run status {acc['status']}")
    return errors


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from docpipe.cli import CliError, console

    if os.environ.get("DOCPIPE_LOCAL_STACK", "1") == "0":
        raise CliError("bench ingest runs on a private local stack; unset DOCPIPE_LOCAL_STACK=0")
    if args.docs < 1:
        raise CliError("--docs must be at least 1")
    out = Console(stderr=True) if args.json else console
    cores = os.cpu_count() or 1
    timeout = args.timeout or 900 + args.docs * (20.0 if args.scanned else 1.0)

    from docpipe.bench import figures, ingest
    from docpipe.bench import stack as bench_stack

    hour = args.hour or ingest.default_hour()
    kind = "scanned" if args.scanned else "born-digital"
    with out.status("starting a private stack (moto, databases)..."):
        stack = bench_stack.create("ingest")
    failed: list[str] = []
    try:

        def bar() -> Progress:
            return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=out)  # fmt: skip

        with bar() as progress:
            t = progress.add_task(f"seeding {kind} documents", total=args.docs)
            size = ingest.seed(args.docs, hour, args.scanned, lambda k: progress.update(t, advance=k))
        refs = ingest.list_hour(hour)
        if len(refs) != args.docs:
            raise CliError(f"seeded {args.docs} documents but the hour lists {len(refs)}")

        def ticker(progress: Progress, task: Any) -> Any:
            return lambda: progress.update(task, completed=ingest.stored_documents(stack.admin_dsn))

        loop = None
        if not args.no_alternative:
            with bar() as progress:
                t = progress.add_task(f"plain loop, {DAG_BATCH_TASKS} processes", total=args.docs)
                loop = ingest.plain_loop(refs, args.batch_size, DAG_BATCH_TASKS, on_tick=ticker(progress, t))
            failed += _accounting_errors(args.docs, {"listed": args.docs, **ingest.totals(loop.outcomes)}, "loop")
            with out.status("emptying the stores for the Airflow run..."):
                ingest.reset_stores(stack.admin_dsn)
        with out.status("starting airflow standalone (migrates its metadata DB, parses the DAGs)..."):
            stack.start_airflow()
        with bar() as progress:
            t = progress.add_task("document_ingest on the scheduler", total=args.docs)
            af = ingest.airflow_run(stack, hour, {"batch_size": args.batch_size}, timeout,
                                    on_tick=ticker(progress, t))  # fmt: skip
        failed += _accounting_errors(args.docs, af.accounting, "document_ingest")
        if af.run["state"] != "success":
            failed.append(f"document_ingest run {af.run['dag_run_id']} ended {af.run['state']}: {af.states}")
        tot = ingest.totals(af.outcomes)
        batches = sum(1 for s in af.spans if s.task_id == "process_batch")
        # The slots are the batch tasks the DAG lets run at once, or more if more did.
        seen = figures.max_concurrency((s.start, s.end) for s in af.spans)
        fig = figures.ingest_figures(
            documents=args.docs, wall_s=af.wall_s, spans=af.spans,
            peak_rss_mb=af.peak_rss_by_role.get("task", 0.0),
            pages=tot["pages"] if args.scanned else None, cores=cores,
            slots=max(1, seen, min(DAG_BATCH_TASKS, batches)),
        )  # fmt: skip
        fig.update(processed=af.accounting.get("processed"), quarantined=af.accounting.get("quarantined"),
                   batches=batches, batch_size=args.batch_size,
                   scanned=args.scanned, cores=cores, seeded_mb=round(size / 1e6, 1))  # fmt: skip
        loop_fig = None
        if loop:
            ltot = ingest.totals(loop.outcomes)
            loop_fig = figures.loop_figures(documents=args.docs, wall_s=loop.wall_s, peak_rss_mb=loop.peak_rss_mb,
                                            pages=ltot["pages"] if args.scanned else None, cores=cores)  # fmt: skip
            fig["plain_loop"] = loop_fig
        fig.update(figures.cpu_figures(args.docs, af.cpu_s, loop.cpu_s if loop else None))
        fig["cpu_s_by_role"] = {k: round(v, 1) for k, v in sorted(af.cpu_s.items())}
        fig["peak_rss_mb_by_role"] = {k: round(v) for k, v in sorted(af.peak_rss_by_role.items())}
        if args.json:
            print(json.dumps(fig))
        else:
            _print(console, fig, loop_fig, af, loop, hour, kind)
    finally:
        with out.status("stopping the private stack..."):
            stack.close(keep=args.keep)
    if failed:
        out.print("[red]accounting failed:[/red] " + "; ".join(failed))
        return 1
    return 0


def _print(console: Any, fig: dict[str, Any], loop_fig: dict[str, Any] | None, af: Any, loop: Any,
           hour: datetime, kind: str) -> None:  # fmt: skip
    from rich.table import Table

    t = Table(title=f"{fig['documents']:,} {kind} documents in {hour:%Y-%m-%d %H}:00 UTC, {fig['batches']} batches "
                    f"of at most {fig['batch_size']} ({fig['cores']} cores, load average {os.getloadavg()[0]:.1f} at the end)")  # fmt: skip
    t.add_column("measure")
    t.add_column("document_ingest on the scheduler", justify="right")
    t.add_column(f"plain loop ({loop.workers} processes)" if loop else "plain loop (not run)", justify="right")
    lf = loop_fig or {}

    def row(label: str, key: str, fmt: str = "{:,}") -> None:
        t.add_row(label, fmt.format(fig[key]) if key in fig else "-", fmt.format(lf[key]) if key in lf else "-")

    row("wall seconds", "wall_s", "{:,.1f}")
    row("documents per second", "documents_per_s", "{:,.1f}")
    row("documents per hour", "documents_per_hour")
    if "pages_per_s_per_core" in fig:
        row("pages per second per core", "pages_per_s_per_core", "{:.3f}")
    row("peak RSS of one task process, MB", "peak_rss_mb", "{:,.0f}")
    t.add_row("Airflow overhead share", f"{fig['airflow_overhead_share']:.1%}", "-")
    console.print(t)

    slots_s = fig["slots"] * fig["wall_s"]
    b = Table(title=f"where the scheduler run's task capacity went ({fig['slots']} slots x {fig['wall_s']:.0f} s)")
    for c in ("part", "seconds", "share"):
        b.add_column(c, justify="left" if c == "part" else "right")
    for label, key in (("work inside the tasks", "work_s"),
                       ("task start-up and teardown (process, DAG parse, imports, engines)", "task_startup_s"),
                       ("idle slots (scheduling gaps, discover and record_run alone)", "idle_slot_s")):  # fmt: skip
        b.add_row(label, f"{fig[key]:,.1f}", f"{fig[key] / slots_s:.1%}")
    console.print(b)

    cpu = Table(title="CPU seconds by process role during the run (sampled from /proc)")
    cpu.add_column("role")
    cpu.add_column("document_ingest on the scheduler", justify="right")
    cpu.add_column("plain loop", justify="right")
    for r in sorted(set(af.cpu_s) | set(loop.cpu_s if loop else {})):
        cpu.add_row(r, f"{af.cpu_s.get(r, 0):,.0f}", f"{loop.cpu_s.get(r, 0):,.0f}" if loop else "-")
    console.print(cpu)
    peaks = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(af.peak_rss_by_role.items()))
    console.print(f"peak RSS per process role, MB: {peaks}; Airflow and moto together (PSS): {af.peak_tree_mb:,.0f}")
    if "cpu_overhead_vs_plain_loop" in fig:
        console.print(
            f"CPU per document: {fig['cpu_s_per_document'] * 1000:.0f} ms on the scheduler (every Airflow process "
            f"and moto), {fig['plain_loop_cpu_s_per_document'] * 1000:.0f} ms in the plain loop (its workers and "
            f"moto): {fig['cpu_overhead_vs_plain_loop']:.0%} of the scheduler run's CPU is Airflow's, by a measure "
            "that other work on the machine hardly moves"
        )
    console.print(
        f"goals: >= 28 documents/s end to end: {fig['documents_per_s']:.1f}; Airflow overhead < 15% at 10,000: "
        f"{fig['airflow_overhead_share']:.1%}"
        + (
            f"; scanned >= 0.8 pages/s per core: {fig['pages_per_s_per_core']:.2f}"
            if "pages_per_s_per_core" in fig
            else ""
        )  # fmt: skip
    )
    if af.cpu_s.get("other", 0) >= 1:
        console.print("processes counted as 'other': " + "; ".join(sorted(af.examples.get("other", ()))))
    console.print(f"accounting: {af.accounting}")
