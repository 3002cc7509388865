"""Warehouse layer: Postgres -> S3 Parquet -> Snowflake RAW -> CURATED, plus analytics queries.

Production runs on Snowflake through Airflow's SnowflakeHook; locally the default backend is fakesnow
(DuckDB files under DOCPIPE_FAKESNOW_PATH). See connection.py for the environment it reads.
"""

from docpipe.warehouse.analytics import analytics_queries, run_analytics_query
from docpipe.warehouse.connection import is_fakesnow, snowflake_connection
from docpipe.warehouse.load import (
    STAGE,
    TABLES,
    WarehouseLoadError,
    WarehouseLoadSummary,
    copy_into_raw,
    export_changes,
    interval_key,
    load_interval,
    merge_curated,
    reconcile,
    staging_key,
)
from docpipe.warehouse.sqlfiles import apply_ddl, ensure_stage, stage_url_for

__all__ = [
    "STAGE",
    "TABLES",
    "WarehouseLoadError",
    "WarehouseLoadSummary",
    "analytics_queries",
    "apply_ddl",
    "copy_into_raw",
    "ensure_stage",
    "export_changes",
    "interval_key",
    "is_fakesnow",
    "load_interval",
    "merge_curated",
    "reconcile",
    "run_analytics_query",
    "snowflake_connection",
    "stage_url_for",
    "staging_key",
]
