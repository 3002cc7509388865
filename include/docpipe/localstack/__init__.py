"""The local stack: everything docpipe needs on one machine, no cloud account.

- PostgreSQL: the machine's server, or a private cluster (see `postgres.py`);
  databases `docpipe` (application) and `docpipe_airflow` (Airflow's metadata).
- S3 and DynamoDB: a moto server on loopback (state in memory: stopping it forgets the objects).
- Snowflake: fakesnow in-process, persisted to DuckDB files under `.docpipe/snowflake`.
- Airflow: configured only through environment variables, its home in `.docpipe/airflow`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from docpipe.config import PROJECT_ROOT, Settings
from docpipe.localstack.postgres import PgServer, ensure_database, ensure_server
from docpipe.storage.roles import PIPELINE_USER

APP_DB = "docpipe"
AIRFLOW_DB = "docpipe_airflow"


def home() -> Path:
    return Path(os.environ.get("DOCPIPE_HOME", PROJECT_ROOT / ".docpipe")).resolve()


def moto_port() -> int:
    return int(os.environ.get("DOCPIPE_MOTO_PORT", "5055"))


def airflow_port() -> int:
    return int(os.environ.get("DOCPIPE_AIRFLOW_PORT", "8080"))


def stack_env(pg: PgServer, *, workdir: Path | None = None, moto: int | None = None,
              app_db: str = APP_DB, airflow_db: str = AIRFLOW_DB) -> dict[str, str]:  # fmt: skip
    """The environment that points Airflow and docpipe at the local stack."""
    workdir = workdir or home()
    moto = moto or moto_port()
    endpoint = f"http://127.0.0.1:{moto}"
    aws_conn = {"conn_type": "aws", "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
    snowflake_conn = {
        "conn_type": "snowflake", "login": "docpipe_loader", "password": "local-only",
        "extra": {"account": "local", "database": "DOCPIPE", "warehouse": "LOAD_WH", "role": "LOADER"},
    }  # fmt: skip
    api = f"http://127.0.0.1:{airflow_port()}"
    return {
        "DOCPIPE_HOME": str(workdir),
        "AIRFLOW_HOME": str(workdir / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(workdir / "airflow" / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(airflow_port()),
        "AIRFLOW__API__BASE_URL": api,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.dsn(airflow_db).replace("postgresql://", "postgresql+psycopg2://"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(workdir / "airflow" / "logs"),
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws_conn),
        # The pipeline logs in as a member of docpipe_writer (row-level security applies to it);
        # only migrations and role set-up use the administrator's connection.
        "AIRFLOW_CONN_DOCPIPE_POSTGRES": f"postgresql://{PIPELINE_USER}@{pg.host}:{pg.port}/{app_db}",
        "DOCPIPE_PG_ADMIN_DSN": pg.dsn(app_db),
        "AIRFLOW_CONN_SNOWFLAKE_DEFAULT": json.dumps(snowflake_conn),
        "AWS_ACCESS_KEY_ID": "docpipe-local",
        "AWS_SECRET_ACCESS_KEY": "docpipe-local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "DOCPIPE_SNOWFLAKE_BACKEND": "fakesnow",
        "DOCPIPE_FAKESNOW_PATH": str(workdir / "snowflake"),
        "OMP_THREAD_LIMIT": "1",
        "TMPDIR": str(workdir / "tmp"),
    }


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def moto_running(port: int | None = None) -> bool:
    port = port or moto_port()
    # `/moto-api/` (the dashboard) answers at once; `/moto-api/data.json` grows slow with stored data
    # and answers 500 for good after a multipart upload, so it cannot tell moto from a stranger.
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=5) as r:
            return r.status == 200 and b"moto" in r.read(65536).lower()
    except OSError:
        return False


def start_moto(workdir: Path | None = None, port: int | None = None) -> int:
    """Start the moto server in the background (idempotent); returns its port."""
    workdir, port = workdir or home(), port or moto_port()
    if moto_running(port):
        return port
    if _port_open(port):
        raise RuntimeError(f"port {port} is in use by something other than moto; set DOCPIPE_MOTO_PORT to a free port")
    workdir.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).with_name("moto_server")
    with open(workdir / "moto.log", "ab") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log,
                                start_new_session=True)  # fmt: skip
    (workdir / "moto.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + float(os.environ.get("DOCPIPE_START_TIMEOUT", "120"))
    while time.monotonic() < deadline:  # a busy machine can take tens of seconds to import moto
        if moto_running(port):
            return port
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"moto server did not start on port {port}; see {workdir / 'moto.log'}")


def _stop_pidfile(pidfile: Path, sig: int = signal.SIGINT) -> bool:
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text())
        os.killpg(pid, sig)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, ValueError, PermissionError):
        pass
    pidfile.unlink(missing_ok=True)
    return True


def stop_moto(workdir: Path | None = None) -> bool:
    return _stop_pidfile((workdir or home()) / "moto.pid")


@dataclass
class StackStatus:
    postgres: str
    moto: str
    snowflake: str
    airflow: str


def bootstrap_resources(settings: Settings | None = None) -> None:
    """Create buckets, the DynamoDB table, the Postgres schema and the Snowflake objects (idempotent).

    Expects the process environment to point at the stack (see `stack_env`)."""
    from docpipe.connections import admin_dsn, aws_client
    from docpipe.storage import dynamodb, migrations, roles
    from docpipe.warehouse import apply_ddl
    from docpipe.warehouse.connection import snowflake_connection

    settings = settings or Settings.from_env()
    s3 = aws_client("s3", settings)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (settings.uploads_bucket, settings.processed_bucket, settings.staging_bucket):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
    dynamodb.ensure_table(aws_client("dynamodb", settings), settings.dynamodb_table)
    admin = admin_dsn(settings)
    migrations.upgrade(admin)
    roles.ensure_login(admin, roles.PIPELINE_USER, roles.WRITER_ROLE)
    roles.ensure_login(admin, roles.REPORTING_USER, roles.REPORTING_ROLE)
    Path(os.environ.get("DOCPIPE_FAKESNOW_PATH", home() / "snowflake")).mkdir(parents=True, exist_ok=True)
    with snowflake_connection(settings.snowflake_conn_id) as conn:
        apply_ddl(conn, staging_bucket=settings.staging_bucket)


def up(*, with_airflow_db: bool = True) -> dict[str, str]:
    """Start what is missing, create every resource, and return the stack's environment.

    The calling process's environment is updated too, so hooks and clients see the stack."""
    workdir = home()
    for sub in ("airflow", "snowflake", "tmp"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    passwords = workdir / "airflow" / "passwords.json"
    if not passwords.exists():  # the local UI's login; a real deployment uses its own auth manager
        passwords.write_text(json.dumps({"admin": "admin"}))
    pg = ensure_server(workdir)
    ensure_database(pg, APP_DB)
    ensure_database(pg, AIRFLOW_DB)
    start_moto(workdir)
    env = stack_env(pg, workdir=workdir)
    os.environ.update(env)
    bootstrap_resources()
    if with_airflow_db:
        migrate_airflow_db(env)
    (workdir / "stack.env").write_text("".join(f"export {k}={_sh_quote(v)}\n" for k, v in sorted(env.items())))
    return env


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def migrate_airflow_db(env: dict[str, str]) -> None:
    airflow = Path(sys.executable).with_name("airflow")
    proc = subprocess.run([str(airflow), "db", "migrate"], env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"`airflow db migrate` failed:\n{proc.stderr[-3000:]}")


def start_airflow(env: dict[str, str]) -> int:
    """`airflow standalone` in the background: scheduler, dag-processor, triggerer and the UI."""
    workdir = Path(env["DOCPIPE_HOME"])
    port = int(env["AIRFLOW__API__PORT"])
    if _port_open(port):
        return port
    airflow = Path(sys.executable).with_name("airflow")
    # standalone starts its components as `airflow ...` found on PATH: make it this environment's.
    path = os.pathsep.join([str(airflow.parent), env.get("PATH", os.environ.get("PATH", ""))])
    with open(workdir / "airflow.log", "ab") as log:
        proc = subprocess.Popen([str(airflow), "standalone"], env={**os.environ, **env, "PATH": path},
                                stdout=log, stderr=log, start_new_session=True)  # fmt: skip
    (workdir / "airflow.pid").write_text(str(proc.pid))
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2):
                return port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    stop_airflow(workdir)  # never leave half an Airflow running against the metadata database
    raise RuntimeError(f"Airflow did not come up on port {port}; see {workdir / 'airflow.log'}")


def stop_airflow(workdir: Path | None = None) -> bool:
    return _stop_pidfile((workdir or home()) / "airflow.pid", signal.SIGTERM)


def status() -> StackStatus:
    workdir = home()
    from docpipe.localstack.postgres import _answers

    host = os.environ.get("DOCPIPE_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("DOCPIPE_PG_PORT", "5432"))
    if _answers(host, port, "postgres"):
        pg = f"up at {host}:{port} (machine server)"
    elif _answers("127.0.0.1", int(os.environ.get("DOCPIPE_PRIVATE_PG_PORT", "54329")), "postgres"):
        pg = "up (private cluster)"
    else:
        pg = "down"
    moto = f"up at http://127.0.0.1:{moto_port()}" if moto_running() else "down"
    sf_path = workdir / "snowflake"
    snowflake = f"fakesnow files in {sf_path}" if any(sf_path.glob("*.db")) else "not created yet"
    af = f"up at http://127.0.0.1:{airflow_port()}" if _port_open(airflow_port()) else "not running"
    return StackStatus(pg, moto, snowflake, af)
