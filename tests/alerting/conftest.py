"""A real Airflow for the alerting tests: scheduler, dag-processor, triggerer and API server
(LocalExecutor) on free ports, against the session's local stack, with

- its own metadata database (created here, dropped afterwards), so its runs, deadlines and
  callbacks never mix with the `dag.test()` runs of the other tests;
- a DAGs folder holding the test DAGs of tests/alerting/dags/ plus the real dags/document_ingest.py;
- the project's plugins folder (the `docpipe_alerts` plugin);
- docpipe's alerts posted to an `AlertReceiver` (the local stack's webhook receiver, in a thread),
  Sentry events sent to the same receiver standing in for a DSN, and StatsD metrics sent to a UDP
  receiver in this process.

DAGs are created paused; the tests unpause and trigger what they need through the REST API.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from docpipe.bench.stack import wait_for
from docpipe.localstack.statsd_receiver import StatsdReceiver

ROOT = Path(__file__).resolve().parents[2]
TEST_DAGS = Path(__file__).resolve().parent / "dags"
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
STARTUP_TIMEOUT = float(os.environ.get("DOCPIPE_TEST_AIRFLOW_STARTUP_TIMEOUT", "420"))


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AirflowUnderTest:
    base_url: str
    env: dict[str, str]
    workdir: Path
    metadata_dsn: str
    receiver: Any
    statsd: StatsdReceiver
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _token: str | None = None

    # ------------------------------------------------------------ REST
    def token(self) -> str:
        if self._token is None:
            body = json.dumps({"username": "admin", "password": "admin"}).encode()
            req = urllib.request.Request(f"{self.base_url}/auth/token", data=body,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(req, timeout=60) as r:
                self._token = json.loads(r.read())["access_token"]
        return self._token

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.base_url}/api/v2{path}", data=data, method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token()}"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path} -> {e.code}: {e.read()[:2000]!r}") from None
        return json.loads(raw) if raw else None

    # ------------------------------------------------------------ metadata DB
    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.metadata_dsn, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> int:
        import psycopg

        with psycopg.connect(self.metadata_dsn, autocommit=True) as conn:
            return conn.execute(sql, params).rowcount

    def logs(self, component: str, tail: int = 30) -> str:
        path = self.workdir / f"{component}.log"
        return "".join(path.read_text(errors="replace").splitlines(keepends=True)[-tail:]) if path.exists() else ""

    def diagnostics(self) -> str:
        return "\n".join(f"----- {c} (last lines)\n{self.logs(c)}" for c in COMPONENTS)


def _wait(what: str, check, timeout: float, airflow: AirflowUnderTest | None = None, interval: float = 1.0):
    """`wait_for`, failing the test with the machine's load (and Airflow's diagnostics) on a timeout."""
    try:
        return wait_for(what, check, timeout, interval, diagnostics=airflow.diagnostics if airflow else None)
    except TimeoutError as e:
        raise AssertionError(f"{e}\nload: {os.getloadavg()}") from None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _record_cpu(af: AirflowUnderTest) -> None:
    """CPU seconds used by each component and its finished children (task processes), written to
    <workdir>/cpu.json: on a machine shared with other test runs, wall time says little."""
    tick = os.sysconf("SC_CLK_TCK")
    groups = {proc.pid: name for name, proc in af.procs.items()}  # each component leads its process group
    usage = dict.fromkeys(groups.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = groups.get(int(fields[2]))
            if name:  # utime + stime + cutime + cstime (the last two: finished task processes)
                usage[name] += sum(int(f) for f in fields[11:15]) / tick
        except (OSError, IndexError, ValueError):
            continue
    usage = {k: round(v, 1) for k, v in usage.items()}
    (af.workdir / "cpu.json").write_text(json.dumps({"cpu_seconds": usage, "load": os.getloadavg()}))


@pytest.fixture(scope="session")
def alerting_airflow(stack, pytestconfig) -> Iterator[AirflowUnderTest]:
    from docpipe.localstack import alert_receiver
    from docpipe.localstack.postgres import drop_database, ensure_database

    workdir = stack.workdir / "alerting"
    dags = workdir / "dags"
    home = workdir / "airflow"
    for d in (dags, home):
        d.mkdir(parents=True, exist_ok=True)
    for src in [*sorted(TEST_DAGS.glob("*.py")), ROOT / "dags" / "document_ingest.py"]:
        link = dags / src.name
        if not link.exists():
            link.symlink_to(src)
    (home / "passwords.json").write_text(json.dumps({"admin": "admin"}))

    db = f"{stack.airflow_db}_alerting"
    ensure_database(stack.pg, db)
    dsn = stack.pg.dsn(db)
    receiver = alert_receiver.AlertReceiver(workdir / "received").start()
    statsd = StatsdReceiver().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **alert_receiver.stack_env(receiver.port),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn.replace("postgresql://", "postgresql+psycopg2://"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        # Every component must sign and check task tokens with the same secret.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__API__WORKERS": "1",
        # Log servers default to 8793/8794 on all interfaces: other Airflows on this machine use those.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # A busy 2-core machine parses slowly; the default 50 s kills the parse of document_ingest.
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "180",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "170",
        # Under load the API server answers slowly; the default 5 s makes tasks fail before they start.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": str(statsd.port),
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        "DOCPIPE_ALERT_ENVIRONMENT": "test",
        "DOCPIPE_DEADLINES": "on",  # the session may switch them off for dag.test()
        "DOCPIPE_TEST_DEADLINE_SECONDS": "15",
        "DOCPIPE_TEST_SLEEP_SECONDS": "30",
    }
    af = AirflowUnderTest(base_url=base, env=env, workdir=workdir, metadata_dsn=dsn, receiver=receiver,
                          statsd=statsd)  # fmt: skip
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    try:
        migrate = subprocess.run([airflow_bin, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        for component in COMPONENTS:
            with open(workdir / f"{component}.log", "ab") as log:
                af.procs[component] = subprocess.Popen([airflow_bin, component], env=env, stdout=log,
                                                       stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

        def ready() -> bool:
            for name, proc in af.procs.items():
                if proc.poll() is not None:
                    raise AssertionError(f"airflow {name} exited with {proc.returncode}:\n{af.logs(name)}")
            with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5) as r:
                health = json.loads(r.read())
            parsed = {d["dag_id"] for d in af.api("GET", "/dags?limit=100")["dags"]}
            return (
                health.get("triggerer", {}).get("status") == "healthy"
                and health.get("scheduler", {}).get("status") == "healthy"
                and {"alerting_late", "alerting_fail", "document_ingest"} <= parsed
            )

        _wait("Airflow to start and parse the DAGs", ready, STARTUP_TIMEOUT, af, interval=2)
        yield af
    finally:
        _record_cpu(af)
        for proc in af.procs.values():
            _stop(proc)
        receiver.stop()
        statsd.stop()
        drop_database(stack.pg, db)
        stack.reset()  # leave the stores as empty as the other tests expect them


@pytest.fixture(scope="session")
def wait():
    return _wait
