"""Hostile input: the generated corpus of broken, malicious, oversized and oddly named uploads.

1. Each file through the extraction engine alone, in a forked process under CPU and memory limits:
   every outcome is the expected one and no file takes the process down, hangs or balloons.
2. All of them in ONE `document_ingest` batch together with good documents (through the fault proxy,
   which holds moto to real S3's key-length limit): every good document processed, every bad one
   quarantined with its specific reason, objects outside the partition layout left alone, the run's
   accounting complete, and every store agreeing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from docpipe.config import Settings

from .corpus import IGNORED, MISSING, PROCESSED, Case, hostile_cases
from .faults import Rule
from .harness import StoreState, good_documents, ingest_run_row, reconcile, run_ingest

HOUR = datetime(2026, 3, 15, 9, tzinfo=UTC)
TENANT = "acme"
# Peak resident memory allowed for one document, OCR subprocesses included (the engine's pixel budget
# is 60 MP: a page image of ~60-240 MB plus the engine). CPU: a hang guard, far above any real document.
MEMORY_BOUND_MB = 1536
CPU_LIMIT_S = 120


def test_corpus_has_at_least_thirty_kinds() -> None:
    cases = hostile_cases()
    assert len({c.kind for c in cases}) >= 30
    assert len({c.kind for c in cases if not c.good and c.expect != IGNORED}) >= 20


@pytest.mark.slow
def test_engine_bounds_time_and_memory_per_document() -> None:
    probe = Path(__file__).with_name("engine_probe.py")
    proc = subprocess.run(
        [sys.executable, str(probe), "--cpu-seconds", str(CPU_LIMIT_S)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    results = [r for r in lines if "kind" in r]
    assert len(results) >= 30
    problems = []
    for r in results:
        if "signal" in r or "exit" in r:
            problems.append(f"{r['kind']}: the worker died (signal {r.get('signal')}, exit {r.get('exit')})")
        elif r["outcome"] != r["expect"]:
            problems.append(f"{r['kind']}: {r['outcome']} ({r.get('message', '')}), expected {r['expect']}")
        elif r.get("missing_text"):
            problems.append(f"{r['kind']}: text lost: {r['missing_text']}")
        if r.get("peak_rss_mb", 0) > MEMORY_BOUND_MB:
            problems.append(f"{r['kind']}: peak RSS {r['peak_rss_mb']} MB over {MEMORY_BOUND_MB} MB")
    table = "\n".join(
        f"{r['kind']:28s} {r.get('outcome', '?'):16s} cpu {r.get('cpu_s', 0):6.2f}s  rss {r.get('peak_rss_mb', 0):7.1f} MB"
        for r in results
    )
    assert not problems, "\n".join(problems) + "\n\n" + table


# ---------------------------------------------------------------------------------------------- one batch


def _stage(s3: Any, bucket: str, prefix: str, cases: list[Case]) -> tuple[dict[str, str], dict[str, Case], list[str]]:
    expected: dict[str, str] = {}
    by_key: dict[str, Case] = {}
    ignored: list[str] = []
    for c in cases:
        key = c.key(prefix, TENANT, HOUR)
        s3.put_object(Bucket=bucket, Key=key, Body=c.data, ContentType=c.content_type)
        by_key[key] = c
        if c.expect == IGNORED:
            ignored.append(key)
        else:
            expected[key] = c.expect
    return expected, by_key, ignored


@pytest.fixture(scope="module")
def hostile_run(airflow_db: Any, fault_proxy: Any, s3_direct: Any, dynamodb_direct: Any) -> dict[str, Any]:
    airflow_db.reset()
    settings = Settings.from_env()
    bucket, prefix = settings.uploads_bucket, settings.uploads_prefix
    cases = hostile_cases()
    expected, by_key, ignored = _stage(s3_direct, bucket, prefix, cases)
    good = good_documents(6, tenants=[TENANT, "globex"], seed=21)
    for d in good:
        key = f"{prefix}/{d.tenant_id}/{HOUR:%Y/%m/%d/%H}/{d.filename}"
        s3_direct.put_object(Bucket=bucket, Key=key, Body=d.data, ContentType=d.content_type)
        expected[key] = PROCESSED

    # the races: one object is deleted, another overwritten, after discovery listed them and before the
    # batch reads them (the batch's GET is the moment; the proxy runs the change just before forwarding it)
    vanish = next(k for k, c in by_key.items() if c.special == "vanish")
    fault_proxy.clear()
    fault_proxy.add(Rule("s3", "GetObject", when=lambda call: call.key == vanish, times=1,
                         before=lambda call: s3_direct.delete_object(Bucket=bucket, Key=vanish)))  # fmt: skip
    overwrite = f"{prefix}/{TENANT}/{HOUR:%Y/%m/%d/%H}/overwritten-after-listing.pdf"
    first, second = good[0].data, good[1].data
    s3_direct.put_object(Bucket=bucket, Key=overwrite, Body=first, ContentType="application/pdf")
    expected[overwrite] = MISSING
    fault_proxy.add(Rule("s3", "GetObject", when=lambda call: call.key == overwrite, times=1,
                         before=lambda call: s3_direct.put_object(Bucket=bucket, Key=overwrite, Body=second)))  # fmt: skip
    with fault_proxy.routing():
        dr = run_ingest(HOUR, {"batch_size": 1000}, retries=0)
    fault_proxy.clear()
    state = StoreState.read(airflow_db.app_dsn, s3_direct, dynamodb_direct)
    return {"dr": dr, "expected": expected, "by_key": by_key, "ignored": ignored, "state": state,
            "overwrite": overwrite, "vanish": vanish, "good": good, "dsn": airflow_db.app_dsn}  # fmt: skip


@pytest.mark.integration
@pytest.mark.slow
def test_one_batch_of_hostile_and_good_documents_succeeds(hostile_run: dict[str, Any]) -> None:
    dr, expected = hostile_run["dr"], hostile_run["expected"]
    run = ingest_run_row(hostile_run["dsn"], dr)
    assert run is not None, f"the run recorded no accounting (state {dr.state})"
    want_processed = sum(1 for v in expected.values() if v == PROCESSED)
    assert (run["listed"], run["processed"], run["quarantined"], run["unchanged"], run["missing"], run["status"]) == (
        len(expected),
        want_processed,
        len(expected) - want_processed,
        0,
        0,
        "success",
    )
    assert dr.state == "success"
    reasons = Counter(v for v in expected.values() if v != PROCESSED)
    assert run["details"]["quarantine_reasons"] == dict(reasons)


@pytest.mark.integration
@pytest.mark.slow
def test_every_kind_gets_its_outcome_in_every_store(hostile_run: dict[str, Any]) -> None:
    state, expected, by_key = hostile_run["state"], hostile_run["expected"], hostile_run["by_key"]
    wrong = []
    for key, want in expected.items():
        row = state.pg.get(key)
        got = None if row is None else ("processed" if row["status"] == "processed" else row["reason"])
        if got != want:
            kind = by_key[key].kind if key in by_key else "good/" + key.rsplit("/", 1)[-1]
            wrong.append(
                f"{kind}: got {got}, expected {want}" + (f" ({row['message']})" if row and row["message"] else "")
            )
    assert not wrong, "\n".join(wrong)
    rec = reconcile(state, expected)
    assert rec.ok, rec


@pytest.mark.integration
@pytest.mark.slow
def test_objects_outside_the_partition_layout_are_left_alone(hostile_run: dict[str, Any], s3_direct: Any) -> None:
    state = hostile_run["state"]
    bucket = Settings.from_env().uploads_bucket
    for key in hostile_run["ignored"]:
        assert key not in state.pg
        s3_direct.head_object(Bucket=bucket, Key=key)  # still where it was uploaded


@pytest.mark.integration
@pytest.mark.slow
def test_hostile_but_valid_documents_keep_their_text(hostile_run: dict[str, Any], s3_direct: Any) -> None:
    state, by_key = hostile_run["state"], hostile_run["by_key"]
    settings = Settings.from_env()
    for key, case in by_key.items():
        if not case.must_contain or key not in state.pg:
            continue
        uri = state.pg[key]["result_uri"]
        assert uri, f"{case.kind}: no result"
        bucket, rkey = uri[len("s3://") :].split("/", 1)
        result = json.loads(s3_direct.get_object(Bucket=bucket, Key=rkey)["Body"].read())
        assert result["source"]["key"] == key  # the key is stored byte for byte, however odd
        for text in case.must_contain:
            assert text in result["document"]["text"], f"{case.kind}: {text!r} lost"
        assert "\x00" not in result["document"]["text"]
    assert settings.processed_bucket  # the results bucket is configured


@pytest.mark.integration
@pytest.mark.slow
def test_same_bytes_under_two_keys_are_two_documents(hostile_run: dict[str, Any]) -> None:
    state, by_key = hostile_run["state"], hostile_run["by_key"]
    dups = [state.pg[k] for k, c in by_key.items() if c.kind.startswith("duplicate_bytes")]
    assert len(dups) == 2
    assert dups[0]["document_id"] != dups[1]["document_id"]
    assert dups[0]["content_sha256"] == dups[1]["content_sha256"]
    assert {d["status"] for d in dups} == {"processed"}


@pytest.mark.integration
@pytest.mark.slow
def test_quarantine_copies_carry_their_reason(hostile_run: dict[str, Any], s3_direct: Any) -> None:
    state, expected = hostile_run["state"], hostile_run["expected"]
    bucket = Settings.from_env().uploads_bucket
    checked = 0
    for key, want in expected.items():
        if want in (PROCESSED, MISSING):
            continue
        row = state.pg[key]
        assert row["quarantine_uri"], f"{key}: no quarantine copy recorded"
        qkey = row["quarantine_uri"].split("/", 3)[3]
        head = s3_direct.head_object(Bucket=bucket, Key=qkey)
        assert head["Metadata"].get("reason") == want
        checked += 1
    assert checked >= 20


@pytest.mark.integration
@pytest.mark.slow
def test_rerun_picks_up_the_overwritten_object_and_changes_nothing_else(
    hostile_run: dict[str, Any], airflow_db: Any, fault_proxy: Any, s3_direct: Any, dynamodb_direct: Any
) -> None:
    before = hostile_run["state"]
    with fault_proxy.routing():
        dr = run_ingest(HOUR, attempt=5, retries=0)
    assert dr.state == "success"
    after = StoreState.read(airflow_db.app_dsn, s3_direct, dynamodb_direct)
    run = ingest_run_row(airflow_db.app_dsn, dr)
    listed = len(hostile_run["expected"]) - 1  # the deleted object is gone
    assert (run["listed"], run["processed"], run["quarantined"], run["missing"]) == (listed, 1, 0, 0)
    overwrite = hostile_run["overwrite"]
    assert after.pg[overwrite]["status"] == "processed"
    unchanged = {k: v for k, v in after.pg.items() if k != overwrite}
    assert unchanged == {k: v for k, v in before.pg.items() if k != overwrite}
