"""Injected faults: every one ends with every store consistent and nothing lost or duplicated.

Each scenario uploads its own hour of documents, runs `document_ingest` (or `warehouse_load`) through
Airflow while a fault is injected, and reconciles S3, Postgres and DynamoDB (and Snowflake) against
what was uploaded. Recovery is by botocore's retries, docpipe's own retries, Airflow task retries
(delays shortened to a second, counts unchanged) or a rerun of the interval. When the retries are
exhausted the run must fail, never report success.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from docpipe.config import Settings
from docpipe.models import document_id_for

from .faults import (
    DDB_INTERNAL,
    S3_INTERNAL,
    SLOW_DOWN,
    THROTTLED,
    FaultProxy,
    PostgresKiller,
    Rule,
    fakesnow_locked,
)
from .harness import (
    StoreState,
    env,
    ingest_run_row,
    load_dag,
    reconcile,
    run_ingest,
    task_states,
    warehouse_logical_date,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAY = datetime(2026, 3, 16, tzinfo=UTC)
TENANTS = ["acme", "globex"]


@pytest.fixture(scope="module")
def ledger(airflow_db: Any) -> dict[str, str]:
    """Every object uploaded by this module's scenarios, with its expected outcome."""
    airflow_db.reset()
    return {}


def _upload_hour(s3: Any, ledger: dict[str, str], hour: datetime, n: int, seed: int, bad: int = 1) -> list[str]:
    from docpipe.samples.generator import generate_documents

    settings = Settings.from_env()
    keys = []
    for d in generate_documents(n, tenants=TENANTS, seed=seed, scanned_share=0.0, bad=bad):
        key = f"{settings.uploads_prefix}/{d.tenant_id}/{hour:%Y/%m/%d/%H}/{d.filename}"
        s3.put_object(Bucket=settings.uploads_bucket, Key=key, Body=d.data, ContentType=d.content_type)
        ledger[key] = "processed" if d.kind != "bad" else d.truth["reason"]
        keys.append(key)
    return keys


def _assert_consistent(airflow_db: Any, s3: Any, ddb: Any, ledger: dict[str, str], *, warehouse: bool = False) -> Any:
    state = StoreState.read(airflow_db.app_dsn, s3, ddb, warehouse=warehouse)
    rec = reconcile(state, ledger)
    assert rec.ok, rec
    return rec


def test_transient_s3_and_dynamodb_faults_are_retried_inside_the_run(
    ledger: dict[str, str], proxy: FaultProxy, airflow_db: Any, s3_direct: Any, dynamodb_direct: Any
) -> None:
    hour = DAY.replace(hour=1)
    keys = _upload_hour(s3_direct, ledger, hour, 10, seed=101)
    proxy.add(Rule("s3", "ListObjectsV2", error=SLOW_DOWN, times=1))
    proxy.add(Rule("s3", "GetObject", error=S3_INTERNAL, times=4))
    proxy.add(Rule("s3", "GetObject", delay=0.3, probability=0.3))  # slow responses
    proxy.add(
        Rule("s3", "PutObject", error=SLOW_DOWN, times=1, when=lambda c: c.bucket != Settings.from_env().uploads_bucket)
    )
    proxy.add(Rule("s3", "PutObject", drop_response=True, times=2))  # written, but the client never hears
    proxy.add(Rule("s3", "CopyObject", reset=True, times=1))  # the quarantine copy's connection drops
    proxy.add(Rule("dynamodb", "PutItem", error=THROTTLED, times=3))
    proxy.add(Rule("dynamodb", "PutItem", error=DDB_INTERNAL, times=2))
    proxy.add(Rule("dynamodb", "PutItem", drop_response=True, times=2))

    dr = run_ingest(hour)

    assert dr.state == "success"
    fired = {(s, op, a) for (s, op, a) in proxy.fired}
    for want in [("s3", "ListObjectsV2", "SlowDown"), ("s3", "GetObject", "InternalError"), ("s3", "GetObject", "delay"),
                 ("s3", "PutObject", "SlowDown"), ("s3", "PutObject", "drop_response"), ("s3", "CopyObject", "reset"),
                 ("dynamodb", "PutItem", "ProvisionedThroughputExceededException"),
                 ("dynamodb", "PutItem", "InternalServerError"), ("dynamodb", "PutItem", "drop_response")]:  # fmt: skip
        assert want in fired, f"fault {want} was never injected: {proxy.fired}"
    # recovered by client retries: no task needed a second attempt
    assert {tries for _, tries in task_states(dr).values()} == {1}
    run = ingest_run_row(airflow_db.app_dsn, dr)
    assert (run["listed"], run["missing"], run["status"]) == (len(keys), 0, "success")
    _assert_consistent(airflow_db, s3_direct, dynamodb_direct, ledger)


def test_postgres_connection_killed_mid_batch_is_retried(
    ledger: dict[str, str], proxy: FaultProxy, airflow_db: Any, s3_direct: Any, dynamodb_direct: Any
) -> None:
    hour = DAY.replace(hour=2)
    keys = _upload_hour(s3_direct, ledger, hour, 8, seed=102)
    killer = PostgresKiller(airflow_db.app_dsn, table="document_fields", times=1)
    with killer.armed():
        dr = run_ingest(hour)
    assert killer.killed == 1
    assert dr.state == "success"
    # every batch of the hour succeeded, after exactly one retry: the attempt whose connection was killed
    batches = [v for (task, _), v in task_states(dr).items() if task == "process_batch"]
    assert batches and all(state == "success" for state, _ in batches)
    assert sum(tries - 1 for _, tries in batches) == 1
    run = ingest_run_row(airflow_db.app_dsn, dr)
    assert (run["listed"], run["missing"], run["status"]) == (len(keys), 0, "success")
    # the killed transaction left nothing half-written: one row per document, children complete
    with psycopg.connect(airflow_db.app_dsn) as conn:
        orphans = conn.execute(
            """SELECT count(*) FROM docpipe.documents d
               WHERE d.status = 'processed' AND NOT EXISTS
                     (SELECT 1 FROM docpipe.moderation_results m WHERE m.document_id = d.document_id)"""
        ).fetchone()[0]
    assert orphans == 0
    _assert_consistent(airflow_db, s3_direct, dynamodb_direct, ledger)


def test_exhausted_retries_fail_the_run_and_a_rerun_recovers(
    ledger: dict[str, str], proxy: FaultProxy, airflow_db: Any, s3_direct: Any, dynamodb_direct: Any
) -> None:
    hour = DAY.replace(hour=3)
    keys = _upload_hour(s3_direct, ledger, hour, 6, seed=103)
    processed_bucket = Settings.from_env().processed_bucket
    # the results bucket answers 500 to every write of a result: botocore retries each call, Airflow
    # retries the task twice, then the run must fail with the documents unaccounted for
    outage = proxy.add(Rule("s3", "PutObject", error=S3_INTERNAL,
                            when=lambda c: c.bucket == processed_bucket and not (c.key or "").startswith("manifests/")))  # fmt: skip

    failed = run_ingest(hour)

    assert failed.state == "failed"
    batches = [v for (task, _), v in task_states(failed).items() if task == "process_batch"]
    assert batches and all(v == ("failed", 3) for v in batches)  # every batch task used up its retries
    assert outage.fired >= 3 * 4  # every attempt retried its writes inside botocore first
    run = ingest_run_row(airflow_db.app_dsn, failed)
    assert run is not None and run["status"] == "incomplete" and run["missing"] == len(keys)

    proxy.clear()
    rerun = run_ingest(hour, attempt=1)
    assert rerun.state == "success"
    run = ingest_run_row(airflow_db.app_dsn, rerun)
    assert (run["listed"], run["missing"], run["status"]) == (len(keys), 0, "success")
    _assert_consistent(airflow_db, s3_direct, dynamodb_direct, ledger)


def test_worker_killed_mid_task_then_rerun_converges(
    ledger: dict[str, str], fault_proxy: FaultProxy, airflow_db: Any, s3_direct: Any, dynamodb_direct: Any
) -> None:
    """A real `airflow dags test` process is SIGKILLed while its batch task is writing to DynamoDB (its
    results are on S3, nothing is in Postgres yet); a new run of the interval converges."""
    hour = DAY.replace(hour=4)
    keys = _upload_hour(s3_direct, ledger, hour, 6, seed=104)
    fault_proxy.clear()
    hold = threading.Event()
    gate = fault_proxy.add(Rule("dynamodb", "PutItem", hold=hold))
    airflow = Path(sys.executable).with_name("airflow")
    logical = (hour + timedelta(hours=1)).isoformat()
    proc = subprocess.Popen([str(airflow), "dags", "test", "document_ingest", logical],
                            env={**os.environ, **fault_proxy.environ()}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        for _ in range(600):  # wait for the worker to reach its writes; fail fast if it dies on its own
            if gate.seen.wait(timeout=1) or proc.poll() is not None:
                break
        assert gate.seen.is_set(), f"the worker never reached its DynamoDB writes (exit {proc.poll()})"
        before = StoreState.read(airflow_db.app_dsn, s3_direct, dynamodb_direct)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        fault_proxy.clear()  # releases the held calls of the dead worker (their connections are gone)
    assert proc.returncode == -signal.SIGKILL
    hour_keys = set(keys)
    assert not hour_keys & set(before.pg), "the worker was killed before its Postgres write"
    bucket = Settings.from_env().uploads_bucket
    written = [k for k in keys if before.results[document_id_for(k.split("/")[1], bucket, k)]]
    assert written, "the worker was killed after it wrote its results to S3"

    with fault_proxy.routing():
        dr = run_ingest(hour, attempt=7)
    assert dr.state == "success"
    run = ingest_run_row(airflow_db.app_dsn, dr)
    assert (run["listed"], run["missing"], run["status"]) == (len(keys), 0, "success")
    _assert_consistent(airflow_db, s3_direct, dynamodb_direct, ledger)


def test_dynamodb_throttling_and_partial_failures_are_retried_not_dropped() -> None:
    """The read-model writer with botocore's Stubber: some puts throttled or failing (a partial batch
    failure), retried per item until every item is written; a put that never succeeds raises."""
    import boto3
    from botocore.stub import Stubber

    from docpipe.storage import dynamodb

    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    refs = [_ref(i) for i in range(4)]
    items = [dynamodb.quarantined_item(_quarantined(r)) for r in refs]
    backoff = dynamodb.Backoff(attempts=4, sleep=lambda s: None)
    with Stubber(client) as stub:
        stub.add_response("put_item", {})
        stub.add_client_error("put_item", "ProvisionedThroughputExceededException", http_status_code=400)
        stub.add_response("put_item", {})
        stub.add_client_error("put_item", "InternalServerError", http_status_code=500)
        stub.add_client_error("put_item", "ThrottlingException", http_status_code=400)
        stub.add_response("put_item", {})
        stub.add_client_error("put_item", "ConditionalCheckFailedException", http_status_code=400)  # newer exists
        result = dynamodb.write_items(client, "t", items, workers=1, backoff=backoff)
        stub.assert_no_pending_responses()
    assert (result.written, result.stale) == (3, 1)

    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_client_error("put_item", "ProvisionedThroughputExceededException", http_status_code=400)
        with pytest.raises(dynamodb.DynamoWriteError):
            dynamodb.write_items(client, "t", items[:1], workers=1, backoff=backoff)
    with Stubber(client) as stub:
        stub.add_client_error("put_item", "ValidationException", http_status_code=400)
        with pytest.raises(Exception, match="ValidationException"):
            dynamodb.write_items(client, "t", items[:1], workers=1, backoff=backoff)


def _ref(i: int) -> Any:
    from docpipe.models import ObjectRef

    return ObjectRef("acme", "docpipe-uploads", f"uploads/acme/2026/03/16/05/doc-{i}.pdf", 10, f"etag{i}",
                     DAY.replace(hour=5, minute=i))  # fmt: skip


def _quarantined(ref: Any) -> Any:
    from docpipe.models import QuarantinedDocument

    return QuarantinedDocument(ref, None, "corrupt", "damaged", None)


def test_snowflake_unavailable_fails_the_load_then_retry_recovers(
    ledger: dict[str, str], airflow_db: Any, s3_direct: Any, dynamodb_direct: Any
) -> None:
    """The fakesnow database is locked by another process for the whole nightly run: every attempt of
    the first warehouse step fails, the run fails. Rerun with the lock released by the first retry:
    the load completes and Snowflake agrees with the other stores, nothing twice."""
    if not ledger:  # run on its own: give the warehouse an hour to load
        _upload_hour(s3_direct, ledger, DAY.replace(hour=6), 4, seed=106)
        assert run_ingest(DAY.replace(hour=6)).state == "success"
    db_dir = Path(os.environ["DOCPIPE_FAKESNOW_PATH"])
    logical = warehouse_logical_date()
    with env(DOCPIPE_FAKESNOW_LOCK_TIMEOUT="1"), fakesnow_locked(db_dir):
        failed = load_dag("warehouse_load", retries=1).test(logical_date=logical)
    assert failed.state == "failed"
    states = task_states(failed)
    sf_failures = [t for t, (state, tries) in states.items() if state == "failed" and tries == 2]
    assert sf_failures, states

    released: list[bool] = []
    with env(DOCPIPE_FAKESNOW_LOCK_TIMEOUT="1"), fakesnow_locked(db_dir) as release:
        dag = load_dag("warehouse_load", retries=1)

        def on_retry(context: Any) -> None:
            release()
            released.append(True)

        for task in dag.tasks:
            task.on_retry_callback = [on_retry]
        dr = dag.test(logical_date=logical)
    assert released, "no task was retried: the lock never got in the way"
    assert dr.state == "success", task_states(dr)
    _assert_consistent(airflow_db, s3_direct, dynamodb_direct, ledger, warehouse=True)
