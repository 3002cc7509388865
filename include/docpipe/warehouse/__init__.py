"""Warehouse layer: Postgres -> S3 Parquet -> Snowflake RAW -> STAGING views -> CURATED, plus analytics.

Production runs on Snowflake through Airflow's SnowflakeHook; locally the default backend is fakesnow
(DuckDB files under DOCPIPE_FAKESNOW_PATH). See connection.py for the environment it reads and
docs/warehouse.md for the model and the load.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names resolve on first use (PEP 562): `docpipe.warehouse.model` is imported by the DAG file at parse
# time and must not drag in pyarrow or the Snowflake connector through this package.
_EXPORTS = {
    "analytics_queries": "analytics",
    "run_analytics_query": "analytics",
    "is_fakesnow": "connection",
    "snowflake_connection": "connection",
    "TABLES": "export",
    "export_changes": "export",
    "interval_key": "export",
    "stage_url_from_exported": "export",
    "STAGE": "load",
    "WarehouseLoadError": "load",
    "WarehouseLoadSummary": "load",
    "copy_into_raw": "load",
    "load_interval": "load",
    "merge_curated": "load",
    "CURATED_TABLES": "model",
    "run_checks": "model",
    "table_checks": "model",
    "reconcile": "reconciliation",
    "apply_ddl": "sqlfiles",
    "ensure_stage": "sqlfiles",
    "stage_url_for": "sqlfiles",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)


__all__ = [
    "CURATED_TABLES",
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
    "run_checks",
    "snowflake_connection",
    "stage_url_for",
    "stage_url_from_exported",
    "table_checks",
]
