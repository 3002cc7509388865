"""PostgreSQL for the local stack: the machine's server on 127.0.0.1:5432 when it answers, otherwise
a private cluster built from the system's binaries inside the project's working folder."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    private: bool

    def dsn(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


def _answers(host: str, port: int, user: str) -> bool:
    try:
        with psycopg.connect(f"postgresql://{user}@{host}:{port}/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(
            f"no PostgreSQL server is reachable and `{name}` is not installed; "
            "install it (Debian: apt-get install postgresql) or point DOCPIPE_PG_HOST/DOCPIPE_PG_PORT at a server"
        )
    return found


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the `postgres` system user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def ensure_server(workdir: Path) -> PgServer:
    """Find or start a server. Honours DOCPIPE_PG_HOST/PORT/USER when set."""
    host = os.environ.get("DOCPIPE_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("DOCPIPE_PG_PORT", "5432"))
    user = os.environ.get("DOCPIPE_PG_USER", "postgres")
    if _answers(host, port, user):
        return PgServer(host, port, user, private=False)

    private_port = int(os.environ.get("DOCPIPE_PRIVATE_PG_PORT", "54329"))
    datadir = workdir / "pgdata"
    if _answers("127.0.0.1", private_port, "postgres"):
        return PgServer("127.0.0.1", private_port, "postgres", private=True)
    if not _free(private_port):
        raise RuntimeError(
            f"port {private_port} is taken by something that is not PostgreSQL; set DOCPIPE_PRIVATE_PG_PORT"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    if not (datadir / "PG_VERSION").exists():
        datadir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(datadir, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            _as_postgres_user([_bin("initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True, capture_output=True,
        )  # fmt: skip
    log = datadir / "server.log"
    subprocess.run(
        _as_postgres_user([_bin("pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-o",
                           f"-p {private_port} -h 127.0.0.1 -k {datadir}", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    for _ in range(50):
        if _answers("127.0.0.1", private_port, "postgres"):
            return PgServer("127.0.0.1", private_port, "postgres", private=True)
        time.sleep(0.2)
    raise RuntimeError(f"the private PostgreSQL cluster did not start; see {log}")


def stop_private(workdir: Path) -> bool:
    datadir = workdir / "pgdata"
    if not (datadir / "postmaster.pid").exists():
        return False
    subprocess.run(_as_postgres_user([_bin("pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"]), capture_output=True)
    return True


def ensure_database(server: PgServer, name: str) -> None:
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: PgServer, name: str) -> None:
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
