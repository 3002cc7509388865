"""`docpipe bench parse [--json]`: parse time of every DAG file in dags/, goal under 200 ms each.

Two figures per file, medians of --repeats runs, each in a fresh process:
- `python dags/x.py` wall time (the Airflow best-practices check), beside `python -c "import
  airflow.sdk"`, which every DAG file pays before its own code; the difference is the file's own cost.
- the dag-processor's figure: `BundleDagBag(file)` in a process that has Airflow imported already, as
  the processor's forked parser has; its per-file duration is what Airflow reports (and compares with
  dagbag_import_timeout). Serializing the DAGs found, the rest of the processor's work, is shown too.
"""

from __future__ import annotations

import argparse
import json
import os

GROUP = "bench"
NAME = "parse"
HELP = "parse time of every DAG file: `python dags/x.py` and the dag-processor's DagBag figure"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__  # how each figure is computed, in --help
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--repeats", type=int, default=5, help="fresh-process runs per figure (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object: {file: figures}")


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from docpipe.bench import figures, parse
    from docpipe.cli import console

    if args.json:
        measured = parse.measure(args.repeats)
    else:
        with console.status(f"parsing every DAG file {args.repeats}x in fresh processes..."):
            measured = parse.measure(args.repeats)
    rows = [
        figures.parse_row(name, m["script_ms"], m["baseline_ms"], m["dagbag_ms"], m["serialize_ms"])
        for name, m in measured.items()
    ]
    if args.json:
        print(json.dumps({r["file"]: {k: v for k, v in r.items() if k != "file"} for r in rows}))
        return 0 if all(r["meets_goal"] for r in rows) else 1
    t = Table(title=f"DAG parse times, medians of {args.repeats} fresh processes (load average "
                    f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    for c in ("file", "python file (ms)", "python -c 'import airflow.sdk' (ms)", "file's own (ms)",
              "DagBag, dag-processor figure (ms)", "serialize (ms)", "< 200 ms"):  # fmt: skip
        t.add_column(c, justify="left" if c == "file" else "right")
    for r in rows:
        t.add_row(r["file"], f"{r['python_file_ms']:,.0f}", f"{r['interpreter_and_airflow_sdk_ms']:,.0f}",
                  f"{r['file_own_ms']:,.0f}", f"{r['dagbag_ms']:,.0f}",
                  f"{r['serialize_ms']:,.0f}" if r["serialize_ms"] is not None else "-",
                  "yes" if r["meets_goal"] else "[red]no[/red]")  # fmt: skip
    console.print(t)
    console.print("The goal applies to the dag-processor's figure: every process that runs Python pays the "
                  "interpreter and Airflow imports once, which `python file` includes.")  # fmt: skip
    return 0 if all(r["meets_goal"] for r in rows) else 1
