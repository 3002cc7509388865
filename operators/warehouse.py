"""Operators of the nightly warehouse load: Postgres changes -> Parquet on S3 -> Snowflake RAW ->
CURATED. Each step is idempotent for its data interval; the work lives in `docpipe.warehouse`."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException


def _interval(context: Context) -> tuple[datetime, datetime]:
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None or end <= start:
        raise AirflowFailException("this run has no data interval: trigger it with a logical date or use a backfill")
    return start.astimezone(UTC), end.astimezone(UTC)


class ExportChangesOperator(BaseOperator):
    """Writes the Postgres rows changed in the data interval to Parquet files on the staging bucket.

    Reads: `docpipe.*` rows with `updated_at` in [data_interval_start, data_interval_end).
    Writes: `s3://<staging>/warehouse/<table>/interval=<start>/part-0.parquet` (rerun overwrites).
    Returns: rows and file URI per table.
    """

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.config import Settings
        from docpipe.connections import aws_client, postgres_connection
        from docpipe.warehouse.load import export_changes

        settings = Settings.from_env()
        start, end = _interval(context)
        with contextlib.closing(postgres_connection(settings)) as pg:
            exported = export_changes(pg, aws_client("s3", settings), settings.staging_bucket, start, end,
                                      context["run_id"])  # fmt: skip
        self.log.info("exported %s", {t: v["rows"] for t, v in exported.items()})
        return exported


class CopyIntoRawOperator(BaseOperator):
    """Loads the interval's Parquet files into Snowflake RAW with COPY INTO (replacing the interval)."""

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
    """MERGEs the interval's RAW rows into the CURATED facts and dimensions."""

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.config import Settings
        from docpipe.warehouse.connection import snowflake_connection
        from docpipe.warehouse.load import merge_curated

        settings = Settings.from_env()
        start, _ = _interval(context)
        with snowflake_connection(settings.snowflake_conn_id) as sf:
            merged = merge_curated(sf, start)
        self.log.info("MERGE into CURATED: %s", merged)
        return merged


class ReconcileWarehouseOperator(BaseOperator):
    """Compares Postgres and CURATED for the interval; fails the run when they disagree."""

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.config import Settings
        from docpipe.connections import postgres_connection
        from docpipe.warehouse.connection import snowflake_connection
        from docpipe.warehouse.load import reconcile

        settings = Settings.from_env()
        start, end = _interval(context)
        with (
            contextlib.closing(postgres_connection(settings)) as pg,
            snowflake_connection(settings.snowflake_conn_id) as sf,
        ):
            result = reconcile(pg, sf, start, end)
        self.log.info("reconciliation: %s", result)
        if not result.get("ok"):
            raise AirflowFailException(f"Snowflake CURATED does not match Postgres for [{start}, {end}): {result}")
        return result
