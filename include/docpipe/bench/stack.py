"""A throwaway copy of the local stack for a benchmark, so that it never touches the demo's state.

It has its own working folder (DOCPIPE_HOME), its own moto server on a free port, its own application
and Airflow metadata databases on the machine's PostgreSQL, and, when asked, its own `airflow
standalone` on free ports. `close()` stops what it started and drops what it created.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check: Callable[[], T | None], timeout: float, interval: float = 1.0,
             diagnostics: Callable[[], str] | None = None) -> T:  # fmt: skip
    """Call `check` until it returns something truthy; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as e:  # a component that is still starting answers with errors
            last = e
        time.sleep(interval)
    extra = f"\n{diagnostics()}" if diagnostics else ""
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last})" if last else "")
                       + extra)  # fmt: skip


def as_uri(dsn: str) -> str:
    """A libpq DSN (URI or key=value) as a postgresql:// URI, the form Airflow connections take."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    p = conninfo_to_dict(dsn)
    auth = quote(str(p.get("user", "postgres")), safe="")
    if p.get("password"):
        auth += ":" + quote(str(p["password"]), safe="")
    return f"postgresql://{auth}@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/{p.get('dbname', 'postgres')}"


@dataclass
class BenchStack:
    name: str
    workdir: Path
    pg: Any  # docpipe.localstack.postgres.PgServer
    app_db: str
    airflow_db: str
    moto_port: int
    airflow_port: int
    env: dict[str, str]
    airflow_started: bool = False
    _client: Any = field(default=None, repr=False)

    @property
    def admin_dsn(self) -> str:
        """The application database as its owner (row-level security does not hide rows from it)."""
        return self.pg.dsn(self.app_db)

    # ------------------------------------------------------------------ Airflow
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.airflow_port}"

    def start_airflow(self, timeout: float = 600) -> None:
        """`airflow standalone` (scheduler, dag-processor, triggerer, API server; LocalExecutor) on this
        stack, then wait until the DAGs are parsed."""
        from docpipe import localstack

        self.airflow_started = True
        localstack.start_airflow(self.env)
        wait_for("Airflow to parse document_ingest", lambda: self._dag_parsed("document_ingest"), timeout,
                 interval=2, diagnostics=self.airflow_log_tail)  # fmt: skip

    def _dag_parsed(self, dag_id: str) -> bool:
        return any(d["dag_id"] == dag_id for d in self.api("GET", "/dags?limit=100")["dags"])

    def airflow_log_tail(self, lines: int = 40) -> str:
        log = self.workdir / "airflow.log"
        if not log.exists():
            return ""
        return "".join(log.read_text(errors="replace").splitlines(keepends=True)[-lines:])

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """One call of Airflow's REST API (/api/v2), through the client `docpipe backfill` uses."""
        from docpipe.commands.backfill import AirflowApi

        if self._client is None:
            self._client = AirflowApi(self.base_url, "admin", "admin", timeout=120)
        return self._client.request(method, f"/api/v2{path}", **({} if body is None else {"json": body}))

    # ------------------------------------------------------------------ teardown
    def close(self, keep: bool = False) -> None:
        from docpipe import localstack
        from docpipe.localstack.postgres import drop_database

        if self._client is not None:
            self._client.close()
        if self.airflow_started:
            localstack.stop_airflow(self.workdir)
        localstack.stop_moto(self.workdir)
        if keep:
            return
        for db in (self.app_db, self.airflow_db):
            with contextlib.suppress(Exception):  # a database still in use is dropped by the next create()
                drop_database(self.pg, db)
        shutil.rmtree(self.workdir, ignore_errors=True)


def create(name: str) -> BenchStack:
    """Start a private stack named `name` under <DOCPIPE_HOME>/bench-<name>, point this process at it,
    and create its buckets, table and schema. Call before anything imports Airflow in this process.

    DOCPIPE_BENCH_ID, when set, is appended to the name, so that runs sharing a PostgreSQL server
    (test sessions) get databases of their own."""
    from docpipe import localstack
    from docpipe.localstack.postgres import drop_database, ensure_database, ensure_server

    suffix = "".join(c for c in os.environ.get("DOCPIPE_BENCH_ID", "").lower() if c.isalnum() or c == "_")
    name = f"{name}_{suffix}" if suffix else name

    user_home = localstack.home()
    workdir = user_home / f"bench-{name}"
    from docpipe.localstack import stop_airflow, stop_moto

    stop_airflow(workdir)  # left over from an interrupted run of the same benchmark
    stop_moto(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    for sub in ("airflow", "snowflake", "tmp"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    (workdir / "airflow" / "passwords.json").write_text(json.dumps({"admin": "admin"}))

    pg = ensure_server(user_home)
    app_db, airflow_db = f"docpipe_bench_{name}", f"docpipe_bench_{name}_airflow"
    for db in (app_db, airflow_db):
        drop_database(pg, db)
        ensure_database(pg, db)
    moto, api = free_port(), free_port()
    localstack.start_moto(workdir, moto)
    env = localstack.stack_env(pg, workdir=workdir, moto=moto, app_db=app_db, airflow_db=airflow_db)
    base = f"http://127.0.0.1:{api}"
    env.update({
        "AIRFLOW_CONN_DOCPIPE_POSTGRES": as_uri(env["AIRFLOW_CONN_DOCPIPE_POSTGRES"]),
        "DOCPIPE_PG_ADMIN_DSN": pg.dsn(app_db),
        "DOCPIPE_MOTO_PORT": str(moto),
        "DOCPIPE_AIRFLOW_PORT": str(api),
        "AIRFLOW__API__PORT": str(api),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__API__WORKERS": "1",
        # Every component signs and checks task tokens with the same secret.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        # Log servers default to 8793/8794 on all interfaces, where the demo's Airflow may listen.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        # A loaded 2-core machine parses and answers slowly; the defaults fail tasks before they start.
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "180",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "170",
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
        "DOCPIPE_ALERT_CHANNELS": "log",
    })  # fmt: skip
    os.environ.update(env)
    try:
        localstack.bootstrap_resources()
    except Exception:
        stack = BenchStack(name, workdir, pg, app_db, airflow_db, moto, api, env)
        stack.close()
        raise
    return BenchStack(name, workdir, pg, app_db, airflow_db, moto, api, env)
