"""The warehouse load benchmark behind `docpipe bench warehouse`.

Both paths move the same Postgres rows (N synthetic documents' worth: documents, fields, moderation
results, pipeline runs, tenants) into the same kind of stand-in (in-process fakesnow on DuckDB files of
their own, S3 on the stack's moto server):

- bulk: `export_changes` (Parquet on S3) + `copy_into_raw` (COPY INTO RAW) + `merge_curated` (MERGE into
  CURATED), timed end to end;
- insert_rows: the same exported rows, read from Postgres beforehand (not timed), inserted into the RAW
  tables by `SnowflakeHook.insert_rows` (through `WarehouseHook`, which only swaps the connection for the
  stand-in; `executemany=True`, 1,000 rows per commit: the hook's fastest setting). It lands rows in RAW
  only, no MERGE: the comparison favours it. It goes row by row on the stand-in, so by default it runs on
  an evenly spread sample of the rows and its rate is extrapolated (`insert_rows_limit`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

START = datetime(2026, 1, 5, 2, tzinfo=UTC)
END = datetime(2026, 1, 6, 2, tzinfo=UTC)
RUN_ID = "scheduled__2026-01-06T02:00:00+00:00"


@dataclass
class BenchResult:
    documents: int
    rows: int  # rows moved from Postgres into RAW, all tables
    bulk_seconds: dict[str, float] = field(default_factory=dict)  # export, copy, merge
    files: int = 0
    insert_rows_rows: int = 0  # rows insert_rows was timed on
    insert_rows_seconds: float = 0.0
    bulk_cpu_seconds: float = 0.0  # this process's CPU time (all threads; DuckDB runs in-process)
    insert_rows_cpu_seconds: float = 0.0

    @property
    def bulk_rows_per_s(self) -> float:
        return self.rows / sum(self.bulk_seconds.values())

    @property
    def insert_rows_rows_per_s(self) -> float:
        return self.insert_rows_rows / self.insert_rows_seconds if self.insert_rows_seconds else float("nan")

    @property
    def ratio(self) -> float:
        return self.bulk_rows_per_s / self.insert_rows_rows_per_s


@contextlib.contextmanager
def _fakesnow_dir(stage_url: str) -> Iterator[str]:
    """A fresh fakesnow database with the warehouse DDL applied, as the process's warehouse."""
    from docpipe.warehouse.connection import FAKESNOW_PATH_ENV, snowflake_connection
    from docpipe.warehouse.sqlfiles import apply_ddl

    previous = os.environ.get(FAKESNOW_PATH_ENV)
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-fakesnow-") as tmp:
        os.environ[FAKESNOW_PATH_ENV] = tmp
        try:
            with snowflake_connection() as sf:
                apply_ddl(sf, stage_url=stage_url)
            yield tmp
        finally:
            if previous is None:
                os.environ.pop(FAKESNOW_PATH_ENV, None)
            else:
                os.environ[FAKESNOW_PATH_ENV] = previous


def _exported_rows(pg_conn: Any) -> dict[str, tuple[list[str], list[tuple]]]:
    """The rows export_changes writes, per RAW table: (column names, rows with the load metadata)."""
    from docpipe.warehouse.export import EXPORTS, Snapshot, lookback_from_env

    meta = (START, END, RUN_ID, "insert-rows", datetime.now(UTC))
    params = {"start": START - lookback_from_env(), "end": END}
    out = {}
    with Snapshot(pg_conn):
        for spec in EXPORTS:
            with pg_conn.cursor() as cur:
                cur.execute(spec.query(), params)
                rows = [tuple(r) + meta for r in cur.fetchall()]
            out[f"RAW.{spec.table.upper()}"] = ([n.upper() for n in spec.schema().names], rows)
    return out


def _sample(
    tables: dict[str, tuple[list[str], list[tuple]]], limit: int | None
) -> dict[str, tuple[list[str], list[tuple]]]:
    total = sum(len(rows) for _, rows in tables.values())
    if not limit or limit >= total:
        return tables
    share = limit / total
    return {t: (cols, rows[:: max(1, round(1 / share))]) for t, (cols, rows) in tables.items()}


def run(pg_conn: Any, s3_client: Any, bucket: str, documents: int, *, rows_per_file: int | None = None,
        insert_rows_limit: int | None = 2_000, conn_id: str = "snowflake_default") -> BenchResult:  # fmt: skip
    """Insert the synthetic facts, then time both paths. `pg_conn`: a psycopg 3 connection to an empty,
    migrated database (autocommit); `bucket`: an existing, empty bucket."""
    from docpipe.warehouse.connection import snowflake_connection
    from docpipe.warehouse.export import export_changes
    from docpipe.warehouse.hook import WarehouseHook
    from docpipe.warehouse.load import copy_into_raw, merge_curated
    from docpipe.warehouse.sqlfiles import stage_url_for
    from docpipe.warehouse.synthetic import insert_facts

    insert_facts(pg_conn, documents, start=START, end=END, seed=11)
    stage_url = stage_url_for(bucket)
    result = BenchResult(documents=documents, rows=0)

    with _fakesnow_dir(stage_url):
        c0, t0 = time.process_time(), time.perf_counter()
        exported = export_changes(pg_conn, s3_client, bucket, START, END, RUN_ID, rows_per_file=rows_per_file)
        t1 = time.perf_counter()
        with snowflake_connection(conn_id) as sf:
            copy_into_raw(sf, exported, START, stage_url=stage_url)
        t2 = time.perf_counter()
        with snowflake_connection(conn_id) as sf:
            merge_curated(sf, START)
        t3 = time.perf_counter()
        result.bulk_cpu_seconds = time.process_time() - c0
        result.bulk_seconds = {"export": t1 - t0, "copy": t2 - t1, "merge": t3 - t2}
        result.rows = sum(int(v["rows"]) for v in exported.values())
        result.files = sum(len(v["files"]) for v in exported.values())

    tables = _sample(_exported_rows(pg_conn), insert_rows_limit)
    with _fakesnow_dir(stage_url):
        hook = WarehouseHook(snowflake_conn_id=conn_id)
        # insert_rows logs every chunk; the benchmark's table is the report
        quiet = logging.getLogger("docpipe.warehouse.bench.insert_rows")
        quiet.setLevel(logging.WARNING)
        hook._log = quiet
        c0, t0 = time.process_time(), time.perf_counter()
        for table, (columns, rows) in tables.items():
            if rows:
                hook.insert_rows(table, rows, target_fields=columns, commit_every=1000, executemany=True)
        result.insert_rows_seconds = time.perf_counter() - t0
        result.insert_rows_cpu_seconds = time.process_time() - c0
        result.insert_rows_rows = sum(len(rows) for _, rows in tables.values())
    return result


def bench_names() -> tuple[str, str]:
    """A database (new each run) and a bucket (reused, emptied) of the benchmark's own."""
    return f"docpipe_bench_warehouse_{uuid.uuid4().hex[:8]}", "docpipe-bench-warehouse"
