"""Interval load of the warehouse: Postgres -> Parquet on S3 -> RAW (COPY INTO) -> CURATED (MERGE).

Four steps, each usable as its own Airflow task (their inputs and outputs are JSON-serialisable):

1. `export_changes`  Postgres rows changed in [interval_start, interval_end) -> one Parquet file per table
                     at s3://<staging_bucket>/warehouse/<table>/interval=<start>/part-0.parquet
2. `copy_into_raw`   delete the interval's RAW rows, COPY INTO RAW.<table> from the stage
3. `merge_curated`   sql/snowflake/merge/*.sql for that interval (RAW -> CURATED facts and dimensions)
4. `reconcile`       Postgres vs CURATED counts for the interval

Every step is idempotent per interval: rerunning one (or all) leaves RAW and CURATED as after one run.

"Changed in the interval" is decided on `updated_at` (half-open, never now()). A document counts as changed
when its own row, any of its fields or its moderation result changed; its children are then exported as a
complete set (they are replaced as a unit upstream), and tenants changed in the interval or referenced by
changed documents are exported too. Hard deletes in Postgres are not propagated.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from docpipe.warehouse.connection import is_fakesnow, snowflake_connection
from docpipe.warehouse.sqlfiles import (
    apply_ddl,
    ensure_stage,
    execute_statement,
    iter_statements,
    merge_files,
    stage_url_for,
)

log = logging.getLogger(__name__)

STAGE = "RAW.DOCPIPE_STAGING"
STAGE_PREFIX = "warehouse"
FETCH_ROWS = 20_000  # rows per server-side cursor fetch and per Parquet row group

TS = pa.timestamp("us", tz="UTC")


class WarehouseLoadError(RuntimeError):
    """A load step found data it cannot vouch for (e.g. COPY loaded a different row count than exported)."""


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


def staging_key(table: str, interval_start: datetime | str) -> str:
    return f"{STAGE_PREFIX}/{table}/interval={interval_key(interval_start)}/part-0.parquet"


def _sf_ts(value: datetime) -> str:
    """Bind value for `%(x)s::TIMESTAMP_TZ`."""
    return as_utc(value).isoformat()


# ------------------------------------------------------------------------------------ export specs

# Rows of documents changed in the interval: the document row itself or any of its children.
_CHANGED_CTE = """
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
class _Column:
    name: str
    type: pa.DataType
    expr: str | None = None  # SELECT expression when not the plain column (e.g. jsonb -> text)

    @property
    def select(self) -> str:
        return f"{self.expr} AS {self.name}" if self.expr else self.name


@dataclass(frozen=True)
class _ExportSpec:
    table: str
    columns: tuple[_Column, ...]
    from_where_order: str  # FROM ... WHERE ... ORDER BY ..., with %(start)s / %(end)s
    uses_changed: bool = True

    def query(self) -> str:
        cols = ",\n    ".join(c.select for c in self.columns)
        return f"{_CHANGED_CTE if self.uses_changed else ''}SELECT\n    {cols}\n{self.from_where_order}"

    def schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.type) for c in self.columns] + list(_META_FIELDS))


_META_FIELDS = (
    ("_interval_start", TS),
    ("_interval_end", TS),
    ("_run_id", pa.string()),
    ("_loaded_at", TS),
)

S, I32, I64, F64 = pa.string(), pa.int32(), pa.int64(), pa.float64()

EXPORTS: tuple[_ExportSpec, ...] = (
    _ExportSpec(
        "tenants",
        (_Column("tenant_id", S), _Column("created_at", TS), _Column("updated_at", TS)),
        """FROM docpipe.tenants
WHERE (updated_at >= %(start)s AND updated_at < %(end)s)
   OR tenant_id IN (SELECT d.tenant_id FROM docpipe.documents d JOIN changed c ON c.document_id = d.document_id)
ORDER BY tenant_id""",
    ),
    _ExportSpec(
        "documents",
        tuple(
            _Column(n, t, f"d.{n}")
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
    _ExportSpec(
        "document_fields",
        (
            _Column("document_id", S, "f.document_id"),
            _Column("ordinal", I32, "f.ordinal"),
            _Column("content_sha256", S, "f.content_sha256"),
            _Column("field_type", S, "f.field_type"),
            _Column("mention_text", S, "f.mention_text"),
            _Column("value_text", S, "f.value_text"),
            _Column("value_number", pa.decimal128(20, 6), "f.value_number"),
            _Column("value_date", pa.date32(), "f.value_date"),
            _Column("currency", S, "f.currency"),
            _Column("confidence", F64, "f.confidence"),
            _Column("page", I32, "f.page"),
            _Column("bbox", S, "to_jsonb(f.bbox)::text"),
            _Column("updated_at", TS, "f.updated_at"),
        ),
        """FROM docpipe.document_fields f
JOIN changed c ON c.document_id = f.document_id
ORDER BY f.document_id, f.ordinal""",
    ),
    _ExportSpec(
        "moderation_results",
        (
            _Column("document_id", S, "m.document_id"),
            _Column("content_sha256", S, "m.content_sha256"),
            _Column("decision", S, "m.decision"),
            _Column("categories", S, "m.categories::text"),
            _Column("reasons", S, "to_jsonb(m.reasons)::text"),
            _Column("pii_count", I32, "m.pii_count"),
            _Column("engine", S, "m.engine"),
            _Column("engine_version", S, "m.engine_version"),
            _Column("updated_at", TS, "m.updated_at"),
        ),
        """FROM docpipe.moderation_results m
JOIN changed c ON c.document_id = m.document_id
ORDER BY m.document_id""",
    ),
    _ExportSpec(
        "pipeline_runs",
        (
            _Column("run_id", S),
            _Column("dag_id", S),
            _Column("interval_start", TS),
            _Column("interval_end", TS),
            _Column("listed", I32),
            _Column("processed", I32),
            _Column("quarantined", I32),
            _Column("unchanged", I32),
            _Column("missing", I32),
            _Column("batches", I32),
            _Column("pages", I32),
            _Column("ocr_pages", I32),
            _Column("details", S, "details::text"),
            _Column("status", S),
            _Column("started_at", TS),
            _Column("finished_at", TS),
            _Column("updated_at", TS),
        ),  # fmt: skip
        """FROM docpipe.pipeline_runs
WHERE updated_at >= %(start)s AND updated_at < %(end)s
ORDER BY dag_id, run_id""",
        uses_changed=False,
    ),
)

TABLES: tuple[str, ...] = tuple(spec.table for spec in EXPORTS)


def _record_batch(spec: _ExportSpec, schema: pa.Schema, rows: list[tuple], meta: tuple) -> pa.RecordBatch:
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(spec.columns)
    arrays = [pa.array(col, type=c.type) for col, c in zip(columns, spec.columns, strict=True)]
    arrays += [pa.array([value] * n, type=typ) for value, (_, typ) in zip(meta, _META_FIELDS, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class _Snapshot:
    """One REPEATABLE READ, read-only Postgres transaction (when the connection is idle) so that all tables
    are exported from the same snapshot; otherwise the caller's transaction is used as is."""

    def __init__(self, pg_conn: Any):
        self.pg_conn = pg_conn
        self._tx = None

    def __enter__(self) -> Any:
        from psycopg.pq import TransactionStatus

        if self.pg_conn.info.transaction_status == TransactionStatus.IDLE:
            self._tx = self.pg_conn.transaction()
            self._tx.__enter__()
            self.pg_conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            log.warning("export_changes runs inside the caller's open transaction (no snapshot isolation set)")
        self.pg_conn.execute("SET LOCAL TIME ZONE 'UTC'")
        return self.pg_conn

    def __exit__(self, *exc: Any) -> None:
        if self._tx is not None:
            self._tx.__exit__(*exc)


# ------------------------------------------------------------------------------------------- steps


def export_changes(
    pg_conn: Any,
    s3_client: Any,
    staging_bucket: str,
    interval_start: datetime | str,
    interval_end: datetime | str,
    run_id: str,
) -> dict[str, dict[str, Any]]:
    """Export the rows changed in [interval_start, interval_end) to one Parquet file per table.

    `pg_conn` is a psycopg 3 connection (e.g. PostgresHook(...).get_conn()); `s3_client` a boto3 S3 client.
    Rows are streamed through a server-side cursor FETCH_ROWS at a time into a local Parquet file (one row
    group per fetch), then uploaded to the deterministic key `staging_key(table, interval_start)`, so a
    rerun overwrites the same object. A table without rows gets no file (a stale one is deleted) and
    uri None. Returns {table: {"rows": n, "uri": "s3://..." | None}}.
    """
    start, end = as_utc(interval_start), as_utc(interval_end)
    if end <= start:
        raise ValueError(f"empty interval [{start}, {end})")
    loaded_at = datetime.now(UTC)
    meta = (start, end, run_id, loaded_at)
    params = {"start": start, "end": end}
    out: dict[str, dict[str, Any]] = {}

    with tempfile.TemporaryDirectory(prefix="docpipe-wh-") as tmp, _Snapshot(pg_conn):
        for spec in EXPORTS:
            key = staging_key(spec.table, start)
            local = Path(tmp) / f"{spec.table}.parquet"
            schema = spec.schema()
            rows_total = 0
            writer: pq.ParquetWriter | None = None
            try:
                with pg_conn.cursor(name=f"docpipe_wh_{spec.table}") as cur:
                    cur.itersize = FETCH_ROWS
                    cur.execute(spec.query(), params)
                    while rows := cur.fetchmany(FETCH_ROWS):
                        if writer is None:
                            writer = pq.ParquetWriter(local, schema, compression="snappy")
                        writer.write_batch(_record_batch(spec, schema, rows, meta))
                        rows_total += len(rows)
            finally:
                if writer is not None:
                    writer.close()
            if rows_total:
                s3_client.upload_file(str(local), staging_bucket, key)
                out[spec.table] = {"rows": rows_total, "uri": f"s3://{staging_bucket}/{key}"}
                local.unlink()
            else:
                s3_client.delete_object(Bucket=staging_bucket, Key=key)
                out[spec.table] = {"rows": 0, "uri": None}
            log.info("exported %s rows of %s for interval %s", rows_total, spec.table, interval_key(start))
    return out


def copy_statement(table: str, interval_start: datetime | str, stage: str = STAGE) -> str:
    """COPY INTO RAW.<table> from the interval's folder on the stage (the whole folder: part-0.parquet)."""
    path = f"{table}/interval={interval_key(interval_start)}/"
    return (
        f"COPY INTO RAW.{table.upper()} FROM '@{stage}/{path}' "
        "FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE"
    )


def delete_interval_statement(table: str) -> str:
    return f"DELETE FROM RAW.{table.upper()} WHERE _INTERVAL_START = %(interval_start)s::TIMESTAMP_TZ"


def _stage_url_from_exported(exported: dict[str, dict[str, Any]]) -> str | None:
    """s3://bucket/warehouse/ from s3://bucket/warehouse/<table>/interval=.../part-0.parquet."""
    for info in exported.values():
        uri = info.get("uri")
        if uri and f"/{STAGE_PREFIX}/" in uri:
            return uri[: uri.index(f"/{STAGE_PREFIX}/") + len(STAGE_PREFIX) + 2]
    return None


def _in_transaction(sf_conn: Any) -> bool:
    # fakesnow runs MERGE through a temporary table, which DuckDB refuses to write inside a transaction
    # that has already written the DOCPIPE database: run statement by statement there.
    return not is_fakesnow(sf_conn)


def _rollback(sf_conn: Any) -> None:
    try:
        execute_statement(sf_conn, "ROLLBACK")
    except Exception:  # noqa: BLE001 - keep the original error
        log.exception("ROLLBACK failed")


def copy_into_raw(
    sf_conn: Any,
    exported: dict[str, dict[str, Any]],
    interval_start: datetime | str,
    interval_end: datetime | str | None = None,
    *,
    stage: str = STAGE,
    stage_url: str | None = None,
) -> dict[str, int]:
    """Load the interval's Parquet files into RAW, replacing the interval's previous rows.

    Per table: DELETE the rows of the interval, then COPY INTO RAW.<table> FROM @stage/<table>/interval=<start>/
    (FORCE = TRUE: the same deterministic file may legitimately be loaded again after the delete).
    `stage_url` (see `stage_url_for`) creates the file format and stage if missing. fakesnow keeps stages
    in memory per connection, so there it is always ensured, by default from the exported file URIs.
    `interval_end`, when given, is only checked against the interval. Raises WarehouseLoadError when COPY
    loads another row count than was exported. Returns {table: rows loaded}.
    """
    start = as_utc(interval_start)
    if interval_end is not None and as_utc(interval_end) <= start:
        raise ValueError(f"empty interval [{start}, {as_utc(interval_end)})")
    if stage_url is None and is_fakesnow(sf_conn):
        stage_url = _stage_url_from_exported(exported)
    if stage_url:
        ensure_stage(sf_conn, stage_url)
    params = {"interval_start": _sf_ts(start)}
    loaded: dict[str, int] = {}
    for table in TABLES:
        if table not in exported:
            continue
        info = exported[table]
        raw = f"RAW.{table.upper()}"
        tx = _in_transaction(sf_conn)
        if tx:
            execute_statement(sf_conn, "BEGIN")
        try:
            execute_statement(sf_conn, delete_interval_statement(table), params)
            n = 0
            if info.get("uri") and info.get("rows"):
                _, result = execute_statement(sf_conn, copy_statement(table, start, stage))
                # one result row per file: (file, status, rows_parsed, rows_loaded, ...)
                for row in result:
                    if len(row) >= 4:
                        if str(row[1]).upper() not in {"LOADED", "PARTIALLY_LOADED"}:
                            raise WarehouseLoadError(f"COPY INTO {raw}: {row}")
                        n += int(row[3])
                if n != int(info["rows"]):
                    raise WarehouseLoadError(f"COPY INTO {raw} loaded {n} rows, {info['rows']} were exported")
            if tx:
                execute_statement(sf_conn, "COMMIT")
        except BaseException:
            if tx:
                _rollback(sf_conn)
            raise
        loaded[table] = n
        log.info("loaded %s rows into %s for interval %s", n, raw, interval_key(start))
    return loaded


def merge_curated(sf_conn: Any, interval_start: datetime | str) -> dict[str, int]:
    """Run sql/snowflake/merge/*.sql in order for the interval (RAW rows of that interval only).

    Returns {target table: rows inserted or updated by its MERGE/INSERT statements}. On Snowflake all files
    run in one transaction.
    """
    params = {"interval_start": _sf_ts(as_utc(interval_start))}
    merged: dict[str, int] = {}
    tx = _in_transaction(sf_conn)
    if tx:
        execute_statement(sf_conn, "BEGIN")
    try:
        for path in merge_files():
            target = path.stem.split("_", 1)[1]  # 0030_fct_document -> fct_document
            count = 0
            for statement in iter_statements(path):
                rowcount, _ = execute_statement(sf_conn, statement, params)
                if statement.split(None, 1)[0].upper() in {"MERGE", "INSERT"}:
                    count += rowcount
            merged[target] = count
        if tx:
            execute_statement(sf_conn, "COMMIT")
    except BaseException:
        if tx:
            _rollback(sf_conn)
        raise
    return merged


# --------------------------------------------------------------------------------------- reconcile

_PG_COUNTS = {
    "fct_document": _CHANGED_CTE
    + "SELECT d.status, count(*) FROM docpipe.documents d JOIN changed c ON c.document_id = d.document_id "
    "GROUP BY d.status",
    "fct_document_field": _CHANGED_CTE
    + "SELECT count(*) FROM docpipe.document_fields f JOIN changed c ON c.document_id = f.document_id",
    "fct_moderation": _CHANGED_CTE
    + "SELECT count(*) FROM docpipe.moderation_results m JOIN changed c ON c.document_id = m.document_id, "
    "jsonb_object_keys(m.categories) AS k",
    "fct_pipeline_run": "SELECT count(*) FROM docpipe.pipeline_runs "
    "WHERE updated_at >= %(start)s AND updated_at < %(end)s",
    "dim_tenant": _CHANGED_CTE
    + "SELECT count(*) FROM docpipe.tenants WHERE (updated_at >= %(start)s AND updated_at < %(end)s) "
    "OR tenant_id IN (SELECT d.tenant_id FROM docpipe.documents d JOIN changed c ON c.document_id = d.document_id)",
}

# The same selection on the CURATED side, by the source timestamps the facts carry (not by which load
# wrote them), so that reconciling an old interval after newer ones were loaded still compares like
# with like: current document versions changed in the interval (the row, a field or a moderation row).
_SF_CHANGED_CTE = """
WITH changed AS (
    SELECT DOCUMENT_ID, TENANT_ID, STATUS
    FROM CURATED.FCT_DOCUMENT
    WHERE IS_CURRENT AND (
        (PROCESSED_AT >= %(start)s::TIMESTAMP_TZ AND PROCESSED_AT < %(end)s::TIMESTAMP_TZ)
        OR DOCUMENT_ID IN (
            SELECT DOCUMENT_ID FROM CURATED.FCT_DOCUMENT_FIELD
            WHERE UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND UPDATED_AT < %(end)s::TIMESTAMP_TZ
        )
        OR DOCUMENT_ID IN (
            SELECT DOCUMENT_ID FROM CURATED.FCT_MODERATION
            WHERE UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND UPDATED_AT < %(end)s::TIMESTAMP_TZ
        )
    )
)
"""

_SF_COUNTS = {
    "fct_document": _SF_CHANGED_CTE + "SELECT STATUS, COUNT(*) FROM changed GROUP BY STATUS",
    "fct_document_field": _SF_CHANGED_CTE
    + "SELECT COUNT(*) FROM CURATED.FCT_DOCUMENT_FIELD WHERE DOCUMENT_ID IN (SELECT DOCUMENT_ID FROM changed)",
    "fct_moderation": _SF_CHANGED_CTE
    + "SELECT COUNT(*) FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID IN (SELECT DOCUMENT_ID FROM changed)",
    "fct_pipeline_run": "SELECT COUNT(*) FROM CURATED.FCT_PIPELINE_RUN "
    "WHERE UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND UPDATED_AT < %(end)s::TIMESTAMP_TZ",
    "dim_tenant": _SF_CHANGED_CTE + "SELECT COUNT(*) FROM CURATED.DIM_TENANT "
    "WHERE (UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND UPDATED_AT < %(end)s::TIMESTAMP_TZ) "
    "OR TENANT_ID IN (SELECT TENANT_ID FROM changed)",
}


# Snowflake does not enforce keys: count keys held by more than one row (whole tables, cheap nightly).
_SF_DUPLICATE_KEYS = {
    "fct_document": "SELECT COUNT(*) FROM (SELECT DOCUMENT_VERSION_KEY FROM CURATED.FCT_DOCUMENT "
    "GROUP BY DOCUMENT_VERSION_KEY HAVING COUNT(*) > 1 "
    "UNION ALL SELECT DOCUMENT_ID FROM CURATED.FCT_DOCUMENT WHERE IS_CURRENT "
    "GROUP BY DOCUMENT_ID HAVING COUNT(*) > 1)",
    "fct_document_field": "SELECT COUNT(*) FROM (SELECT DOCUMENT_ID, ORDINAL FROM CURATED.FCT_DOCUMENT_FIELD "
    "GROUP BY DOCUMENT_ID, ORDINAL HAVING COUNT(*) > 1)",
    "fct_moderation": "SELECT COUNT(*) FROM (SELECT DOCUMENT_ID, CATEGORY FROM CURATED.FCT_MODERATION "
    "GROUP BY DOCUMENT_ID, CATEGORY HAVING COUNT(*) > 1)",
    "fct_pipeline_run": "SELECT COUNT(*) FROM (SELECT DAG_ID, RUN_ID FROM CURATED.FCT_PIPELINE_RUN "
    "GROUP BY DAG_ID, RUN_ID HAVING COUNT(*) > 1)",
    "dim_tenant": "SELECT COUNT(*) FROM (SELECT TENANT_ID FROM CURATED.DIM_TENANT GROUP BY TENANT_ID HAVING COUNT(*) > 1)",
}


def reconcile(
    pg_conn: Any, sf_conn: Any, interval_start: datetime | str, interval_end: datetime | str
) -> dict[str, Any]:
    """Compare Postgres with CURATED for the interval.

    Source: what the export selects for the interval in Postgres now (changed documents by status, their
    fields, their moderation categories, pipeline runs, tenants). Target: the same selection in CURATED,
    made on the source timestamps the facts carry, so it holds whatever order intervals were loaded in.
    A row updated in Postgres between the export and this check shows up as a difference (the next
    interval's load resolves it): run it right after the merge. Moderation results with no categories
    have no CURATED row to carry their timestamp (a document changed only that way is not matched).
    Each table's natural key is also checked for duplicates over the whole table (Snowflake does not
    enforce keys; for fct_document also: one current version per document).
    Returns {"interval_start", "interval_end",
             "tables": {table: {"source", "target", "duplicate_keys", "ok"[, "by_status"]}}, "ok"}.
    """
    start, end = as_utc(interval_start), as_utc(interval_end)
    pg_params = {"start": start, "end": end}
    sf_params = {"start": _sf_ts(start), "end": _sf_ts(end)}
    tables: dict[str, Any] = {}
    with _Snapshot(pg_conn):
        for name, sql in _PG_COUNTS.items():
            with pg_conn.cursor() as cur:
                cur.execute(sql, pg_params)
                source_rows = cur.fetchall()
            _, target_rows = execute_statement(sf_conn, _SF_COUNTS[name], sf_params)
            if name == "fct_document":
                src = {str(s): int(n) for s, n in source_rows}
                tgt = {str(s): int(n) for s, n in target_rows}
                by_status = {s: {"source": src.get(s, 0), "target": tgt.get(s, 0)} for s in sorted(set(src) | set(tgt))}
                entry: dict[str, Any] = {"source": sum(src.values()), "target": sum(tgt.values())}
                entry["by_status"] = by_status
                entry["ok"] = all(v["source"] == v["target"] for v in by_status.values())
            else:
                entry = {"source": int(source_rows[0][0]), "target": int(target_rows[0][0])}
                entry["ok"] = entry["source"] == entry["target"]
            _, duplicates = execute_statement(sf_conn, _SF_DUPLICATE_KEYS[name])
            entry["duplicate_keys"] = int(duplicates[0][0])
            entry["ok"] = entry["ok"] and entry["duplicate_keys"] == 0
            tables[name] = entry
    return {
        "interval_start": start.isoformat(),
        "interval_end": end.isoformat(),
        "tables": tables,
        "ok": all(t["ok"] for t in tables.values()),
    }


# ----------------------------------------------------------------------------------------- summary


@dataclass
class WarehouseLoadSummary:
    """What one interval's warehouse load did, for logs, XCom and alerts."""

    interval_start: str
    interval_end: str
    run_id: str
    exported: dict[str, int] = field(default_factory=dict)  # rows written to Parquet per source table
    loaded: dict[str, int] = field(default_factory=dict)  # rows COPY'd into RAW per table
    merged: dict[str, int] = field(default_factory=dict)  # rows inserted/updated per CURATED table
    reconciliation: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step

    @property
    def ok(self) -> bool:
        return bool(self.reconciliation.get("ok")) and self.exported == {
            t: n for t, n in self.loaded.items() if t in self.exported
        }

    @classmethod
    def from_steps(
        cls,
        interval_start: datetime | str,
        interval_end: datetime | str,
        run_id: str,
        exported: dict[str, dict[str, Any]],
        loaded: dict[str, int],
        merged: dict[str, int],
        reconciliation: dict[str, Any],
        seconds: dict[str, float] | None = None,
    ) -> WarehouseLoadSummary:
        return cls(
            interval_start=as_utc(interval_start).isoformat(),
            interval_end=as_utc(interval_end).isoformat(),
            run_id=run_id,
            exported={t: int(v["rows"]) for t, v in exported.items()},
            loaded=dict(loaded),
            merged=dict(merged),
            reconciliation=reconciliation,
            seconds=dict(seconds or {}),
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def load_interval(
    pg_conn: Any,
    s3_client: Any,
    staging_bucket: str,
    interval_start: datetime | str,
    interval_end: datetime | str,
    run_id: str,
    *,
    conn_id: str = "snowflake_default",
    apply_schema: bool = False,
) -> WarehouseLoadSummary:
    """All four steps for one interval, each with its own short-lived warehouse connection."""
    seconds: dict[str, float] = {}
    stage_url = stage_url_for(staging_bucket, STAGE_PREFIX)

    t0 = time.perf_counter()
    exported = export_changes(pg_conn, s3_client, staging_bucket, interval_start, interval_end, run_id)
    seconds["export"] = time.perf_counter() - t0

    with snowflake_connection(conn_id) as sf:
        if apply_schema:
            apply_ddl(sf, stage_url=stage_url)
        t0 = time.perf_counter()
        loaded = copy_into_raw(sf, exported, interval_start, stage_url=stage_url)
        seconds["copy"] = time.perf_counter() - t0
    with snowflake_connection(conn_id) as sf:
        t0 = time.perf_counter()
        merged = merge_curated(sf, interval_start)
        seconds["merge"] = time.perf_counter() - t0
    with snowflake_connection(conn_id) as sf:
        t0 = time.perf_counter()
        reconciliation = reconcile(pg_conn, sf, interval_start, interval_end)
        seconds["reconcile"] = time.perf_counter() - t0
    return WarehouseLoadSummary.from_steps(
        interval_start, interval_end, run_id, exported, loaded, merged, reconciliation, seconds
    )
