"""Soak: hour after hour of uploads processed run after run while faults are injected at random, then
the nightly warehouse load, then a reconciliation of S3, Postgres, DynamoDB and Snowflake against
everything uploaded: zero missing, zero duplicated.

Bounded in time: new hours start until DOCPIPE_SOAK_SECONDS (default 60) have passed, at least
two. DOCPIPE_SOAK_SEED picks the fault schedule (printed, to replay a failure). A run that fails
(an outage outlasting the retries) is rerun once the fault is gone, as an operator would. Some hours
get a late arrival, picked up by rerunning that hour. The summary is written to
$DOCPIPE_HOME/soak-report.json.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from docpipe.config import Settings

from .faults import DDB_INTERNAL, S3_INTERNAL, SLOW_DOWN, THROTTLED, FaultProxy, PostgresKiller, Rule
from .harness import StoreState, ingest_run_row, reconcile, run_ingest, run_warehouse

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 3, 18, 0, tzinfo=UTC)
TENANTS = ["acme", "globex", "initech"]


def _random_faults(rng: random.Random, proxy: FaultProxy, processed_bucket: str) -> list[str]:
    """A random handful of faults for one run; returns their names."""
    menu = [
        ("s3 GetObject 500", lambda: Rule("s3", "GetObject", error=S3_INTERNAL, probability=0.15)),
        ("s3 GetObject slow", lambda: Rule("s3", "GetObject", delay=0.3, probability=0.2)),
        ("s3 ListObjectsV2 503", lambda: Rule("s3", "ListObjectsV2", error=SLOW_DOWN, times=1)),
        ("s3 PutObject response lost", lambda: Rule("s3", "PutObject", drop_response=True, probability=0.1)),
        ("s3 CopyObject reset", lambda: Rule("s3", "CopyObject", reset=True, times=1)),
        ("dynamodb throttled", lambda: Rule("dynamodb", "PutItem", error=THROTTLED, probability=0.15)),
        ("dynamodb 500", lambda: Rule("dynamodb", "PutItem", error=DDB_INTERNAL, probability=0.1)),
        ("dynamodb response lost", lambda: Rule("dynamodb", "PutItem", drop_response=True, probability=0.1)),
    ]
    chosen = rng.sample(menu, k=rng.randint(1, 4))
    if rng.random() < 0.15:  # an outage that outlasts every retry: the run must fail, the rerun recovers
        chosen.append(("results bucket outage", lambda: Rule(
            "s3", "PutObject", error=S3_INTERNAL,
            when=lambda c: c.bucket == processed_bucket and not (c.key or "").startswith("manifests/"))))  # fmt: skip
    for _, make in chosen:
        proxy.add(make())
    return [name for name, _ in chosen]


def test_soak_with_random_faults(
    airflow_db: Any, fault_proxy: FaultProxy, s3_direct: Any, dynamodb_direct: Any
) -> None:
    from docpipe.samples.generator import generate_documents

    budget = float(os.environ.get("DOCPIPE_SOAK_SECONDS", "60"))
    seed = int(os.environ.get("DOCPIPE_SOAK_SEED", "2026"))
    rng = random.Random(seed)
    proxy = fault_proxy
    proxy.clear()
    proxy.fired.clear()
    airflow_db.reset()
    settings = Settings.from_env()
    bucket, prefix = settings.uploads_bucket, settings.uploads_prefix
    ledger: dict[str, str] = {}
    scheduled: Counter[str] = Counter()  # faults armed, per kind
    fired: Counter[str] = Counter()  # faults that hit a call, per service, operation and action
    runs = failed_runs = late = 0
    started = time.monotonic()
    hour_index = 0

    def upload(hour: datetime, n: int, doc_seed: int, bad: int) -> None:
        for d in generate_documents(n, tenants=TENANTS, seed=doc_seed, scanned_share=0.0, bad=bad):
            key = f"{prefix}/{d.tenant_id}/{hour:%Y/%m/%d/%H}/{d.filename}"
            s3_direct.put_object(Bucket=bucket, Key=key, Body=d.data, ContentType=d.content_type)
            ledger[key] = "processed" if d.kind != "bad" else d.truth["reason"]

    def run(hour: datetime, attempt: int) -> Any:
        nonlocal runs, failed_runs
        proxy.clear()
        names = _random_faults(rng, proxy, settings.processed_bucket)
        killer = PostgresKiller(airflow_db.app_dsn, table=rng.choice(["documents", "document_fields"]),
                                times=1 if rng.random() < 0.3 else 0, seed=rng.randrange(1 << 30))  # fmt: skip
        with killer.armed():
            dr = run_ingest(hour, attempt=attempt)
        runs += 1
        scheduled.update(names)
        if killer.killed:
            fired["postgres connection killed"] += 1
        for (service, op, action), n in proxy.fired.items():
            fired[f"{service} {op} {action}"] += n
        proxy.fired.clear()
        proxy.clear()
        if dr.state != "success":
            failed_runs += 1
            record = ingest_run_row(airflow_db.app_dsn, dr)
            assert record is None or record["status"] != "success", "a failed run recorded success"
            dr = run_ingest(hour, attempt=attempt + 30)  # the operator's rerun, once the fault is gone
            runs += 1
        assert dr.state == "success", f"seed {seed}: {hour} did not recover"
        record = ingest_run_row(airflow_db.app_dsn, dr)
        assert record["missing"] == 0 and record["status"] == "success"
        return dr

    with proxy.routing():
        while hour_index < 2 or time.monotonic() - started < budget:
            hour = START + timedelta(hours=hour_index)
            upload(hour, rng.randint(6, 10), seed * 100 + hour_index, bad=rng.randint(0, 2))
            run(hour, attempt=0)
            if hour_index and rng.random() < 0.3:  # a late arrival in an hour that already ran
                earlier = START + timedelta(hours=rng.randrange(hour_index))
                upload(earlier, 1, seed * 1000 + hour_index, bad=0)
                run(earlier, attempt=1 + hour_index)
                late += 1
            hour_index += 1
    proxy.clear()

    wh = run_warehouse()
    assert wh.state == "success"
    state = StoreState.read(airflow_db.app_dsn, s3_direct, dynamodb_direct, warehouse=True)
    rec = reconcile(state, ledger)
    report = {
        "seed": seed, "seconds": round(time.monotonic() - started, 1), "hours": hour_index, "runs": runs,
        "failed_runs_rerun": failed_runs, "late_arrivals": late, "documents": len(ledger),
        "processed": sum(v == "processed" for v in ledger.values()),
        "quarantined": sum(v != "processed" for v in ledger.values()),
        "faults_armed": dict(sorted(scheduled.items())), "faults_fired": dict(sorted(fired.items())),
        **rec.totals(),
        "missing_by_store": {k: len(v) for k, v in rec.missing.items()},
        "duplicated_by_store": {k: len(v) for k, v in rec.duplicated.items()},
    }  # fmt: skip
    Path(os.environ["DOCPIPE_HOME"], "soak-report.json").write_text(json.dumps(report, indent=2))
    print("\nsoak:", json.dumps(report))
    assert sum(fired.values()) > 0, "no fault was injected"
    assert rec.ok, (report, rec)
