"""Step 1 of the warehouse load: Postgres rows changed in a load interval -> Parquet files on S3 staging.

Reads `docpipe.tenants`, `documents`, `document_fields`, `moderation_results` and `pipeline_runs` in one
REPEATABLE READ snapshot; writes, per table,

    s3://<staging>/warehouse/<table>/interval=<start>/run=<run>/export=<export id>/part-NNNNN.parquet

one folder per export attempt (partitioned by table, load interval and Airflow run), split into files of at
most `rows_per_file` rows and about `file_mb` MB so that COPY loads them in parallel at volume (Snowflake's
advice: files of roughly 100-250 MB compressed). A new folder per attempt means a file name is never reused for other
content, so Snowflake's COPY load history can be trusted to skip exactly the files already loaded. Older
export folders of the same interval are deleted once the new files are up.

"Changed in the interval" is decided on `updated_at`: [interval_start - lookback, interval_end). The
lookback (default one hour) catches rows committed after the previous night's export by a transaction that
started before it (Postgres stamps `now()` at transaction start): such a row carries a timestamp inside the
previous interval but was invisible to its snapshot. Re-exporting rows already loaded is harmless: the
merges are idempotent. A document counts as changed when its own row, any of its fields or its moderation
result changed; its children are then exported as a complete set (they are replaced as a unit upstream),
and tenants changed in the interval or referenced by changed documents are exported too. Hard deletes in
Postgres are not propagated.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

STAGE_PREFIX = "warehouse"
FETCH_ROWS = 20_000  # rows per server-side cursor fetch and per Parquet row group
ROWS_PER_FILE_ENV = "DOCPIPE_WAREHOUSE_ROWS_PER_FILE"
FILE_MB_ENV = "DOCPIPE_WAREHOUSE_FILE_MB"
LOOKBACK_ENV = "DOCPIPE_WAREHOUSE_LOOKBACK_MINUTES"
# Measured (docs/warehouse.md): snappy Parquet takes ~250 bytes per document row, ~220 per moderation row
# and ~40 per field row. A file closes at whichever comes first, the row cap or ~150 MB: documents and
# moderation close on size (~600k rows), fields on rows (~150 MB), all inside Snowflake's 100-250 MB advice.
DEFAULT_ROWS_PER_FILE = 4_000_000
DEFAULT_FILE_MB = 150
DEFAULT_LOOKBACK = timedelta(hours=1)

TS = pa.timestamp("us", tz="UTC")


class ExportConfigError(ValueError):
    """An export setting is invalid; the message names the variable and what it accepts."""


# --------------------------------------------------------------------------------------------- helpers


def as_utc(value: datetime | str) -> datetime:
    """A timezone-aware UTC datetime from a datetime (pendulum included) or an ISO 8601 string.

    Naive values are rejected: an interval boundary without a zone is a bug waiting to happen.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"interval boundary must be timezone-aware, got {value!r}")
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


def interval_key(interval_start: datetime | str) -> str:
    """Compact ISO form used in S3 keys: 2025-01-02T03:00:00Z -> 20250102T030000Z."""
    return as_utc(interval_start).strftime("%Y%m%dT%H%M%SZ")


def run_slug(run_id: str) -> str:
    """An Airflow run id made safe for an S3 key and a stage path: scheduled__2026-03-01T02:00:00+00:00 ->
    scheduled__2026-03-01T02-00-00-00-00."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", run_id).strip("-") or "run"


def new_export_id(now: datetime | None = None) -> str:
    """Identifies one export attempt (UTC, microseconds): 20260302T021503123456Z."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def interval_path(table: str, interval_start: datetime | str) -> str:
    """Path of an interval's exports, relative to the stage: <table>/interval=<start>/."""
    return f"{table}/interval={interval_key(interval_start)}/"


def export_path(table: str, interval_start: datetime | str, run_id: str, export_id: str) -> str:
    """Path of one export's files, relative to the stage: <table>/interval=<start>/run=<run>/export=<id>/."""
    return f"{interval_path(table, interval_start)}run={run_slug(run_id)}/export={export_id}/"


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def rows_per_file_from_env() -> int:
    raw = os.environ.get(ROWS_PER_FILE_ENV, "").strip()
    if not raw:
        return DEFAULT_ROWS_PER_FILE
    try:
        value = int(raw)
    except ValueError:
        raise ExportConfigError(f"{ROWS_PER_FILE_ENV}={raw!r} is not a whole number of rows") from None
    if value <= 0:
        raise ExportConfigError(f"{ROWS_PER_FILE_ENV}={raw!r} must be positive")
    return value


def file_mb_from_env() -> int:
    raw = os.environ.get(FILE_MB_ENV, "").strip()
    if not raw:
        return DEFAULT_FILE_MB
    try:
        value = int(raw)
    except ValueError:
        raise ExportConfigError(f"{FILE_MB_ENV}={raw!r} is not a whole number of megabytes") from None
    if value <= 0:
        raise ExportConfigError(f"{FILE_MB_ENV}={raw!r} must be positive")
    return value


def lookback_from_env() -> timedelta:
    raw = os.environ.get(LOOKBACK_ENV, "").strip()
    if not raw:
        return DEFAULT_LOOKBACK
    try:
        value = int(raw)
    except ValueError:
        raise ExportConfigError(f"{LOOKBACK_ENV}={raw!r} is not a whole number of minutes") from None
    if value < 0:
        raise ExportConfigError(f"{LOOKBACK_ENV}={raw!r} must be 0 or more")
    return timedelta(minutes=value)


# ------------------------------------------------------------------------------------ export specs

# Rows of documents changed in the selection window: the document row itself or any of its children.
CHANGED_CTE = """
WITH changed AS (
    SELECT document_id FROM docpipe.documents
    WHERE updated_at >= %(start)s AND updated_at < %(end)s
    UNION
    SELECT document_id FROM docpipe.document_fields
    WHERE updated_at >= %(start)s AND updated_at < %(end)s
    UNION
    SELECT document_id FROM docpipe.moderation_results
    WHERE updated_at >= %(start)s AND updated_at < %(end)s
)
"""


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    expr: str | None = None  # SELECT expression when not the plain column (e.g. jsonb -> text)

    @property
    def select(self) -> str:
        return f"{self.expr} AS {self.name}" if self.expr else self.name


@dataclass(frozen=True)
class ExportSpec:
    table: str
    columns: tuple[Column, ...]
    from_where_order: str  # FROM ... WHERE ... ORDER BY ..., with %(start)s / %(end)s
    uses_changed: bool = True

    def query(self) -> str:
        cols = ",\n    ".join(c.select for c in self.columns)
        return f"{CHANGED_CTE if self.uses_changed else ''}SELECT\n    {cols}\n{self.from_where_order}"

    def schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.type) for c in self.columns] + list(META_FIELDS))


META_FIELDS = (
    ("_interval_start", TS),
    ("_interval_end", TS),
    ("_run_id", pa.string()),
    ("_export_id", pa.string()),
    ("_loaded_at", TS),
)

S, I32, I64, F64 = pa.string(), pa.int32(), pa.int64(), pa.float64()

EXPORTS: tuple[ExportSpec, ...] = (
    ExportSpec(
        "tenants",
        (Column("tenant_id", S), Column("created_at", TS), Column("updated_at", TS)),
        """FROM docpipe.tenants
WHERE (updated_at >= %(start)s AND updated_at < %(end)s)
   OR tenant_id IN (SELECT d.tenant_id FROM docpipe.documents d JOIN changed c ON c.document_id = d.document_id)
ORDER BY tenant_id""",
    ),
    ExportSpec(
        "documents",
        tuple(
            Column(n, t, f"round(d.{n}::numeric, 4)::float8" if n == "type_confidence" else f"d.{n}")
            for n, t in (
                ("document_id", S),
                ("tenant_id", S),
                ("bucket", S),
                ("object_key", S),
                ("content_sha256", S),
                ("s3_etag", S),
                ("size_bytes", I64),
                ("uploaded_at", TS),
                ("source_hour", TS),
                ("status", S),
                ("document_type", S),
                ("type_confidence", F64),
                ("page_count", I32),
                ("ocr_page_count", I32),
                ("engine", S),
                ("engine_version", S),
                ("moderation_decision", S),
                ("extract_ms", I32),
                ("moderate_ms", I32),
                ("result_uri", S),
                ("run_id", S),
                ("created_at", TS),
                ("updated_at", TS),
            )
        ),  # fmt: skip
        """FROM docpipe.documents d
JOIN changed c ON c.document_id = d.document_id
ORDER BY d.document_id""",
    ),
    ExportSpec(
        "document_fields",
        (
            Column("document_id", S, "f.document_id"),
            Column("ordinal", I32, "f.ordinal"),
            Column("content_sha256", S, "f.content_sha256"),
            Column("field_type", S, "f.field_type"),
            Column("mention_text", S, "f.mention_text"),
            Column("value_text", S, "f.value_text"),
            Column("value_number", pa.decimal128(20, 6), "f.value_number"),
            Column("value_date", pa.date32(), "f.value_date"),
            Column("currency", S, "f.currency"),
            # real (float4) upstream, written rounded to 4 decimals: read back as those decimals, not as
            # 0.699999988 for 0.7 (which would land in the wrong confidence band downstream)
            Column("confidence", F64, "round(f.confidence::numeric, 4)::float8"),
            Column("page", I32, "f.page"),
            Column("bbox", S, "to_jsonb(f.bbox)::text"),
            Column("extractor", S, "f.extractor"),
            Column("updated_at", TS, "f.updated_at"),
        ),
        """FROM docpipe.document_fields f
JOIN changed c ON c.document_id = f.document_id
ORDER BY f.document_id, f.ordinal""",
    ),
    ExportSpec(
        "moderation_results",
        (
            Column("document_id", S, "m.document_id"),
            Column("content_sha256", S, "m.content_sha256"),
            Column("decision", S, "m.decision"),
            Column("categories", S, "m.categories::text"),
            Column("reasons", S, "to_jsonb(m.reasons)::text"),
            Column("pii_count", I32, "m.pii_count"),
            Column("engine", S, "m.engine"),
            Column("engine_version", S, "m.engine_version"),
            Column("updated_at", TS, "m.updated_at"),
        ),
        """FROM docpipe.moderation_results m
JOIN changed c ON c.document_id = m.document_id
ORDER BY m.document_id""",
    ),
    ExportSpec(
        "pipeline_runs",
        (
            Column("run_id", S),
            Column("dag_id", S),
            Column("interval_start", TS),
            Column("interval_end", TS),
            Column("listed", I32),
            Column("processed", I32),
            Column("quarantined", I32),
            Column("unchanged", I32),
            Column("missing", I32),
            Column("batches", I32),
            Column("pages", I32),
            Column("ocr_pages", I32),
            Column("details", S, "details::text"),
            Column("status", S),
            Column("started_at", TS),
            Column("finished_at", TS),
            Column("updated_at", TS),
        ),  # fmt: skip
        """FROM docpipe.pipeline_runs
WHERE updated_at >= %(start)s AND updated_at < %(end)s
ORDER BY dag_id, run_id""",
        uses_changed=False,
    ),
)

TABLES: tuple[str, ...] = tuple(spec.table for spec in EXPORTS)


def _record_batch(spec: ExportSpec, schema: pa.Schema, rows: list[tuple], meta: tuple) -> pa.RecordBatch:
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(spec.columns)
    arrays = [pa.array(col, type=c.type) for col, c in zip(columns, spec.columns, strict=True)]
    arrays += [pa.array([value] * n, type=typ) for value, (_, typ) in zip(meta, META_FIELDS, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class Snapshot:
    """One REPEATABLE READ, read-only Postgres transaction (when the connection is idle) so that all tables
    are read from the same snapshot; otherwise the caller's transaction is used as is."""

    def __init__(self, pg_conn: Any):
        self.pg_conn = pg_conn
        self._tx: Any = None

    def __enter__(self) -> Any:
        from psycopg.pq import TransactionStatus

        if self.pg_conn.info.transaction_status == TransactionStatus.IDLE:
            self._tx = self.pg_conn.transaction()
            self._tx.__enter__()
            self.pg_conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            log.warning("reading inside the caller's open transaction (no snapshot isolation set)")
        self.pg_conn.execute("SET LOCAL TIME ZONE 'UTC'")
        return self.pg_conn

    def __exit__(self, *exc: Any) -> None:
        if self._tx is not None:
            self._tx.__exit__(*exc)


class _PartWriter:
    """Writes one table's rows into numbered Parquet files of at most `rows_per_file` rows, closing a file
    early once it holds `max_bytes` (checked after each row group), and uploads each closed file in the
    background while the next one is written."""

    def __init__(self, tmp: Path, spec: ExportSpec, s3_client: Any, bucket: str, key_prefix: str,
                 rows_per_file: int, max_bytes: int, pool: ThreadPoolExecutor):  # fmt: skip
        self.tmp, self.spec, self.s3, self.bucket, self.key_prefix = tmp, spec, s3_client, bucket, key_prefix
        self.rows_per_file, self.max_bytes, self.pool = rows_per_file, max_bytes, pool
        self.schema = spec.schema()
        self.files: list[dict[str, Any]] = []
        self._uploads: list[Future] = []
        self._writer: pq.ParquetWriter | None = None
        self._path: Path | None = None
        self._rows_in_file = 0

    def write(self, batch: pa.RecordBatch) -> None:
        offset = 0
        while offset < batch.num_rows:
            if self._writer is None:
                self._open()
            take = min(batch.num_rows - offset, self.rows_per_file - self._rows_in_file)
            assert self._writer is not None
            self._writer.write_batch(batch.slice(offset, take))
            self._rows_in_file += take
            offset += take
            assert self._path is not None
            if self._rows_in_file >= self.rows_per_file or self._path.stat().st_size >= self.max_bytes:
                self._close()

    def _open(self) -> None:
        self._path = self.tmp / f"{self.spec.table}-{part_name(len(self.files))}"
        self._writer = pq.ParquetWriter(self._path, self.schema, compression="snappy")
        self._rows_in_file = 0

    def _close(self) -> None:
        assert self._writer is not None and self._path is not None
        self._writer.close()
        key = f"{self.key_prefix}{part_name(len(self.files))}"
        self.files.append({"key": key, "rows": self._rows_in_file, "bytes": self._path.stat().st_size})
        self._uploads.append(self.pool.submit(self._upload, self._path, key))
        self._writer, self._path = None, None

    def _upload(self, path: Path, key: str) -> None:
        self.s3.upload_file(str(path), self.bucket, key)
        path.unlink()

    def finish(self) -> list[dict[str, Any]]:
        if self._writer is not None:
            self._close()
        for f in self._uploads:
            f.result()  # re-raises an upload error
        return self.files

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        for f in self._uploads:
            f.cancel()


def _delete_other_exports(s3_client: Any, bucket: str, interval_prefix: str, keep_prefix: str) -> int:
    """Delete the objects under the interval's prefix that belong to other (earlier) exports."""
    stale = [
        {"Key": o["Key"]}
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=interval_prefix)
        for o in page.get("Contents", [])
        if not o["Key"].startswith(keep_prefix)
    ]
    for i in range(0, len(stale), 1000):
        s3_client.delete_objects(Bucket=bucket, Delete={"Objects": stale[i : i + 1000], "Quiet": True})
    return len(stale)


# ------------------------------------------------------------------------------------------- step


def export_changes(
    pg_conn: Any,
    s3_client: Any,
    staging_bucket: str,
    interval_start: datetime | str,
    interval_end: datetime | str,
    run_id: str,
    *,
    rows_per_file: int | None = None,
    file_mb: int | None = None,
    lookback: timedelta | None = None,
    export_id: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Export the rows changed in [interval_start - lookback, interval_end) to Parquet files on S3.

    `pg_conn` is a psycopg 3 connection (e.g. PostgresHook(...).get_conn()); `s3_client` a boto3 S3 client.
    Rows stream through a server-side cursor FETCH_ROWS at a time into local Parquet files (one row group
    per fetch) of at most `rows_per_file` rows (default DOCPIPE_WAREHOUSE_ROWS_PER_FILE or 4,000,000) and
    about `file_mb` MB (DOCPIPE_WAREHOUSE_FILE_MB or 150), uploaded while the next is written. `lookback` defaults to DOCPIPE_WAREHOUSE_LOOKBACK_MINUTES or 1 h.
    Every row carries the exact interval (not the lookback), the run, the export id and the export time.

    Returns, per table: {"rows": n, "export_id", "stage_path": "<table>/interval=.../run=.../export=.../",
    "uri": "s3://<bucket>/warehouse/<stage_path>" (None without rows), "files": [{"key", "rows", "bytes"}]}.
    """
    start, end = as_utc(interval_start), as_utc(interval_end)
    if end <= start:
        raise ValueError(f"empty interval [{start}, {end})")
    rows_per_file = rows_per_file or rows_per_file_from_env()
    file_mb = file_mb or file_mb_from_env()
    if rows_per_file <= 0 or file_mb <= 0:
        raise ExportConfigError("rows_per_file and file_mb must be positive")
    lookback = lookback_from_env() if lookback is None else lookback
    loaded_at = datetime.now(UTC)
    export_id = export_id or new_export_id(loaded_at)
    meta = (start, end, run_id, export_id, loaded_at)
    params = {"start": start - lookback, "end": end}
    out: dict[str, dict[str, Any]] = {}

    with (
        tempfile.TemporaryDirectory(prefix="docpipe-wh-") as tmp,
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="wh-upload") as pool,
        Snapshot(pg_conn),
    ):
        for spec in EXPORTS:
            path = export_path(spec.table, start, run_id, export_id)
            writer = _PartWriter(Path(tmp), spec, s3_client, staging_bucket, f"{STAGE_PREFIX}/{path}",
                                 rows_per_file, file_mb * 1_000_000, pool)  # fmt: skip
            rows_total = 0
            try:
                with pg_conn.cursor(name=f"docpipe_wh_{spec.table}") as cur:
                    cur.itersize = FETCH_ROWS
                    cur.execute(spec.query(), params)
                    while rows := cur.fetchmany(min(FETCH_ROWS, rows_per_file)):
                        writer.write(_record_batch(spec, writer.schema, rows, meta))
                        rows_total += len(rows)
                files = writer.finish()
            except BaseException:
                writer.abort()
                raise
            out[spec.table] = {
                "rows": rows_total,
                "export_id": export_id,
                "stage_path": path,
                "uri": f"s3://{staging_bucket}/{STAGE_PREFIX}/{path}" if files else None,
                "files": files,
            }
            log.info("exported %s rows of %s in %s file(s) for interval %s", rows_total, spec.table, len(files),
                     interval_key(start))  # fmt: skip
    # only now that every file of this export is up: earlier exports of the interval are obsolete
    for spec in EXPORTS:
        prefix = f"{STAGE_PREFIX}/{interval_path(spec.table, start)}"
        removed = _delete_other_exports(
            s3_client, staging_bucket, prefix, f"{STAGE_PREFIX}/{out[spec.table]['stage_path']}"
        )
        if removed:
            log.info("deleted %s staged file(s) of earlier exports of %s", removed, prefix)
    return out


def stage_url_from_exported(exported: dict[str, dict[str, Any]]) -> str | None:
    """s3://bucket/warehouse/ from the URIs of an export (None when nothing was exported)."""
    for info in exported.values():
        uri = info.get("uri")
        if uri and f"/{STAGE_PREFIX}/" in uri:
            return uri[: uri.index(f"/{STAGE_PREFIX}/") + len(STAGE_PREFIX) + 2]
    return None
