"""document_ingest on Airflow's CeleryExecutor: a real scheduler, DAG processor and execution API server,
two Celery workers on a Redis broker, and the session's Postgres metadata DB as the Celery result backend.

The hour's batches must run on both workers, and what the run leaves in the stores (Postgres rows, DynamoDB
items, result and quarantine objects, the run's accounting) must equal what a LocalExecutor run of the same
hour on the same uploads leaves, apart from run ids and timings. The LocalExecutor run goes through the
same scheduler (restarted with LocalExecutor) rather than `dag.test()`: both runs then take the same path
through Airflow, and `dag.test()` of this DAG failed here after the DAG processor had serialized it (Airflow
3.3.2 passed a deadline alert's definition where its id belongs, in DagRun.update_state).

Redis: `DOCPIPE_TEST_REDIS_URL` when set (CI points it at its Redis service), otherwise a private
`redis-server` on a free port started for this module, so that no other test session's workers can
take these tasks from a shared queue.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from docpipe.config import Settings

# Two full runs of the DAG plus five Airflow processes: minutes on an idle machine, far more on a loaded one.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

DAG_ID = "document_ingest"
HOUR = datetime(2026, 3, 15, 7, tzinfo=UTC)  # an hour no other test seeds
LOGICAL_DATE = HOUR + timedelta(hours=1)  # a manual run processes the complete hour before it
GOOD, BAD, BATCH_SIZE = 4, 2, 2  # 6 documents -> 3 batches, two at a time (max_active_tis_per_dagrun)
WORKERS = ("w1", "w2")
RUN_TIMEOUT_S = 600  # per run; generous because CI machines are shared and OCR is CPU-bound
AIRFLOW = str(Path(sys.executable).with_name("airflow"))

# Every worker runs on this one machine, so the default hostname callable (the FQDN) would record the same
# host for both. A worker on its own host or container reports its own name; here each worker process
# reports the name in DOCPIPE_TEST_WORKER_NAME, through [core] hostname_callable.
IDENTITY_MODULE = "docpipe_celery_test_identity"
IDENTITY_SOURCE = 'import os\n\n\ndef hostname():\n    return os.environ["DOCPIPE_TEST_WORKER_NAME"]\n'


_T0 = time.monotonic()


def _phase(what: str) -> None:
    """Progress on stdout (shown with -s or on failure): where the minutes go on a loaded machine."""
    print(f"[celery test +{time.monotonic() - _T0:6.1f}s] {what}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_ping(url: str, timeout: float = 10.0) -> bool:
    import redis

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if redis.Redis.from_url(url, socket_timeout=1).ping():
                return True
        except redis.RedisError:
            time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DOCPIPE_TEST_REDIS_URL")
    if url:
        if not _redis_ping(url):
            pytest.fail(f"DOCPIPE_TEST_REDIS_URL={url} does not answer PING")
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("the Celery test needs Redis: install redis-server (`make system-deps` does) "
                    "or set DOCPIPE_TEST_REDIS_URL to a Redis it may use")  # fmt: skip
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    pidfile = folder / "redis.pid"
    subprocess.run(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes",
         "--dir", str(folder), "--pidfile", str(pidfile), "--logfile", str(folder / "redis.log")],
        check=True,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        assert _redis_ping(url), f"redis-server did not answer on port {port}; see {folder / 'redis.log'}"
        yield url
    finally:
        for _ in range(50):  # the daemon writes its pid file just after it forks
            if pidfile.exists():
                os.kill(int(pidfile.read_text()), signal.SIGTERM)
                break
            time.sleep(0.1)


@dataclass
class Component:
    name: str
    proc: subprocess.Popen
    log: Path
    stopped: bool = False  # on purpose, by CeleryCluster.stop


@dataclass
class CeleryCluster:
    """The Airflow components of the Celery deployment, each a process group of its own."""

    env: dict[str, str]
    folder: Path
    components: list[Component] = field(default_factory=list)

    def start(self, name: str, *args: str, extra_env: dict[str, str] | None = None) -> Component:
        log = self.folder / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen([AIRFLOW, *args], env={**self.env, **(extra_env or {})}, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True)  # fmt: skip
        component = Component(name, proc, log)
        self.components.append(component)
        return component

    def check_alive(self) -> None:
        dead = [c for c in self.components if not c.stopped and c.proc.poll() is not None]
        if dead:
            pytest.fail("Airflow component(s) exited:\n" + "\n".join(self.tail(c) for c in dead))

    def tail(self, c: Component, lines: int = 40) -> str:
        text = c.log.read_text(errors="replace").splitlines() if c.log.exists() else []
        return f"---- {c.name} (exit {c.proc.poll()}), last lines of {c.log}:\n" + "\n".join(text[-lines:])

    def stop(self, *names: str) -> None:
        """Stop the named components (all when none is named), in the order they were started."""
        chosen = [c for c in self.components if not names or c.name in names]
        for c in chosen:
            c.stopped = True
            if c.proc.poll() is None:
                os.killpg(c.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for c in chosen:
            try:
                c.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(c.proc.pid, signal.SIGKILL)
                c.proc.wait()


def _wait(what: str, condition, cluster: CeleryCluster, timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.check_alive()
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(
        f"timed out after {timeout:.0f}s waiting for {what}\n" + "\n".join(map(cluster.tail, cluster.components))
    )


def _metadata_dsn(stack) -> str:
    return stack.pg.dsn(stack.airflow_db)


def _query(stack, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(_metadata_dsn(stack), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _celery_env(stack, redis_url: str, folder: Path) -> dict[str, str]:
    api_port = _free_port()
    sql_alchemy_conn = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    (folder / f"{IDENTITY_MODULE}.py").write_text(IDENTITY_SOURCE)
    return {
        **os.environ,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": redis_url,
        # The result backend is the metadata DB itself, as in docker-compose.yml.
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sql_alchemy_conn.replace("postgresql+psycopg2://", "postgresql://"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        # Generous timeouts: on a loaded 2-core machine the defaults (1 s to hand a task to the broker, 5 s for
        # an execution API call) fail and retry tasks that would have succeeded.
        "AIRFLOW__CELERY__OPERATION_TIMEOUT": "15",
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "default",
        # Task processes on the workers talk to the scheduler's world through this API server only; the
        # scheduler signs their tokens and the API server checks them, hence one shared secret.
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        # Only the run this test triggers: no scheduled runs when the DAG is unpaused.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{IDENTITY_MODULE}.hostname",
        "DOCPIPE_TEST_WORKER_NAME": "not-a-worker",
        "PYTHONPATH": os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p),
    }


@pytest.fixture(scope="module")
def cluster(airflow_db, redis_url, tmp_path_factory) -> Iterator[CeleryCluster]:
    folder = tmp_path_factory.mktemp("celery")
    cluster = CeleryCluster(_celery_env(airflow_db, redis_url, folder), folder)
    try:
        api = cluster.start("api-server", "api-server", "--apps", "execution")
        cluster.start("dag-processor", "dag-processor")
        cluster.start("scheduler", "scheduler")
        host = socket.gethostname()
        for w in WORKERS:
            cluster.start(w, "celery", "worker", "--celery-hostname", f"{w}@{host}", "--concurrency", "1",
                          "--queues", "default", "--skip-serve-logs",
                          extra_env={"DOCPIPE_TEST_WORKER_NAME": f"{w}@{host}"})  # fmt: skip
        port = int(cluster.env["AIRFLOW__API__PORT"])
        _phase("components started")
        _wait("the execution API server", lambda: _port_open(port), cluster, 120)
        assert api.proc.poll() is None
        _phase("execution API server up")
        _wait("both Celery workers to answer a ping", lambda: _workers_answering(redis_url) >= set(WORKERS),
              cluster, 120, every=2)  # fmt: skip
        _phase("both workers answer")
        _wait(f"the DAG processor to serialize {DAG_ID}",
              lambda: _query(airflow_db, "SELECT 1 FROM serialized_dag WHERE dag_id = %s", (DAG_ID,)), cluster, 120)  # fmt: skip
        _phase(f"{DAG_ID} serialized")
        yield cluster
    finally:
        cluster.stop()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _workers_answering(redis_url: str) -> set[str]:
    from celery import Celery

    app = Celery(broker=redis_url)
    try:
        replies = app.control.ping(timeout=1.0) or []
    finally:
        app.close()
    return {name.split("@", 1)[0] for reply in replies for name in reply}


# ---------------------------------------------------------------- the stores, before and after


def _reset_outputs(stack) -> None:
    """Empty everything document_ingest writes, keeping the uploads (same objects, same LastModified)."""
    from docpipe.localstack import bootstrap_resources

    settings = Settings.from_env()
    s3 = stack.s3()
    for bucket, prefix in ((settings.processed_bucket, ""), (settings.uploads_bucket, "quarantine/")):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    ddb = stack.dynamodb()
    ddb.delete_table(TableName=settings.dynamodb_table)
    ddb.get_waiter("table_not_exists").wait(TableName=settings.dynamodb_table)
    with psycopg.connect(stack.app_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS docpipe CASCADE")
    bootstrap_resources()


# Every column except run ids, created_at/updated_at and the extract/moderate timings.
SNAPSHOT_QUERIES = {
    "documents": """SELECT document_id, tenant_id, bucket, object_key, content_sha256, s3_etag, size_bytes, uploaded_at,
                           source_hour, status, document_type, type_confidence, page_count, ocr_page_count, engine,
                           engine_version, moderation_decision, result_uri
                    FROM docpipe.documents ORDER BY document_id""",
    "document_fields": """SELECT document_id, ordinal, content_sha256, field_type, mention_text, value_text,
                                 value_number, value_date, currency, confidence, page, bbox
                          FROM docpipe.document_fields ORDER BY document_id, ordinal""",
    "moderation_results": """SELECT document_id, content_sha256, decision, categories, reasons, pii_count, engine,
                                    engine_version
                             FROM docpipe.moderation_results ORDER BY document_id""",
    "pii_findings": """SELECT document_id, ordinal, pii_type, start_offset, end_offset
                       FROM docpipe.pii_findings ORDER BY document_id, ordinal""",
    "processing_errors": """SELECT document_id, tenant_id, object_key, content_sha256, reason, message, quarantine_uri
                            FROM docpipe.processing_errors ORDER BY document_id""",
    "pipeline_runs": """SELECT dag_id, interval_start, interval_end, listed, processed, quarantined, unchanged, missing,
                               batches, pages, ocr_pages, status
                        FROM docpipe.pipeline_runs ORDER BY dag_id, interval_start""",
}


def _snapshot(stack) -> dict[str, Any]:
    settings = Settings.from_env()
    with psycopg.connect(stack.app_dsn) as conn:
        state: dict[str, Any] = {name: conn.execute(sql).fetchall() for name, sql in SNAPSHOT_QUERIES.items()}
    s3 = stack.s3()

    def objects(bucket: str, prefix: str = "") -> list[tuple[str, str]]:
        return sorted(
            (o["Key"], o["ETag"])
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
            if not o["Key"].startswith("manifests/")  # named after the run id
        )

    state["results"] = objects(settings.processed_bucket)
    state["quarantine"] = objects(settings.uploads_bucket, "quarantine/")
    items = [
        i for page in stack.dynamodb().get_paginator("scan").paginate(TableName=settings.dynamodb_table)
        for i in page["Items"]
    ]  # fmt: skip
    state["dynamodb"] = sorted(items, key=lambda i: i["document_id"]["S"])
    return state


# ---------------------------------------------------------------- the test


def _trigger(conf: dict[str, Any], logical_date: datetime) -> str:
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunTriggeredByType
    from sqlalchemy import update

    run_id = f"celery_test__{secrets.token_hex(4)}"
    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id == DAG_ID).values(is_paused=False))
    with create_session() as session:
        # run_after, not logical_date, decides a manual run's data interval: the complete hour before it.
        # (Two runs of one DAG cannot share a logical date, so the second run's is a second later.)
        trigger_dag(DAG_ID, triggered_by=DagRunTriggeredByType.TEST, run_id=run_id, conf=conf,
                    logical_date=logical_date, run_after=LOGICAL_DATE, session=session)  # fmt: skip
    return run_id


def _run_to_end(stack, cluster: CeleryCluster, run_id: str) -> tuple[str, list[tuple]]:
    """Wait for the run to finish; return its state and its task instances (task, map index, state, host)."""
    state = _wait(
        f"run {run_id} to finish",
        lambda: next(
            (
                s
                for (s,) in _query(
                    stack, "SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (DAG_ID, run_id)
                )
                if s in ("success", "failed")
            ),
            None,
        ),  # fmt: skip
        cluster,
        RUN_TIMEOUT_S,
        every=2,
    )
    tis = _query(
        stack,
        "SELECT task_id, map_index, state, hostname FROM task_instance WHERE dag_id = %s AND run_id = %s",
        (DAG_ID, run_id),
    )
    return state, tis


def test_celery_workers_share_the_hour_and_match_a_local_run(airflow_db, cluster):
    from docpipe.samples.generator import generate_documents
    from docpipe.samples.upload import upload_documents

    airflow_db.reset()
    settings = Settings.from_env()
    uploaded = upload_documents(
        airflow_db.s3(),
        settings.uploads_bucket,
        generate_documents(GOOD, tenants=["acme", "globex"], seed=23, scanned_share=0.25, bad=BAD),
        hours=[HOUR],
    )
    expected_batches = -(-len(uploaded) // BATCH_SIZE)
    conf = {"batch_size": BATCH_SIZE}

    run_id = _trigger(conf, LOGICAL_DATE)
    _phase(f"triggered {run_id} (CeleryExecutor)")
    state, tis = _run_to_end(airflow_db, cluster, run_id)
    _phase(f"run finished: {state}")
    assert state == "success", f"{tis}\n" + "\n".join(map(cluster.tail, cluster.components))
    cluster.stop("scheduler", *WORKERS)

    host = socket.gethostname()
    worker_names = {f"{w}@{host}" for w in WORKERS}
    batches = [t for t in tis if t[0] == "process_batch"]
    assert len(batches) == expected_batches >= 3
    assert {t[2] for t in tis} == {"success"}
    assert {t[3] for t in tis} <= worker_names, "every task ran on one of the two Celery workers"
    assert {t[3] for t in batches} == worker_names, f"batches did not run on both workers: {batches}"
    # The same from the workers' side: each one's own log shows batch workloads it executed.
    for w in WORKERS:
        log = (cluster.folder / f"{w}.log").read_text(errors="replace")
        executed = [line for line in log.splitlines() if "Executing workload in Celery" in line]
        assert any("process_batch" in line and run_id in line for line in executed), f"{w} ran no batch"

    via_celery = _snapshot(airflow_db)
    assert len(via_celery["documents"]) == len(uploaded)
    assert via_celery["pipeline_runs"][0][3:8] == (len(uploaded), GOOD, BAD, 0, 0)

    # The same hour again with LocalExecutor, on the same uploads, into emptied stores.
    _reset_outputs(airflow_db)
    assert _snapshot(airflow_db)["documents"] == []
    cluster.start("scheduler-local", "scheduler", extra_env={
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        # LocalExecutor serves task logs itself: on a port of its own, not 8793.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "DOCPIPE_TEST_WORKER_NAME": f"local@{host}",
    })  # fmt: skip
    local_id = _trigger(conf, LOGICAL_DATE + timedelta(seconds=1))
    _phase(f"outputs reset; triggered {local_id} (LocalExecutor)")
    state, local_tis = _run_to_end(airflow_db, cluster, local_id)
    _phase(f"local run finished: {state}")
    assert state == "success", f"{local_tis}\n" + "\n".join(map(cluster.tail, cluster.components))
    assert {t[3] for t in local_tis} == {f"local@{host}"}, "the reference run used LocalExecutor"

    via_local = _snapshot(airflow_db)
    for part in via_celery:
        assert via_celery[part] == via_local[part], f"{part} differs between the Celery and the local run"
