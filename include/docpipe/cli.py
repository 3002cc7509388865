"""`docpipe`: run the local stack, seed documents, run the DAGs and see what landed.

docpipe stack up [--airflow] | down | status
docpipe env                          print the stack's environment as `export` lines
docpipe db upgrade                   apply Postgres migrations
docpipe seed --docs 200 --hour 2026-11-26T03
docpipe run ingest --hour 2026-11-26T03 [--reprocess changed|failed|all]
docpipe run warehouse --date 2026-11-26
docpipe summary
docpipe demo
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 140)


class CliError(Exception):
    """A user-facing failure: the message says what went wrong and what to do next."""


def _parse_hour(value: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value.removesuffix("Z").removesuffix("+00:00"), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{value!r} is not an hour like 2026-11-26T03 (UTC)")


def _parse_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-26") from None


def _stack(*, start: bool, airflow_db: bool = True) -> dict[str, str]:
    """The stack's environment, applied to this process; started first when `start`.

    With DOCPIPE_LOCAL_STACK=0 (a deployment: compose, MWAA, Kubernetes) nothing is started and the
    process's own environment and Airflow connections are used as they are."""
    from docpipe import localstack

    if os.environ.get("DOCPIPE_LOCAL_STACK", "1") == "0":
        return dict(os.environ)

    if start:
        with console.status("starting the local stack (Postgres, moto S3/DynamoDB, fakesnow, Airflow DB)..."):
            return localstack.up(with_airflow_db=airflow_db)
    from docpipe.localstack.postgres import ensure_server

    env = localstack.stack_env(ensure_server(localstack.home()))
    os.environ.update(env)
    return env


# ---------------------------------------------------------------- stack


def cmd_stack(args: argparse.Namespace) -> int:
    from docpipe import localstack

    if args.action == "up":
        env = _stack(start=True)
        if args.airflow:
            with console.status("starting Airflow (scheduler, dag-processor, triggerer, UI)..."):
                port = localstack.start_airflow(env)
            console.print(f"Airflow UI: http://127.0.0.1:{port}  (user admin, password admin)")
        _print_status()
    elif args.action == "down":
        stopped = [name for name, fn in (("airflow", localstack.stop_airflow), ("moto", localstack.stop_moto)) if fn()]
        from docpipe.localstack.postgres import stop_private

        if stop_private(localstack.home()):
            stopped.append("private postgres")
        console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    else:
        _print_status()
    return 0


def _print_status() -> None:
    from docpipe import localstack

    st = localstack.status()
    t = Table(title="docpipe local stack")
    t.add_column("service")
    t.add_column("state")
    for name, value in (("PostgreSQL", st.postgres), ("S3 + DynamoDB (moto)", st.moto),
                        ("Snowflake (fakesnow)", st.snowflake), ("Airflow", st.airflow)):  # fmt: skip
        t.add_row(name, value)
    console.print(t)


def cmd_env(args: argparse.Namespace) -> int:
    env = _stack(start=False)
    for k, v in sorted(env.items()):
        print(f"export {k}='{v}'")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from docpipe.connections import admin_dsn
    from docpipe.storage import migrations

    _stack(start=False)
    applied = migrations.upgrade(admin_dsn())
    console.print(f"applied: {', '.join(applied)}" if applied else "the schema is up to date")
    return 0


# ---------------------------------------------------------------- seed


def seed(docs: int, hours: list[datetime], *, tenants: list[str], scanned_share: float, bad: int,
         seed_value: int) -> list:  # fmt: skip
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from docpipe.config import Settings
    from docpipe.connections import aws_client
    from docpipe.localstack import home
    from docpipe.samples.generator import generate_documents
    from docpipe.samples.upload import upload_documents, write_truth

    settings = Settings.from_env()
    total = docs + bad
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:  # fmt: skip
        task = progress.add_task("generating and uploading", total=total)
        uploaded = upload_documents(
            aws_client("s3", settings),
            settings.uploads_bucket,
            generate_documents(docs, tenants=tenants, seed=seed_value, scanned_share=scanned_share, bad=bad),
            hours=hours,
            prefix=settings.uploads_prefix,
            progress=lambda n: progress.update(task, advance=n),
        )
    truth = home() / "seed" / f"truth-{hours[0]:%Y%m%dT%H}-{seed_value}.jsonl"
    truth.parent.mkdir(parents=True, exist_ok=True)
    write_truth(truth, uploaded)
    console.print(f"uploaded {len(uploaded)} documents to s3://{settings.uploads_bucket}/{settings.uploads_prefix}/ "
                  f"over {len(hours)} hour(s); ground truth in {truth}")  # fmt: skip
    return uploaded


def cmd_seed(args: argparse.Namespace) -> int:
    _stack(start=True, airflow_db=False)
    hours = [args.hour + timedelta(hours=i) for i in range(args.hours)]
    seed(args.docs, hours, tenants=args.tenants.split(","), scanned_share=args.scanned_share, bad=args.bad,
         seed_value=args.seed)  # fmt: skip
    return 0


# ---------------------------------------------------------------- run


def run_dag(dag_id: str, logical_date: datetime, label: str, conf: dict | None = None) -> float:
    """Run one DAG run through Airflow (`airflow dags test`), its log in the working folder.

    A manual run's data interval is the complete schedule period that ends at its logical date."""
    import json

    from docpipe.localstack import home

    log_dir = home() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{dag_id}-{logical_date:%Y%m%dT%H%M}.log"
    cmd = [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id, logical_date.isoformat()]
    if conf:
        cmd += ["--conf", json.dumps(conf)]
    started = time.monotonic()
    with console.status(f"running {dag_id} ({label}); log: {log}"), open(log, "w") as fh:
        # `airflow dags test` cannot run a DAG that declares deadlines (apache/airflow#73428); the
        # scheduler, which enforces them, is unaffected.
        env = {**os.environ, "DOCPIPE_DEADLINES": "off"}
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    elapsed = time.monotonic() - started
    if proc.returncode != 0 or "failed" in _final_state(log):
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-25:])
        raise CliError(
            f"{dag_id} failed after {elapsed:.0f}s. Last lines of {log}:\n{tail}\n"
            "Fix the cause and run the same command again: every step is idempotent."
        )
    console.print(f"{dag_id} ({label}) succeeded in {elapsed:.1f}s")
    return elapsed


def _hour_label(hour: datetime) -> str:
    return f"interval {hour:%Y-%m-%d %H}:00-{hour + timedelta(hours=1):%H}:00 UTC"


def _night_label(start: datetime) -> str:
    return f"interval {start:%Y-%m-%d %H:%M} to {start + timedelta(days=1):%Y-%m-%d %H:%M} UTC"


def _final_state(log: Path) -> str:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if "Dag run" in line and "state" in line.lower():
            return line.lower()
    return ""


def cmd_run(args: argparse.Namespace) -> int:
    _stack(start=True)
    if args.dag == "ingest":
        if args.hour is None:
            raise CliError("give the hour to process: docpipe run ingest --hour 2026-11-26T03")
        # A manual run's data interval is the hour that ends at its logical date.
        run_dag(
            "document_ingest", args.hour + timedelta(hours=1), _hour_label(args.hour), {"reprocess": args.reprocess}
        )
        _print_runs()
    else:
        if args.date is None:
            raise CliError("give the night to load: docpipe run warehouse --date 2026-11-26")
        start = args.date + timedelta(hours=2)
        run_dag("warehouse_load", start + timedelta(days=1), _night_label(start))
    return 0


# ---------------------------------------------------------------- summary


def _print_runs(limit: int = 3) -> None:
    from docpipe.connections import postgres_connection

    with postgres_connection() as pg:
        rows = pg.execute(
            """SELECT interval_start, listed, processed, quarantined, unchanged, missing, status
               FROM docpipe.pipeline_runs WHERE dag_id = 'document_ingest'
               ORDER BY finished_at DESC NULLS LAST LIMIT %s""",
            (limit,),
        ).fetchall()
    t = Table(title="document_ingest runs (latest first)")
    for c in ("interval", "listed", "processed", "quarantined", "unchanged", "missing", "status"):
        t.add_column(c, justify="right" if c not in ("interval", "status") else "left")
    for r in rows:
        t.add_row(f"{r[0]:%Y-%m-%d %H:%M}", *(str(v) for v in r[1:]))
    console.print(t)


def _scalar(conn: Any, query: str) -> object:
    row = conn.execute(query).fetchone()
    return row[0] if row else None


def summary() -> dict:
    from docpipe.config import Settings
    from docpipe.connections import aws_client, postgres_connection
    from docpipe.warehouse import run_analytics_query
    from docpipe.warehouse.connection import snowflake_connection

    settings = Settings.from_env()
    out: dict = {}
    with postgres_connection() as pg:
        out["status"] = dict(
            pg.execute("SELECT status, count(*) FROM docpipe.documents GROUP BY 1 ORDER BY 1").fetchall()
        )
        out["reasons"] = dict(
            pg.execute("SELECT reason, count(*) FROM docpipe.processing_errors GROUP BY 1 ORDER BY 1").fetchall()
        )
        out["decisions"] = dict(
            pg.execute(
                "SELECT moderation_decision, count(*) FROM docpipe.documents WHERE status = 'processed' "
                "GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
        out["fields"] = pg.execute(
            """SELECT d.document_type, f.field_type, count(DISTINCT f.document_id), avg(f.confidence),
                      avg((f.confidence >= 0.8)::int)
               FROM docpipe.document_fields f JOIN docpipe.documents d USING (document_id)
               WHERE d.status = 'processed' AND f.field_type <> 'form_field'
               GROUP BY 1, 2 ORDER BY 1, 2"""
        ).fetchall()
        out["postgres"] = {
            t: _scalar(pg, f"SELECT count(*) FROM docpipe.{t}")
            for t in ("documents", "document_fields", "moderation_results", "pii_findings", "processing_errors", "pipeline_runs")
        }  # fmt: skip
    s3 = aws_client("s3", settings)
    ddb = aws_client("dynamodb", settings)

    def count(bucket: str, prefix: str = "") -> int:
        return sum(
            p.get("KeyCount", 0) for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )

    out["s3"] = {
        "uploads": count(settings.uploads_bucket, settings.uploads_prefix + "/"),
        "results": count(settings.processed_bucket) - count(settings.processed_bucket, "manifests/"),
        "quarantine": count(settings.uploads_bucket, "quarantine/"),
        "staging": count(settings.staging_bucket),
    }
    out["dynamodb"] = sum(
        p["Count"] for p in ddb.get_paginator("scan").paginate(TableName=settings.dynamodb_table, Select="COUNT")
    )
    with snowflake_connection(settings.snowflake_conn_id) as sf:
        cur = sf.cursor()
        out["snowflake"] = {
            t: cur.execute(f"SELECT count(*) FROM CURATED.{t}").fetchone()[0]
            for t in ("fct_document", "fct_document_field", "fct_moderation", "fct_pipeline_run", "dim_tenant")
        }  # fmt: skip
        out["analytics"] = run_analytics_query(sf, "documents_by_tenant_and_type")
    return out


def print_summary(out: dict) -> None:
    t = Table(title="documents by status")
    t.add_column("status")
    t.add_column("documents", justify="right")
    for k, v in out["status"].items():
        t.add_row(k, str(v))
    for reason, n in out["reasons"].items():
        t.add_row(f"  quarantined: {reason}", str(n))
    for decision, n in out["decisions"].items():
        t.add_row(f"  moderation: {decision}", str(n))
    console.print(t)

    if out.get("fields"):
        t = Table(title="extracted fields (Postgres docpipe.document_fields)")
        for c in ("document type", "field", "documents"):
            t.add_column(c, justify="right" if c == "documents" else "left")
        t.add_column("mean confidence", justify="right")
        t.add_column("confidence >= 0.8", justify="right")
        for doc_type, field_type, n, mean_conf, confident in out["fields"]:
            t.add_row(doc_type, field_type, str(n), f"{mean_conf:.2f}", f"{confident:.0%}")
        console.print(t)

    t = Table(title="rows in each store")
    t.add_column("store")
    t.add_column("object")
    t.add_column("rows", justify="right")
    for k, v in out["postgres"].items():
        t.add_row("Postgres", f"docpipe.{k}", str(v))
    t.add_row("DynamoDB", "documents table items", str(out["dynamodb"]))
    for k, v in out["s3"].items():
        t.add_row("S3", k, str(v))
    for k, v in out["snowflake"].items():
        t.add_row("Snowflake", f"CURATED.{k}", str(v))
    console.print(t)

    columns, rows = out["analytics"]
    t = Table(title="analyst query: sql/analytics/documents_by_tenant_and_type.sql (Snowflake)")
    for c in columns:
        t.add_column(str(c).lower())
    for r in rows:
        t.add_row(*(_cell(v) for v in r))
    console.print(t)


def field_accuracy(truth_file: Path) -> dict[tuple[str, str], list[bool]]:
    """Extracted fields in Postgres against the seed's ground truth: {(field, born-digital|scanned): [correct?]}.

    Dates and amounts must match exactly; names and addresses up to 10% of edits after folding case,
    accents and spaces (what OCR of a clean scan still gets wrong)."""
    from decimal import Decimal, InvalidOperation

    from docpipe.connections import postgres_connection
    from docpipe.samples.evaluate import same
    from docpipe.samples.upload import read_truth

    samples = [u for u in read_truth(truth_file) if u.kind != "bad"]
    with postgres_connection() as pg:
        rows = pg.execute(
            """SELECT d.object_key, f.field_type, coalesce(f.value_text, f.mention_text), f.value_number,
                      f.value_date, f.currency
               FROM docpipe.documents d JOIN docpipe.document_fields f USING (document_id)
               WHERE d.object_key = ANY(%s) ORDER BY f.ordinal""",
            ([u.key for u in samples],),
        ).fetchall()
    got: dict[tuple[str, str], tuple] = {}
    for key, field_type, text, number, date, currency in rows:
        got.setdefault((key, field_type), (text, number, date, currency))  # first of a type wins
    out: dict[tuple[str, str], list[bool]] = {}
    for u in samples:
        for name, expected in u.truth.get("fields", {}).items():
            text, number, date, currency = got.get((u.key, name), (None, None, None, None))
            if name.endswith("_date"):
                ok = date is not None and date.isoformat() == expected
            elif name.endswith("_amount"):
                try:
                    ok = number is not None and Decimal(str(number)) == Decimal(expected)
                except InvalidOperation:
                    ok = False
            elif name == "currency":
                ok = (currency or text or "").strip() == expected
            else:
                ok = same(expected, text, tolerance=0.1 if name != "invoice_id" else 0.0)
            out.setdefault((name, "scanned" if u.scanned else "born-digital"), []).append(ok)
    return out


def print_field_accuracy(acc: dict[tuple[str, str], list[bool]]) -> None:
    if not acc:
        return
    t = Table(title="field accuracy against the seed's ground truth")
    t.add_column("field")
    for kind in ("born-digital", "scanned"):
        t.add_column(kind, justify="right")
    for name in sorted({n for n, _ in acc}):
        cells = []
        for kind in ("born-digital", "scanned"):
            v = acc.get((name, kind))
            cells.append(f"{sum(v) / len(v):.0%} of {len(v)}" if v else "-")
        t.add_row(name, *cells)
    console.print(t)


def print_metrics(counters: dict[str, int]) -> None:
    if not counters:
        return
    t = Table(title="StatsD counters the runs emitted (Prometheus: docpipe_* via deploy/statsd/mapping.yml)")
    t.add_column("metric")
    t.add_column("total", justify="right")
    for name, total in sorted(counters.items()):
        t.add_row(name, str(total))
    console.print(t)


def cmd_summary(args: argparse.Namespace) -> int:
    _stack(start=False)
    print_summary(summary())
    return 0


# ---------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    _stack(start=True)
    # The most recent complete hour, so the run is an ordinary scheduled interval.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    console.rule(f"1/4 seeding {args.docs} documents into {hour:%Y-%m-%d %H}:00 UTC")
    seed(args.docs, [hour], tenants=["acme", "globex", "initech"], scanned_share=args.scanned_share, bad=args.bad,
         seed_value=args.seed)  # fmt: skip
    console.rule("2/4 document_ingest (hourly DAG)")
    from docpipe.localstack.statsd_receiver import StatsdReceiver

    statsd = StatsdReceiver().start()  # the runs' StatsD metrics, shown at the end
    os.environ.update(statsd.env())
    run_dag("document_ingest", hour + timedelta(hours=1), _hour_label(hour))
    _print_runs(1)
    console.rule("3/4 warehouse_load (nightly DAG)")
    # The nightly interval that contains this moment: the rows just written changed inside it.
    night = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    if datetime.now(UTC) < night:
        night -= timedelta(days=1)
    run_dag("warehouse_load", night + timedelta(days=1), _night_label(night))
    console.rule("4/4 what landed")
    print_summary(summary())
    from docpipe.localstack import home

    truth_file = home() / "seed" / f"truth-{hour:%Y%m%dT%H}-{args.seed}.jsonl"
    if truth_file.exists():
        print_field_accuracy(field_accuracy(truth_file))
    statsd.stop()
    print_metrics(statsd.counters("airflow.docpipe."))
    from docpipe.localstack import airflow_port

    console.print(
        f"\ndemo finished in {time.monotonic() - started:.0f}s. To look at the runs in the Airflow UI: "
        f"`uv run docpipe stack up --airflow`, then http://127.0.0.1:{airflow_port()} (admin / admin)."
    )
    return 0


def _quiet_library_logs() -> None:
    """The CLI reports progress itself; library chatter (credential lookups, pool sizes) is noise here."""
    import logging
    import warnings

    for name in ("botocore", "boto3", "urllib3", "airflow", "fakesnow", "sqlglot", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module="fakesnow")


def _cell(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.0f}" if v.is_integer() else f"{v:.3f}"
    from decimal import Decimal

    if isinstance(v, Decimal):
        return str(int(v)) if v == v.to_integral_value() else f"{v:.3f}"
    return str(v)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="docpipe", description="docpipe: documents on S3 -> trusted data.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("stack", help="start, stop or inspect the local stack")
    s.add_argument("action", choices=["up", "down", "status"])
    s.add_argument("--airflow", action="store_true", help="also start Airflow (scheduler + UI)")
    s.set_defaults(fn=cmd_stack)

    sub.add_parser("env", help="print the local stack's environment").set_defaults(fn=cmd_env)

    s = sub.add_parser("db", help="Postgres schema")
    s.add_argument("action", choices=["upgrade"])
    s.set_defaults(fn=cmd_db)

    s = sub.add_parser("seed", help="generate sample documents and upload them")
    s.add_argument("--docs", type=int, default=200)
    s.add_argument("--hour", type=_parse_hour, required=True, help="first upload hour, UTC, e.g. 2026-11-26T03")
    s.add_argument("--hours", type=int, default=1, help="spread over this many consecutive hours")
    s.add_argument("--tenants", default="acme,globex,initech")
    s.add_argument("--scanned-share", type=float, default=0.1)
    s.add_argument("--bad", type=int, default=0, help="add this many broken files")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(fn=cmd_seed)

    s = sub.add_parser("run", help="run a DAG for one interval through Airflow")
    s.add_argument("dag", choices=["ingest", "warehouse"])
    s.add_argument("--hour", type=_parse_hour, help="ingest: the hour to process (UTC)")
    s.add_argument("--date", type=_parse_date, help="warehouse: the night whose interval starts at 02:00 that day")
    s.add_argument("--reprocess", choices=["changed", "failed", "all"], default="changed")
    s.set_defaults(fn=cmd_run)

    sub.add_parser("summary", help="documents per status, rows in each store, an analyst query").set_defaults(
        fn=cmd_summary
    )

    s = sub.add_parser("demo", help="the whole pipeline on the local stack")
    s.add_argument("--docs", type=int, default=200)
    s.add_argument("--scanned-share", type=float, default=0.1)
    s.add_argument("--bad", type=int, default=3)
    s.add_argument("--seed", type=int, default=7)
    s.set_defaults(fn=cmd_demo)

    from docpipe.commands import register_all

    register_all(sub)
    args = p.parse_args(argv)
    _quiet_library_logs()
    try:
        return args.fn(args)
    except CliError as e:
        console.print(f"[red]error:[/red] {e}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
