"""Test harness: every test session gets its own local stack.

Before anything imports Airflow, the environment is pointed at a private working folder, a moto
server port and two throwaway Postgres databases; the `stack` fixture starts those services on
first use and removes them at the end. Unit tests never touch them.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SESSION = uuid.uuid4().hex[:8]
_WORKDIR = Path(tempfile.mkdtemp(prefix=f"docpipe-test-{_SESSION}-"))
APP_DB = f"docpipe_test_app_{_SESSION}"
AIRFLOW_DB = f"docpipe_test_airflow_{_SESSION}"


def pytest_configure(config: pytest.Config) -> None:
    os.environ["DOCPIPE_HOME"] = str(_WORKDIR)
    os.environ["DOCPIPE_MOTO_PORT"] = str(_free_port())
    os.environ["DOCPIPE_AIRFLOW_PORT"] = str(_free_port())
    (_WORKDIR / "tmp").mkdir(parents=True, exist_ok=True)
    # Decide the Postgres server now (Airflow reads its DB URL at import time); start it if needed.
    from docpipe.localstack import stack_env
    from docpipe.localstack.postgres import ensure_server

    pg = ensure_server(_WORKDIR)
    env = stack_env(pg, workdir=_WORKDIR, app_db=APP_DB, airflow_db=AIRFLOW_DB)
    env["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
    env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    # dag.test() cannot run a DAG that declares deadlines (apache/airflow#73428); tests of the
    # deadlines themselves build their own DAGs. Alerts go to the log, Sentry stays off.
    env["DOCPIPE_DEADLINES"] = "off"
    env["DOCPIPE_ALERT_CHANNELS"] = "log"
    env["AIRFLOW__SENTRY__SENTRY_ON"] = "False"
    env["DOCPIPE_PAGE_CACHE"] = str(_WORKDIR / "page-cache")  # evaluation never reads pages cached by a user's runs
    os.environ.update(env)
    config.stash[_PG_KEY] = pg


_PG_KEY = pytest.StashKey[object]()


class Stack:
    """The running local stack of this test session."""

    def __init__(self, pg: object) -> None:
        self.pg = pg
        self.workdir = _WORKDIR
        self.app_db = APP_DB
        self.airflow_db = AIRFLOW_DB

    @property
    def app_dsn(self) -> str:
        return self.pg.dsn(APP_DB)  # type: ignore[attr-defined]

    def s3(self):
        from docpipe.connections import aws_client

        return aws_client("s3")

    def dynamodb(self):
        from docpipe.connections import aws_client

        return aws_client("dynamodb")

    def reset(self) -> None:
        """Empty every store (between tests that need a clean slate)."""
        import shutil

        import psycopg

        from docpipe.config import Settings

        settings = Settings.from_env()
        s3 = self.s3()
        for bucket in (settings.uploads_bucket, settings.processed_bucket, settings.staging_bucket):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        ddb = self.dynamodb()
        ddb.delete_table(TableName=settings.dynamodb_table)
        ddb.get_waiter("table_not_exists").wait(TableName=settings.dynamodb_table)
        with psycopg.connect(self.app_dsn, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS docpipe CASCADE")
        shutil.rmtree(os.environ["DOCPIPE_FAKESNOW_PATH"], ignore_errors=True)
        from docpipe.localstack import bootstrap_resources

        bootstrap_resources()


@pytest.fixture(scope="session")
def stack(pytestconfig: pytest.Config) -> Iterator[Stack]:
    from docpipe import localstack
    from docpipe.localstack.postgres import drop_database, ensure_database

    pg = pytestconfig.stash[_PG_KEY]
    ensure_database(pg, APP_DB)
    ensure_database(pg, AIRFLOW_DB)
    localstack.start_moto(_WORKDIR)
    (_WORKDIR / "snowflake").mkdir(exist_ok=True)
    localstack.bootstrap_resources()
    yield Stack(pg)
    try:  # let go of Airflow's pooled connections before their database is dropped
        from airflow import settings

        settings.dispose_orm()
    except Exception:
        pass
    localstack.stop_moto(_WORKDIR)
    for db in (APP_DB, AIRFLOW_DB):
        drop_database(pg, db)


@pytest.fixture(scope="session")
def airflow_db(stack: Stack) -> Stack:
    """The Airflow metadata database, migrated (needed by dag.test())."""
    from docpipe.localstack import migrate_airflow_db

    migrate_airflow_db(dict(os.environ))
    return stack
