"""`docpipe bench warehouse [--json]`: rows per second of the nightly load's export + COPY + MERGE path,
beside `SnowflakeHook.insert_rows` on the same rows, both against the local stand-in (fakesnow in-process,
moto S3). Runs in a Postgres database, a bucket and fakesnow files of its own (the database and files are removed
afterwards, the bucket emptied); the demo's data is neither read nor written. The measurement lives in `docpipe.warehouse.bench`.

`--json` prints {"rows_per_s": x, "ratio_vs_insert_rows": x}. What the figures do and do not say about
real Snowflake: docs/warehouse.md.
"""

from __future__ import annotations

import argparse
import json
import os

GROUP = "bench"
NAME = "warehouse"
HELP = "rows/s of export + COPY + MERGE vs SnowflakeHook.insert_rows on the same rows (local stand-in)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docs", type=int, default=10_000, help="synthetic documents (default 10,000)")
    parser.add_argument("--rows-per-file", type=int, default=None,
                        help="rows per Parquet file (default: DOCPIPE_WAREHOUSE_ROWS_PER_FILE or 1,000,000)")  # fmt: skip
    parser.add_argument("--insert-rows-limit", type=int, default=2_000,
                        help="rows insert_rows is timed on, spread evenly over the tables (it goes row by row on "
                             "the stand-in); 0 = all of them (default 2,000)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help='print {"rows_per_s": x, "ratio_vs_insert_rows": x}')


def run(args: argparse.Namespace) -> int:
    import contextlib
    import logging

    import psycopg

    from docpipe.cli import CliError, _stack, console

    if args.docs <= 0:
        raise CliError("--docs must be positive")
    env = _stack(start=True, airflow_db=False)
    logging.getLogger("docpipe.warehouse").setLevel(logging.WARNING)  # per-table progress: the table is the report
    from docpipe import localstack
    from docpipe.config import Settings
    from docpipe.connections import aws_client
    from docpipe.localstack.postgres import drop_database, ensure_database, ensure_server
    from docpipe.storage import migrations
    from docpipe.warehouse import bench

    pg_server = ensure_server(localstack.home())
    db, bucket = bench.bench_names()
    settings = Settings.from_env()
    s3 = aws_client("s3", settings)
    ensure_database(pg_server, db)
    # the bucket is emptied, never deleted: moto 5's /moto-api/data.json (the stack's health check)
    # fails for good once a bucket that held objects is deleted
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket)
    _empty(s3, bucket)
    try:
        migrations.upgrade(pg_server.dsn(db))
        with (
            contextlib.closing(psycopg.connect(pg_server.dsn(db), autocommit=True)) as pg,
            console.status(f"loading {args.docs:,} documents' facts both ways..."),
        ):
            result = bench.run(pg, s3, bucket, args.docs, rows_per_file=args.rows_per_file,
                               insert_rows_limit=args.insert_rows_limit or None,
                               conn_id=settings.snowflake_conn_id)  # fmt: skip
    finally:
        _empty(s3, bucket)
        drop_database(pg_server, db)
    del env

    if args.json:
        print(json.dumps({"rows_per_s": round(result.bulk_rows_per_s, 1),
                          "ratio_vs_insert_rows": round(result.ratio, 1)}))  # fmt: skip
        return 0

    from rich.table import Table

    load = os.getloadavg()
    table = Table(title=f"warehouse load of {result.documents:,} documents' facts ({result.rows:,} rows) "
                        "into the local stand-in (fakesnow + moto)")  # fmt: skip
    table.add_column("path")
    table.add_column("rows timed", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("rows/s", justify="right")
    table.add_column("lands in")
    s = result.bulk_seconds
    table.add_row(
        f"export + COPY + MERGE ({result.files} Parquet files)", f"{result.rows:,}", f"{sum(s.values()):.1f}",
        f"{result.bulk_cpu_seconds:.1f}", f"{result.bulk_rows_per_s:,.0f}", "RAW and CURATED",
    )  # fmt: skip
    for step in ("export", "copy", "merge"):
        table.add_row(f"  {step}", "", f"{s[step]:.1f}", "", "", "")
    table.add_row(
        "SnowflakeHook.insert_rows (executemany, 1,000/commit)", f"{result.insert_rows_rows:,}",
        f"{result.insert_rows_seconds:.1f}", f"{result.insert_rows_cpu_seconds:.1f}",
        f"{result.insert_rows_rows_per_s:,.0f}", "RAW only",
    )  # fmt: skip
    console.print(table)
    console.print(f"bulk path / insert_rows: [bold]{result.ratio:,.1f}x[/bold] rows per second. "
                  f"Load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs: "
                  "figures are noisy on a shared machine. What they say about real Snowflake: docs/warehouse.md.")  # fmt: skip
    return 0


def _empty(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
