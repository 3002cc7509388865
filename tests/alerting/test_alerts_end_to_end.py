"""Deadline and failure alerts through a real scheduler and triggerer (see conftest.py).

One scenario, started at once so that its waits overlap:
- `alerting_late` is unpaused: the scheduler queues its latest interval; the run's deadline is 15 s
  after it was queued and its task sleeps 30 s, so the deadline passes while it runs -> one alert;
- a backfill of an older interval of `alerting_late` misses its deadline the same way -> no alert;
- `alerting_fail` is unpaused: its task fails twice (one retry) quoting a document -> one failure
  alert and one Sentry event, neither with the document's text. Its deadline is an hour away; once
  the run has failed the test moves that deadline into the past (the scheduler then handles it like
  any expired deadline) -> no deadline alert;
- the real `document_ingest` runs one seeded hour -> its metrics reach the StatsD receiver, no alert.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

INGEST_HOUR = datetime(2026, 2, 3, 4, tzinfo=UTC)
# About 1.5 min on an idle 2-core machine; a machine shared with other test runs is much slower.
SCENARIO_TIMEOUT = float(os.environ.get("DOCPIPE_TEST_ALERTING_TIMEOUT", "600"))
TERMINAL = ("success", "failed")
DOCUMENT_SNIPPETS = ("Wayne Enterprises", "Mountain Drive", "INV-2026-0042", "Selina Kyle", "Total due")
PII_AND_SECRETS = ("selina.kyle@example.com", "415 555 0100", "AKIAIOSFODNN7EXAMPLE")


def _deadlines(af) -> list[dict]:
    rows = af.query(
        """SELECT dr.dag_id, dr.run_id, dr.run_type, dr.state, d.deadline_time, d.missed, c.state, c.output,
                  dr.end_date
           FROM deadline d JOIN dag_run dr ON dr.id = d.dagrun_id JOIN callback c ON c.id = d.callback_id
           WHERE dr.dag_id LIKE 'alerting_%%'"""
    )
    keys = ("dag_id", "run_id", "run_type", "run_state", "deadline_time", "missed", "callback_state", "output",
            "end_date")  # fmt: skip
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _runs(af) -> list[dict]:
    rows = af.query("SELECT dag_id, run_id, run_type, state, queued_at, end_date FROM dag_run")
    return [dict(zip(("dag_id", "run_id", "run_type", "state", "queued_at", "end_date"), r, strict=True)) for r in rows]


@pytest.fixture(scope="module")
def scenario(alerting_airflow, wait):
    from docpipe.config import Settings
    from docpipe.connections import aws_client
    from docpipe.samples.generator import generate_documents
    from docpipe.samples.upload import upload_documents

    af = alerting_airflow
    settings = Settings.from_env()
    seeded = upload_documents(aws_client("s3"), settings.uploads_bucket,
                              generate_documents(3, tenants=["acme"], seed=7, scanned_share=0.0, bad=1),
                              hours=[INGEST_HOUR])  # fmt: skip

    started = datetime.now(UTC)
    for dag_id in ("alerting_fail", "alerting_late", "document_ingest"):
        af.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
    backfill = af.api("POST", "/backfills", {
        "dag_id": "alerting_late", "from_date": "2026-01-02T00:00:00Z", "to_date": "2026-01-02T00:00:00Z",
        "reprocess_behavior": "none", "max_active_runs": 2, "run_backwards": False, "dag_run_conf": {},
    })  # fmt: skip
    af.api("POST", "/dags/document_ingest/dagRuns",
           {"logical_date": (INGEST_HOUR + timedelta(hours=1)).isoformat(), "conf": {}})  # fmt: skip

    def settled():
        runs = [r for r in _runs(af) if r["dag_id"] in ("alerting_late", "alerting_fail", "document_ingest")]
        kinds = {(r["dag_id"], r["run_type"]) for r in runs}
        expected = {("alerting_late", "scheduled"), ("alerting_late", "backfill"), ("alerting_fail", "scheduled"),
                    ("document_ingest", "manual")}  # fmt: skip
        if ("alerting_fail", "scheduled") in kinds and any(
            r["dag_id"] == "alerting_fail" and r["state"] == "failed" for r in runs
        ):
            # Fast-forward: the failed run's deadline passes now, after it failed.
            af.execute(
                """UPDATE deadline SET deadline_time = now() FROM dag_run
                   WHERE deadline.dagrun_id = dag_run.id AND dag_run.dag_id = 'alerting_fail'
                     AND NOT deadline.missed AND deadline.deadline_time > now()"""
            )
        if not expected <= kinds or any(r["state"] not in TERMINAL for r in runs):
            return None
        deadlines = _deadlines(af)
        late = [d for d in deadlines if d["dag_id"] in ("alerting_late", "alerting_fail")]
        if not late or not all(d["missed"] and d["callback_state"] in TERMINAL for d in late):
            return None
        failure_alerts = [a for a in af.receiver.alerts() if a["body"].get("kind") == "task_failed"]
        return (runs, deadlines) if failure_alerts else None

    runs, deadlines = wait(
        "every run to finish and every deadline callback to run", settled, SCENARIO_TIMEOUT, af, interval=3
    )
    return {"runs": runs, "deadlines": deadlines, "alerts": af.receiver.alerts(), "backfill": backfill,
            "started": started, "seeded": seeded}  # fmt: skip


def _alerts(scenario, kind: str, dag_id: str | None = None) -> list[dict]:
    return [
        a["body"] for a in scenario["alerts"]
        if a["body"].get("kind") == kind and (dag_id is None or a["body"].get("dag_id") == dag_id)
    ]  # fmt: skip


def test_a_late_scheduled_run_pages_exactly_once_with_what_on_call_needs(scenario, alerting_airflow):
    late = _alerts(scenario, "deadline_missed")
    assert len(late) == 1, json.dumps(late, indent=1)
    alert = late[0]
    (run,) = [r for r in scenario["runs"] if r["dag_id"] == "alerting_late" and r["run_type"] == "scheduled"]
    assert alert["dag_id"] == "alerting_late" and alert["run_id"] == run["run_id"]
    assert alert["run_type"] == "scheduled"
    # "page" while the run is still running; "warning" only if the machine was so slow that the run
    # finished (late) before the scheduler got round to the expired deadline.
    assert alert["severity"] == ("page" if alert["run_state"] == "running" else "warning")
    # Which interval: the scheduled run covers the last complete day.
    end = datetime.fromisoformat(alert["interval_end"])
    assert datetime.fromisoformat(alert["interval_start"]) == end - timedelta(days=1)
    assert end <= scenario["started"]
    # How late: the deadline is 15 s after queueing, and the alert went out after it.
    deadline = datetime.fromisoformat(alert["deadline"])
    assert deadline == run["queued_at"] + timedelta(seconds=15)
    assert alert["late_by_seconds"] >= 0
    assert datetime.fromisoformat(alert["sent_at"]) >= deadline
    assert alert["rule"] == "finish within 15 s of being queued"
    # A link to the run in the UI, on the configured base URL.
    assert alert["url"] == f"{alerting_airflow.base_url}/dags/alerting_late/runs/{quote(run['run_id'], safe='')}"
    assert "LATE: alerting_late" in alert["text"] and alert["url"] in alert["text"]
    assert alert["dedupe_key"] == f"docpipe:deadline_missed:alerting_late:{run['run_id']}"


def test_backfill_runs_miss_their_deadlines_without_paging(scenario):
    backfill_deadlines = [d for d in scenario["deadlines"] if d["run_type"] == "backfill"]
    assert len(backfill_deadlines) >= 1, "the backfill created no runs with deadlines"
    for d in backfill_deadlines:
        assert d["missed"], d
        assert d["callback_state"] == "success", d
        assert d["output"].startswith("suppressed: backfill run"), d
    assert not [a for a in _alerts(scenario, "deadline_missed") if a["run_type"] == "backfill"]


def test_a_failed_task_alerts_once_after_its_retry_with_accounting_and_no_document_text(scenario, alerting_airflow):
    failures = _alerts(scenario, "task_failed")
    assert len(failures) == 1, json.dumps(failures, indent=1)
    alert = failures[0]
    assert alert["dag_id"] == "alerting_fail" and alert["task"]["task_id"] == "load"
    assert alert["task"]["try_number"] == 2 and alert["task"]["attempts"] == 2  # after the retry, not before
    assert alert["exception"]["type"] == "DocumentLoadError"
    assert alert["exception"]["message"].startswith("could not parse the total in '[text: ")
    assert alert["accounting"]["processed"] == 2 and alert["accounting"]["quarantined"] == 1
    assert alert["url"].startswith(f"{alerting_airflow.base_url}/dags/alerting_fail/runs/")
    assert alert["url"].endswith("/tasks/load")
    dumped = json.dumps(alert)
    for leaked in DOCUMENT_SNIPPETS + PII_AND_SECRETS:
        assert leaked not in dumped, leaked


def test_a_failed_run_does_not_page_again_when_its_deadline_passes(scenario):
    (d,) = [d for d in scenario["deadlines"] if d["dag_id"] == "alerting_fail"]
    assert d["run_state"] == "failed"
    assert d["end_date"] <= d["deadline_time"], "the deadline passed after the run had failed"
    assert d["missed"] and d["callback_state"] == "success"
    assert d["output"].startswith("suppressed: run already failed")
    assert not _alerts(scenario, "deadline_missed", "alerting_fail")


def test_sentry_receives_one_scrubbed_event_for_the_failed_task(scenario, alerting_airflow, wait):
    def events():
        found = [
            e
            for e in alerting_airflow.receiver.sentry_events()
            if (e.get("tags") or {}).get("dag_id") == "alerting_fail"
        ]
        return found or None

    found = wait("the Sentry event", events, 30, alerting_airflow)
    assert len(found) == 1, [e.get("exception") for e in found]  # the retried first attempt is not reported
    event = found[0]
    (exc,) = [v for v in event["exception"]["values"] if v["type"] == "DocumentLoadError"]
    assert exc["value"].startswith("could not parse the total in '[text: ")
    assert event["tags"]["task_id"] == "load" and str(event["tags"]["try_number"]) == "2"
    frames = exc["stacktrace"]["frames"]
    assert frames and all("vars" not in f for f in frames), "local variables must not leave the worker"
    assert any(f.get("function") == "load" for f in frames), "the stack trace itself is kept"
    dumped = json.dumps(event)
    for leaked in DOCUMENT_SNIPPETS + PII_AND_SECRETS:
        assert leaked not in dumped, leaked


def test_the_real_ingest_run_emits_its_metrics_to_statsd_and_pages_nobody(scenario, alerting_airflow):
    (manual,) = [r for r in scenario["runs"] if r["dag_id"] == "document_ingest" and r["run_type"] == "manual"]
    assert manual["state"] == "success"
    good = sum(1 for u in scenario["seeded"] if u.kind != "bad")
    counters = alerting_airflow.statsd.counters("airflow.docpipe.documents.")
    assert counters.get("airflow.docpipe.documents.listed", 0) >= len(scenario["seeded"])
    assert counters.get("airflow.docpipe.documents.processed", 0) >= good
    assert counters.get("airflow.docpipe.documents.quarantined", 0) >= 1
    # Airflow's own deadline metrics arrive too (the dashboard's "deadline missed" panel reads them).
    assert alerting_airflow.statsd.counters("airflow.deadline_alerts.deadline_missed")
    assert not _alerts(scenario, "deadline_missed", "document_ingest")
    assert not _alerts(scenario, "task_failed", "document_ingest")
    # The real DAG's deadline reached the scheduler (its runs finished in time, so no row is left).
    (n,) = alerting_airflow.query(
        "SELECT count(*) FROM deadline_alert da JOIN serialized_dag sd ON sd.id = da.serialized_dag_id "
        "WHERE sd.dag_id = 'document_ingest'"
    )[0]
    assert n >= 1
