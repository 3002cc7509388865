"""`WarehouseHook`: Airflow's SnowflakeHook, able to reach the local stand-in.

With DOCPIPE_SNOWFLAKE_BACKEND=snowflake (production) it is the stock SnowflakeHook. With the local
default (fakesnow) its `get_conn()` opens the in-process fakesnow on the DuckDB files under
DOCPIPE_FAKESNOW_PATH, like `snowflake_connection()`, so that the common-sql operators (the quality checks
of the nightly DAG) and `insert_rows` run unchanged against it. The stock hook cannot: it would dial the
account named in the connection. Closing the connection releases the DuckDB file lock.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook

from docpipe.warehouse.connection import _open_fakesnow, backend, fakesnow_path


class _LocalConnection:
    """A fakesnow connection that also closes its DuckDB instance (and so its file lock) on close()."""

    def __init__(self, instance: Any, conn: Any):
        self._instance = instance
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            self._instance.duck_conn.close()


class WarehouseHook(SnowflakeHook):
    """SnowflakeHook whose connection is the local fakesnow when DOCPIPE_SNOWFLAKE_BACKEND is fakesnow."""

    hook_name = "Snowflake (docpipe warehouse)"

    def get_conn(self) -> Any:
        if backend() == "fakesnow":
            return _LocalConnection(*_open_fakesnow(fakesnow_path()))
        return super().get_conn()
