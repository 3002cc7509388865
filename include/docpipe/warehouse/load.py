"""Interval load of the warehouse: Postgres -> Parquet on S3 -> RAW (COPY INTO) -> CURATED (MERGE).

Four steps, each usable as its own Airflow task (their inputs and outputs are JSON-serialisable):

1. `export_changes`  (export.py) Postgres rows changed in the interval -> Parquet files on the stage
2. `copy_into_raw`   COPY INTO RAW.<table> from the export's folder, replacing earlier exports of the interval
3. `merge_curated`   sql/snowflake/merge/*.sql for that interval (STAGING views -> CURATED), one
                     transaction per target table
4. `reconcile`       (reconciliation.py) Postgres vs CURATED counts and key checksums for the interval

Every step is idempotent per interval: rerunning one (or all) leaves RAW and CURATED as after one run.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from docpipe.warehouse.connection import is_fakesnow, snowflake_connection
from docpipe.warehouse.export import (
    EXPORTS,
    STAGE_PREFIX,
    TABLES,
    as_utc,
    export_changes,
    interval_key,
    stage_url_from_exported,
)
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
FILE_FORMAT = "(TYPE = PARQUET USE_LOGICAL_TYPE = TRUE)"

__all__ = [
    "EXPORTS",
    "STAGE",
    "TABLES",
    "WarehouseLoadError",
    "WarehouseLoadSummary",
    "copy_into_raw",
    "copy_statement",
    "export_changes",
    "load_interval",
    "merge_curated",
    "merge_params",
]


class WarehouseLoadError(RuntimeError):
    """A load step found data it cannot vouch for (e.g. RAW holds another row count than was exported)."""


def sf_ts(value: datetime | str) -> str:
    """Bind value for `%(x)s::TIMESTAMP_TZ`."""
    return as_utc(value).isoformat()


# ------------------------------------------------------------------------------------------ COPY


def copy_statement(stage_path: str, table: str, stage: str = STAGE, *, force: bool = False) -> str:
    """COPY INTO RAW.<table> from one export's folder on the stage.

    Without FORCE, Snowflake's load history (64 days, per table and file) skips files it already loaded:
    a retried task cannot load a file twice. The file format is inline rather than FORMAT_NAME so that
    the statement reads the same on the stand-in; MATCH_BY_COLUMN_NAME maps Parquet columns by name.
    """
    return (
        f"COPY INTO RAW.{table.upper()} FROM '@{stage}/{stage_path}' FILE_FORMAT = {FILE_FORMAT} "
        f"MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT{' FORCE = TRUE' if force else ''}"
    )


def _delete_other_exports_sql(table: str) -> str:
    # COALESCE: rows landed before _EXPORT_ID existed have none, and belong to an earlier export too
    return (
        f"DELETE FROM RAW.{table.upper()} WHERE _INTERVAL_START = %(interval_start)s::TIMESTAMP_TZ "
        "AND COALESCE(_EXPORT_ID, '') <> %(export_id)s"
    )


def _delete_export_sql(table: str) -> str:
    return (
        f"DELETE FROM RAW.{table.upper()} WHERE _INTERVAL_START = %(interval_start)s::TIMESTAMP_TZ "
        "AND _EXPORT_ID = %(export_id)s"
    )


def _count_export_sql(table: str) -> str:
    return (
        f"SELECT COUNT(*) FROM RAW.{table.upper()} WHERE _INTERVAL_START = %(interval_start)s::TIMESTAMP_TZ "
        "AND _EXPORT_ID = %(export_id)s"
    )


def _copy_result(raw: str, result: list) -> tuple[int, int]:
    """(rows loaded, files skipped by load history) from COPY's result rows; raises on a failed file.

    One row per file: (file, status, rows_parsed, rows_loaded, ...); a single one-column row when no
    file was new ("Copy executed with 0 files processed.").
    """
    loaded = skipped = 0
    for row in result:
        if len(row) < 4:
            continue
        status = str(row[1]).upper()
        if status == "LOAD_SKIPPED":
            skipped += 1
        elif status in {"LOADED", "PARTIALLY_LOADED"}:
            loaded += int(row[3])
            if status == "PARTIALLY_LOADED":
                raise WarehouseLoadError(f"COPY INTO {raw} loaded only part of a file: {row}")
        else:
            raise WarehouseLoadError(f"COPY INTO {raw}: {row}")
    return loaded, skipped


def _begin(sf_conn: Any) -> bool:
    # fakesnow runs MERGE through a temporary table, which DuckDB refuses to write inside a transaction
    # that has already written the DOCPIPE database: there every statement commits on its own.
    if is_fakesnow(sf_conn):
        return False
    execute_statement(sf_conn, "BEGIN")
    return True


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
    """Load one export's files into RAW, replacing the interval's rows of any earlier export.

    Per table, in one transaction on Snowflake:
      1. DELETE the interval's rows of other exports (a rerun of the night supersedes the previous one);
      2. if RAW already holds exactly this export's rows (a retried task), do nothing more; else COPY the
         export's folder without FORCE, so that load history never loads a file twice;
      3. if RAW still lacks rows of the export (load history skipped files whose rows were deleted since),
         delete the export's rows and COPY the folder again with FORCE, once;
      4. check that RAW holds exactly the exported row count for this export, or raise.
    `stage_url` (see `stage_url_for`) creates the file format and stage if missing; fakesnow keeps stages in
    memory per connection, so there they are always ensured, by default from the exported file URIs.
    Returns {table: rows of this export now in RAW}.
    """
    start = as_utc(interval_start)
    if interval_end is not None and as_utc(interval_end) <= start:
        raise ValueError(f"empty interval [{start}, {as_utc(interval_end)})")
    if stage_url is None and is_fakesnow(sf_conn):
        stage_url = stage_url_from_exported(exported)
    if stage_url:
        ensure_stage(sf_conn, stage_url)
    loaded: dict[str, int] = {}
    for table in TABLES:
        if table not in exported:
            continue
        info = exported[table]
        raw = f"RAW.{table.upper()}"
        expected = int(info["rows"])
        params = {"interval_start": sf_ts(start), "export_id": info["export_id"]}
        tx = _begin(sf_conn)
        try:
            execute_statement(sf_conn, _delete_other_exports_sql(table), params)
            _, ((present,),) = execute_statement(sf_conn, _count_export_sql(table), params)
            if expected and int(present) != expected:
                if present:  # a partial export in RAW cannot come from a committed COPY: start over
                    execute_statement(sf_conn, _delete_export_sql(table), params)
                _, result = execute_statement(sf_conn, copy_statement(info["stage_path"], table, stage))
                n, skipped = _copy_result(raw, result)
                _, ((present,),) = execute_statement(sf_conn, _count_export_sql(table), params)
                if int(present) != expected:
                    # Snowflake skips already-loaded files silently ("0 files processed"), the stand-in says
                    # LOAD_SKIPPED: either way their rows are not here, so reload this export's files once
                    log.warning("%s: COPY loaded %s rows (%s file(s) skipped by load history), %s expected; "
                                "reloading export %s with FORCE", raw, n, skipped, expected, info["export_id"])  # fmt: skip
                    execute_statement(sf_conn, _delete_export_sql(table), params)
                    _, result = execute_statement(sf_conn, copy_statement(info["stage_path"], table, stage, force=True))
                    _copy_result(raw, result)
                    _, ((present,),) = execute_statement(sf_conn, _count_export_sql(table), params)
            elif expected:
                log.info("%s already holds export %s (%s rows): COPY skipped", raw, info["export_id"], present)
            if int(present) != expected:
                raise WarehouseLoadError(
                    f"{raw} holds {present} rows of export {info['export_id']}, {expected} were exported"
                )
            if tx:
                execute_statement(sf_conn, "COMMIT")
        except BaseException:
            if tx:
                _rollback(sf_conn)
            raise
        loaded[table] = expected
        log.info("%s rows in %s for interval %s (export %s)", expected, raw, interval_key(start), info["export_id"])
    return loaded


# ----------------------------------------------------------------------------------------- MERGE


def _sla_targets() -> dict[str, int]:
    """Latency targets (seconds after the data interval ends) per DAG, from the deadline-alert settings
    (the same variables and defaults as docpipe.alerts): ingest within 45 min, the nightly load by 06:00."""
    targets: dict[str, int] = {}
    try:
        targets["document_ingest"] = int(os.environ.get("DOCPIPE_DEADLINE_INGEST_MINUTES", "").strip() or 45) * 60
    except ValueError:
        log.warning("DOCPIPE_DEADLINE_INGEST_MINUTES is not a number: no SLA target for document_ingest")
    raw = os.environ.get("DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY", "").strip() or "06:00"
    try:
        hh, mm = (int(p) for p in raw.split(":"))
        targets["warehouse_load"] = ((hh * 60 + mm - 2 * 60) % (24 * 60) or 24 * 60) * 60  # scheduled at 02:00
    except ValueError:
        log.warning("DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY=%r is not HH:MM: no SLA target for warehouse_load", raw)
    return targets


def _document_type_schemas() -> dict[str, list[str]]:
    from docpipe.extraction.fields import SCHEMAS

    return {t: sorted(set(fields)) for t, fields in sorted(SCHEMAS.items())}


def merge_params(
    interval_start: datetime | str,
    *,
    document_type_schemas: dict[str, list[str]] | None = None,
    sla_targets: dict[str, int] | None = None,
) -> dict[str, str]:
    """The bound parameters of the merge files: the interval, the extraction schemas (expected fields per
    document type) and the SLA targets per DAG, the last two as JSON text."""
    schemas = _document_type_schemas() if document_type_schemas is None else document_type_schemas
    targets = _sla_targets() if sla_targets is None else sla_targets
    return {
        "interval_start": sf_ts(interval_start),
        "document_type_schemas": json.dumps({t: sorted(set(f)) for t, f in sorted(schemas.items())}),
        "sla_targets": json.dumps(dict(sorted(targets.items()))),
    }


def merge_curated(
    sf_conn: Any,
    interval_start: datetime | str,
    *,
    document_type_schemas: dict[str, list[str]] | None = None,
    sla_targets: dict[str, int] | None = None,
) -> dict[str, int]:
    """Run sql/snowflake/merge/*.sql in order for the interval (STAGING rows of that interval only).

    One transaction per file on Snowflake, i.e. per target table (a fact's MERGE and its IS_CURRENT update,
    or a fact's DELETE and INSERT, commit together). Returns {target table: rows inserted or updated by its
    MERGE/INSERT statements}.
    """
    params = merge_params(interval_start, document_type_schemas=document_type_schemas, sla_targets=sla_targets)
    merged: dict[str, int] = {}
    for path in merge_files():
        target = path.stem.split("_", 1)[1]  # 0030_fct_document -> fct_document
        count = 0
        tx = _begin(sf_conn)
        try:
            for statement in iter_statements(path):
                rowcount, _ = execute_statement(sf_conn, statement, params)
                if statement.split(None, 1)[0].upper() in {"MERGE", "INSERT"}:
                    count += rowcount
            if tx:
                execute_statement(sf_conn, "COMMIT")
        except BaseException:
            if tx:
                _rollback(sf_conn)
            raise
        merged[target] = count
    return merged


# ----------------------------------------------------------------------------------------- summary


@dataclass
class WarehouseLoadSummary:
    """What one interval's warehouse load did, for logs, XCom and alerts."""

    interval_start: str
    interval_end: str
    run_id: str
    exported: dict[str, int] = field(default_factory=dict)  # rows written to Parquet per source table
    files: dict[str, int] = field(default_factory=dict)  # Parquet files per source table
    loaded: dict[str, int] = field(default_factory=dict)  # rows of this export in RAW per table
    merged: dict[str, int] = field(default_factory=dict)  # rows inserted/updated per CURATED table
    reconciliation: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step

    @property
    def ok(self) -> bool:
        return bool(self.reconciliation.get("ok")) and self.exported == {
            t: n for t, n in self.loaded.items() if t in self.exported
        }

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
    rows_per_file: int | None = None,
    file_mb: int | None = None,
    lookback: Any = None,
    reconcile_after: bool = True,
) -> WarehouseLoadSummary:
    """All four steps for one interval, each with its own short-lived warehouse connection (as the DAG's
    tasks do)."""
    from docpipe.warehouse.reconciliation import reconcile

    seconds: dict[str, float] = {}
    stage_url = stage_url_for(staging_bucket, STAGE_PREFIX)

    t0 = time.perf_counter()
    exported = export_changes(pg_conn, s3_client, staging_bucket, interval_start, interval_end, run_id,
                              rows_per_file=rows_per_file, file_mb=file_mb, lookback=lookback)  # fmt: skip
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
    reconciliation: dict[str, Any] = {}
    if reconcile_after:
        with snowflake_connection(conn_id) as sf:
            t0 = time.perf_counter()
            reconciliation = reconcile(pg_conn, sf, interval_start, interval_end)
            seconds["reconcile"] = time.perf_counter() - t0
    return WarehouseLoadSummary(
        interval_start=as_utc(interval_start).isoformat(),
        interval_end=as_utc(interval_end).isoformat(),
        run_id=run_id,
        exported={t: int(v["rows"]) for t, v in exported.items()},
        files={t: len(v["files"]) for t, v in exported.items()},
        loaded=loaded,
        merged=merged,
        reconciliation=reconciliation,
        seconds=seconds,
    )
