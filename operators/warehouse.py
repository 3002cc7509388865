"""Operators of the nightly warehouse load: Postgres changes -> Parquet on S3 -> Snowflake RAW -> CURATED,
then a reconciliation against Postgres and quality checks on CURATED. Each step is idempotent for its data
interval; the work lives in `docpipe.warehouse`."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from airflow.providers.common.sql.operators.sql import SQLTableCheckOperator
from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException


def _interval(context: Context) -> tuple[datetime, datetime]:
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None or end <= start:
        raise AirflowFailException("this run has no data interval: trigger it with a logical date or use a backfill")
    return start.astimezone(UTC), end.astimezone(UTC)


class ExportChangesOperator(BaseOperator):
    """Writes the Postgres rows changed in the data interval to Parquet files on the staging bucket.

    Reads: `docpipe.*` rows with `updated_at` in [data_interval_start - lookback, data_interval_end)
    (DOCPIPE_WAREHOUSE_LOOKBACK_MINUTES, default 60).
    Writes: `s3://<staging>/warehouse/<table>/interval=<start>/run=<run>/export=<id>/part-NNNNN.parquet`,
    split at DOCPIPE_WAREHOUSE_ROWS_PER_FILE rows or DOCPIPE_WAREHOUSE_FILE_MB MB per file (default 4,000,000
    or 150); earlier exports of the interval are deleted.
    Returns: per table, the row count, export id, stage path and files (XCom, read by copy_into_raw).
    """

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.config import Settings
        from docpipe.connections import aws_client, postgres_connection
        from docpipe.warehouse.export import export_changes

        settings = Settings.from_env()
        start, end = _interval(context)
        with contextlib.closing(postgres_connection(settings)) as pg:
            exported = export_changes(pg, aws_client("s3", settings), settings.staging_bucket, start, end,
                                      context["run_id"])  # fmt: skip
        self.log.info("exported %s", {t: (v["rows"], len(v["files"])) for t, v in exported.items()})
        return exported


class CopyIntoRawOperator(BaseOperator):
    """Loads one export's Parquet files into Snowflake RAW with COPY INTO, replacing earlier exports of the
    interval (one transaction per table; COPY's load history skips files already loaded).

    Reads: the `exported` result of ExportChangesOperator (templated). Writes: `DOCPIPE.RAW.*`.
    Returns: rows of the export now in RAW per table.
    """

    template_fields: Sequence[str] = ("exported",)

    def __init__(self, *, exported: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exported = exported

    def execute(self, context: Context) -> dict[str, int]:
        from docpipe.config import Settings
        from docpipe.warehouse.connection import snowflake_connection
        from docpipe.warehouse.load import copy_into_raw

        settings = Settings.from_env()
        start, end = _interval(context)
        with snowflake_connection(settings.snowflake_conn_id) as sf:
            loaded = copy_into_raw(sf, self.exported, start, end)
        self.log.info("COPY INTO RAW: %s", loaded)
        return loaded


class MergeCuratedOperator(BaseOperator):
    """MERGEs the interval's rows (through the STAGING views) into the CURATED facts and dimensions, one
    transaction per table. Returns rows inserted or updated per table."""

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.config import Settings
        from docpipe.warehouse.connection import snowflake_connection
        from docpipe.warehouse.load import merge_curated

        settings = Settings.from_env()
        start, _ = _interval(context)
        with snowflake_connection(settings.snowflake_conn_id) as sf:
            merged = merge_curated(sf, start)
        self.log.info("MERGE into CURATED: %s", merged)
        from docpipe import metrics

        for table, rows in merged.items():
            if isinstance(rows, int):
                metrics.incr(f"docpipe.warehouse.merged.{table.lower()}", rows)
        return merged


class ReconcileWarehouseOperator(BaseOperator):
    """Compares Postgres and CURATED for the data interval (row counts and key checksums per table) and
    fails the run, without retrying, when they disagree. Returns the comparison."""

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.config import Settings
        from docpipe.connections import postgres_connection
        from docpipe.warehouse.connection import snowflake_connection
        from docpipe.warehouse.reconciliation import describe, reconcile

        settings = Settings.from_env()
        start, end = _interval(context)
        with (
            contextlib.closing(postgres_connection(settings)) as pg,
            snowflake_connection(settings.snowflake_conn_id) as sf,
        ):
            result = reconcile(pg, sf, start, end)
        self.log.info("%s", describe(result))
        from docpipe import metrics

        metrics.incr("docpipe.warehouse.reconciliation." + ("ok" if result.get("ok") else "mismatch"))
        if not result.get("ok"):
            raise AirflowFailException(f"Snowflake CURATED does not match Postgres:\n{describe(result)}")
        return result


class WarehouseTableCheckOperator(SQLTableCheckOperator):
    """common-sql's SQLTableCheckOperator on the warehouse connection (default: DOCPIPE_SNOWFLAKE_CONN_ID).

    The stock operator resolves `conn_id` to Airflow's SnowflakeHook, which cannot reach the local stand-in;
    `WarehouseHook` is that hook, with the stand-in behind it when DOCPIPE_SNOWFLAKE_BACKEND=fakesnow. A
    failed check fails the task without retrying (`retry_on_failure=False`): data does not heal by waiting.
    """

    def __init__(self, *, conn_id: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("retry_on_failure", False)
        super().__init__(conn_id=conn_id, **kwargs)

    def get_db_hook(self) -> Any:
        from docpipe.config import Settings
        from docpipe.warehouse.hook import WarehouseHook

        return WarehouseHook(snowflake_conn_id=self.conn_id or Settings.from_env().snowflake_conn_id)
