"""docpipe.alerts without services: deadlines, the no-false-alarm rules, alert content, scrubbing,
the Sentry hook, accounting, settings, the receiver's envelope parsing and the DAGs' wiring."""

from __future__ import annotations

import asyncio
import gzip
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from docpipe.alerts import callbacks, deadlines, message, notifiers, scrub, sentry
from docpipe.alerts.accounting import summarise
from docpipe.alerts.settings import AlertConfigError, AlertSettings
from docpipe.localstack import alert_receiver

QUEUED = datetime(2026, 11, 26, 10, 0, 5, tzinfo=UTC)


def _await(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine on a fresh event loop in its own thread: a Playwright browser left open by
    another test keeps an event loop running in the main thread, where asyncio.run() refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(autouse=True)
def _deadlines_on(monkeypatch):
    """The session may switch deadlines off for dag.test(); these tests are about them."""
    monkeypatch.delenv("DOCPIPE_DEADLINES", raising=False)


def _run(**over) -> dict:
    run = {
        "dag_id": "document_ingest",
        "dag_run_id": "scheduled__2026-11-26T09:00:00+00:00",
        "run_type": "scheduled",
        "state": "running",
        "queued_at": QUEUED.isoformat(),
        "data_interval_start": "2026-11-26T09:00:00Z",
        "data_interval_end": "2026-11-26T10:00:00Z",
        "logical_date": "2026-11-26T09:00:00Z",
        "end_date": None,
    }
    return run | over


# ---------------------------------------------------------------- deadlines


def test_ingest_deadline_is_45_minutes_after_queueing_by_default(monkeypatch):
    from airflow.sdk.definitions.deadline import DagRunQueuedAtDeadline

    monkeypatch.delenv("DOCPIPE_DEADLINE_INGEST_MINUTES", raising=False)
    (alert,) = deadlines.hourly_ingest()
    assert isinstance(alert.reference, DagRunQueuedAtDeadline)
    assert alert.interval == timedelta(minutes=45)
    assert alert.callback.path == "docpipe.alerts.callbacks.deadline_missed"
    assert alert.callback.kwargs["rule_text"] == "finish within 45 min of being queued"


def test_warehouse_deadline_lands_on_0600_utc_of_the_night_the_run_is_scheduled(monkeypatch):
    from airflow.sdk.definitions.deadline import DagRunLogicalDateDeadline

    monkeypatch.delenv("DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY", raising=False)
    (alert,) = deadlines.nightly_warehouse()
    assert isinstance(alert.reference, DagRunLogicalDateDeadline)
    # The run scheduled at 2026-11-26 02:00 has logical date 2026-11-25 02:00 (its interval's start).
    logical_date = datetime(2026, 11, 25, 2, tzinfo=UTC)
    assert logical_date + alert.interval == datetime(2026, 11, 26, 6, tzinfo=UTC)
    assert alert.interval != timedelta(hours=4), "logical date + 4 h is the day before: it would fire at once"


def test_deadline_defaults_are_configurable_and_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("DOCPIPE_DEADLINE_INGEST_MINUTES", "20")
    monkeypatch.setenv("DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY", "01:30")
    assert deadlines.hourly_ingest()[0].interval == timedelta(minutes=20)
    # 01:30 is before the 02:00 schedule: the next 01:30, i.e. 23.5 h after the interval's end.
    assert deadlines.nightly_warehouse()[0].interval == timedelta(days=1, hours=23, minutes=30)
    monkeypatch.setenv("DOCPIPE_DEADLINES", "off")
    assert deadlines.hourly_ingest() is None and deadlines.nightly_warehouse() is None


def test_offset_after_logical_date():
    assert deadlines.offset_after_logical_date(time(6), schedule_at=time(2)) == timedelta(hours=28)
    assert deadlines.offset_after_logical_date(time(2), schedule_at=time(2)) == timedelta(days=2)
    assert deadlines.offset_after_logical_date(time(0, 15), schedule_at=time(0), period=timedelta(hours=1)) == (
        timedelta(hours=1, minutes=15)
    )


@pytest.mark.parametrize(
    "name,value",
    [("DOCPIPE_DEADLINE_INGEST_MINUTES", "soon"), ("DOCPIPE_DEADLINE_INGEST_MINUTES", "0"),
     ("DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY", "6am"), ("DOCPIPE_ALERT_CHANNELS", "webhook,pager"),
     ("DOCPIPE_DEADLINES", "maybe")],
)  # fmt: skip
def test_invalid_settings_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(AlertConfigError, match=name):
        AlertSettings.from_env()


# ---------------------------------------------------------------- no false alarms


def test_a_late_scheduled_run_pages():
    assert callbacks.deadline_decision(_run(), QUEUED + timedelta(minutes=45)) == (True, "late")


def test_backfill_runs_never_page():
    send, reason = callbacks.deadline_decision(_run(run_type="backfill"), QUEUED + timedelta(minutes=45))
    assert not send and reason.startswith("backfill")


def test_a_run_that_already_failed_does_not_page_again():
    send, reason = callbacks.deadline_decision(_run(state="failed"), QUEUED + timedelta(minutes=45))
    assert not send and "failed" in reason


def test_a_manual_rerun_of_an_old_interval_is_not_late_but_a_late_queued_scheduled_run_is():
    old_deadline = datetime(2026, 11, 20, 6, tzinfo=UTC)  # e.g. logical date + 28 h of an old night
    assert callbacks.deadline_decision(_run(run_type="manual"), old_deadline)[0] is False
    assert callbacks.deadline_decision(_run(run_type="scheduled"), old_deadline)[0] is True
    assert callbacks.deadline_decision(_run(run_type="manual"), QUEUED + timedelta(minutes=45))[0] is True


def test_deadline_callback_suppresses_without_touching_any_channel(monkeypatch):
    monkeypatch.setattr(notifiers, "send", lambda *a, **k: pytest.fail("must not send"))
    context = {"dag_run": _run(run_type="backfill"), "deadline": {"deadline_time": QUEUED.isoformat()}}
    out = _await(callbacks.deadline_missed(context=context, rule_text="r"))
    assert out.startswith("suppressed: backfill")


def test_deadline_callback_sends_the_alert(monkeypatch):
    sent = []
    monkeypatch.setattr(notifiers, "send", lambda alert, settings: sent.append(alert) or {"webhook": "ok"})
    monkeypatch.setenv("DOCPIPE_ALERT_UI_BASE_URL", "https://airflow.example.com/")
    deadline = datetime.now(UTC) - timedelta(seconds=90)
    context = {"dag_run": _run(queued_at=(deadline - timedelta(minutes=45)).isoformat()),
               "deadline": {"id": "x", "deadline_time": deadline}}  # fmt: skip
    out = _await(callbacks.deadline_missed(context=context, rule_text="finish within 45 min of being queued"))
    assert out == "sent: {'webhook': 'ok'}"
    (alert,) = sent
    assert alert.kind == "deadline_missed" and 89 <= alert.late_by_seconds <= 150
    assert alert.url == (
        "https://airflow.example.com/dags/document_ingest/runs/scheduled__2026-11-26T09%3A00%3A00%2B00%3A00"
    )


def test_failure_callback_skips_a_task_that_ran_after_its_upstream_failed(monkeypatch):
    monkeypatch.setattr(notifiers, "send", lambda *a, **k: pytest.fail("must not send"))
    task = SimpleNamespace(trigger_rule="all_done", get_flat_relative_ids=lambda upstream: {"process_batch"})
    ti = SimpleNamespace(dag_id="document_ingest", run_id="r", task_id="record_run",
                         get_ti_count=lambda **kw: 1 if kw["states"] == ["failed"] else 0)  # fmt: skip
    callbacks.task_failed({"ti": ti, "task": task})


def test_an_all_success_task_always_pages_without_asking_for_upstream_states():
    from airflow.sdk import TriggerRule

    task = SimpleNamespace(trigger_rule=TriggerRule.ALL_SUCCESS, get_flat_relative_ids=lambda upstream: {"a"})
    ti = SimpleNamespace(get_ti_count=lambda **kw: pytest.fail("not needed"))
    assert callbacks._upstream_already_failed(ti, task) is False


def test_failure_callback_never_raises(monkeypatch):
    callbacks.task_failed({})  # a context it cannot use: logged, not raised


# ---------------------------------------------------------------- alert content


def test_deadline_alert_says_which_dag_interval_how_late_and_links_the_run():
    now = QUEUED + timedelta(minutes=47, seconds=30)
    alert = message.deadline_alert(_run(), QUEUED + timedelta(minutes=45), rule_text="finish within 45 min of being queued",
                                   environment="prod", base="http://af:8080", now=now)  # fmt: skip
    text = alert.text()
    assert alert.late_by_seconds == 150.0 and alert.running_for_seconds == 2850.0
    assert (
        "[docpipe prod] LATE: document_ingest (2026-11-26 09:00 UTC interval) still running 2 min 30 s past its deadline"
        in text
    )
    assert "2026-11-26 09:00:00 UTC -> 2026-11-26 10:00:00 UTC" in text
    assert "http://af:8080/dags/document_ingest/runs/scheduled__2026-11-26T09%3A00%3A00%2B00%3A00" in text
    body = alert.to_json()
    assert body["schema"] == "docpipe.alert/v1" and body["interval_start"] == "2026-11-26T09:00:00+00:00"
    json.dumps(body)  # serialisable as is
    slack = alert.slack_payload()
    assert slack["text"].startswith("[docpipe prod] LATE")
    assert any(b["type"] == "actions" and b["elements"][0]["url"] == alert.url for b in slack["blocks"])
    assert "<table>" in alert.email_html() and "&lt;" not in alert.headline


def test_a_run_that_finished_late_is_a_warning_not_a_page():
    end = QUEUED + timedelta(minutes=50)
    alert = message.deadline_alert(_run(state="success", end_date=end.isoformat()), QUEUED + timedelta(minutes=45),
                                   rule_text="r", environment="prod", base="", now=end + timedelta(minutes=1))  # fmt: skip
    assert alert.severity == "warning" and alert.late_by_seconds == 300.0
    assert alert.headline == "LATE: document_ingest (2026-11-26 09:00 UTC interval) finished 5 min past its deadline"


def test_failure_alert_carries_the_scrubbed_exception_and_the_accounting():
    err = ValueError("bad total in 'INVOICE 42 ACME Corp, 1 Main Street, Springfield' for bob@example.com")
    alert = message.failure_alert(_run(), task_id="process_batch", map_index=3, try_number=3, attempts=3,
                                  operator="ProcessDocumentBatchOperator", error=err,
                                  accounting={"listed": 10, "processed": 4, "quarantined": 1, "unchanged": 0,
                                              "batches_reported": 1, "batches": 3, "missing": 5},
                                  environment="prod", base="http://af")  # fmt: skip
    assert alert.url.endswith("/tasks/process_batch/mapped/3")
    assert alert.headline == "FAILED: document_ingest.process_batch[3] after 3 attempts"
    assert alert.exception == {"type": "ValueError", "message": "bad total in '[text: 48 chars]' for [email]"}
    text = alert.text()
    assert "listed 10, processed 4, quarantined 1, unchanged 0, missing 5, batches reported 1, batches 3" in text
    assert "ACME" not in json.dumps(alert.to_json())


# ---------------------------------------------------------------- scrubbing


@pytest.mark.parametrize(
    "raw,leaked",
    [
        ("conn postgresql://loader:s3cr3t@db:5432/app failed", "s3cr3t"),
        ("password=hunter2 and api_key: abc123", "hunter2"),
        ("password=hunter2 and api_key: abc123", "abc123"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
        ("key AKIAIOSFODNN7EXAMPLE secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAIOSFODNN7EXAMPLE"),
        ("key AKIAIOSFODNN7EXAMPLE secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "bPxRfiCYEXAMPLEKEY"),
        ("posted to https://hooks.slack.com/services/T0/B0/abcdef", "abcdef"),
        ("mail jane.doe@example.com or call +44 20 7946 0958", "jane.doe"),
        ("mail jane.doe@example.com or call +44 20 7946 0958", "7946"),
        ("card 4111 1111 1111 1111 on file", "4111"),
        ("could not read 'Dear Sir, your invoice from Acme Widgets is overdue'", "Acme Widgets"),
        ("Total missing in:\nACME WIDGETS LTD\n1 Main St", "ACME WIDGETS"),
        (b"PDF bytes b'%PDF-1.7 confidential merger terms between Acme and Wayne'", "merger"),
    ],
)
def test_scrub_text_removes_secrets_pii_and_document_text(raw, leaked):
    assert leaked not in scrub.scrub_text(raw)


def test_scrub_text_keeps_what_helps_debugging():
    for msg in ("Expecting value: line 1 column 1 (char 0)", "wrote 1200 rows to docpipe.documents in 3.5 s",
                "timeout after 30 s talking to s3://docpipe-uploads/uploads/acme/2026/11/26/03/"):  # fmt: skip
        assert scrub.scrub_text(msg) == msg
    assert scrub.scrub_text("x" * 1000).endswith("... [700 more chars cut]")


def _sentry_event(text: str) -> dict:
    return {
        "exception": {
            "values": [
                {
                    "type": "DocumentLoadError",
                    "value": f"could not parse {text!r}",
                    "stacktrace": {"frames": [{"function": "load", "lineno": 3, "vars": {"text": text}}]},
                }
            ]
        },  # fmt: skip
        "breadcrumbs": {
            "values": [
                {"category": "docpipe.test", "message": f"loading {text}"},
                {"category": "completed_tasks", "data": {"task_id": "process_batch"}},
            ]
        },  # fmt: skip
        "extra": {"sys.argv": ["airflow", "tasks", "run", "--conn", "postgres://u:pw@h/db"]},
        "user": {"email": "x@example.com"},
        "tags": {"dag_id": "alerting_fail", "task_id": "load", "try_number": 2},
        "logentry": {"message": "loading document: %s", "params": [text]},
    }


def test_sentry_before_send_strips_locals_breadcrumbs_extra_and_document_text():
    text = "INVOICE 42 Wayne Enterprises, 1007 Mountain Drive, selina@example.com"
    event = sentry.before_send(_sentry_event(text), {})
    dumped = json.dumps(event)
    for leaked in ("Wayne", "Mountain", "selina", "pw@"):
        assert leaked not in dumped
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame == {"function": "load", "lineno": 3}
    assert [c["category"] for c in event["breadcrumbs"]["values"]] == ["completed_tasks"]
    assert "extra" not in event and "user" not in event
    assert event["tags"]["dag_id"] == "alerting_fail"


def test_sentry_drops_log_line_events_which_quote_what_the_task_logged():
    event = {"logentry": {"message": "loading document: %s", "formatted": "loading document: INVOICE 42 ACME"},
             "level": "error", "tags": {"task_id": "load"}}  # fmt: skip
    assert sentry.before_send(event, {}) is None


def test_sentry_drops_events_of_attempts_that_will_be_retried(monkeypatch):
    monkeypatch.delenv("DOCPIPE_SENTRY_REPORT_RETRIES", raising=False)
    sentry.remember_task_instance(SimpleNamespace(task_id="load", state="up_for_retry"))
    try:
        assert sentry.before_send(_sentry_event("t"), {}) is None
        monkeypatch.setenv("DOCPIPE_SENTRY_REPORT_RETRIES", "true")
        assert sentry.before_send(_sentry_event("t"), {}) is not None
        monkeypatch.delenv("DOCPIPE_SENTRY_REPORT_RETRIES")
        sentry.remember_task_instance(SimpleNamespace(task_id="load", state="failed"))
        assert sentry.before_send(_sentry_event("t"), {}) is not None
    finally:
        sentry.remember_task_instance(None)


def test_install_replaces_the_dotted_path_string_the_task_sdk_passes_to_sentry():
    import sentry_sdk

    class Transport(sentry_sdk.transport.Transport):
        envelopes: list = []

        def capture_envelope(self, envelope):
            self.envelopes.append(envelope)

    # What the task SDK does with [sentry] before_send when the section has other options too.
    sentry_sdk.init(dsn="http://k@127.0.0.1:9/1", before_send="docpipe.alerts.sentry.before_send",
                    transport=Transport, default_integrations=False)  # fmt: skip
    try:
        sentry_sdk.capture_exception(ValueError("lost"))
        assert Transport.envelopes == [], "sentry-sdk drops every event when before_send is a string"
        assert sentry.install() is True and sentry.install() is False
        sentry_sdk.capture_exception(ValueError("could not parse 'a document text long enough to be redacted'"))
        sentry_sdk.flush()
        (envelope,) = Transport.envelopes
        value = envelope.get_event()["exception"]["values"][0]["value"]
        assert value == "could not parse '[text: 42 chars]'"
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # back to a disabled client


# ---------------------------------------------------------------- accounting, channels, receiver, wiring


def test_accounting_adds_up_batches_and_keeps_numeric_outputs():
    acc = summarise(
        {"process_batch": [{"processed": 5, "quarantined": 1, "unchanged": 2, "pages": 9}, None,
                           {"processed": 3, "quarantined": 0, "unchanged": 0, "pages": 3}],
         "export_changes": [{"documents": {"rows": 12, "uri": "s3://x"}, "fields": {"rows": 40}}]},
        {"listed": 14, "batches": 3},
    )  # fmt: skip
    assert acc["listed"] == 14 and acc["batches"] == 3 and acc["batches_reported"] == 2
    assert (acc["processed"], acc["quarantined"], acc["unchanged"], acc["pages"]) == (8, 1, 2, 12)
    assert acc["missing"] == 3
    assert acc["export_changes.documents.rows"] == 12 and acc["export_changes.fields.rows"] == 40
    assert "export_changes.documents.uri" not in acc


def test_send_tries_every_channel_and_fails_only_when_none_worked(monkeypatch):
    alert = message.failure_alert(_run(), task_id="t", map_index=-1, try_number=1, attempts=1, operator="X",
                                  error=None, accounting=None, environment="t", base="")  # fmt: skip
    calls = []

    class Ok:
        def notify(self, context):
            calls.append("ok")

    class Broken:
        def notify(self, context):
            raise ConnectionError("refused")

    monkeypatch.setattr(notifiers, "notifier_for", lambda ch, a, s: {"webhook": Broken(), "sns": Ok(), "log": None}[ch])
    settings = AlertSettings.from_env().__class__(
        **{**AlertSettings.from_env().__dict__, "channels": ("webhook", "sns", "log")}
    )
    results = notifiers.send(alert, settings)
    assert results["sns"] == "ok" and results["webhook"].startswith("error: ConnectionError") and calls == ["ok"]
    only_broken = settings.__class__(**{**settings.__dict__, "channels": ("webhook", "log")})
    with pytest.raises(notifiers.AlertDeliveryError):
        notifiers.send(alert, only_broken)


def test_channels_build_the_providers_notifiers(monkeypatch):
    from airflow.providers.amazon.aws.notifications.sns import SnsNotifier
    from airflow.providers.http.notifications.http import HttpNotifier
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    monkeypatch.setenv("DOCPIPE_ALERT_SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:docpipe-alerts")
    monkeypatch.setenv("DOCPIPE_ALERT_EMAIL_TO", "oncall@example.com, data@example.com")
    settings = AlertSettings.from_env()
    alert = message.deadline_alert(_run(), QUEUED, rule_text="r", environment="prod", base="http://af")
    webhook = notifiers.notifier_for("webhook", alert, settings)
    assert isinstance(webhook, HttpNotifier) and webhook.json["kind"] == "deadline_missed"
    slack = notifiers.notifier_for("slack", alert, settings)
    assert isinstance(slack, HttpNotifier) and slack.http_conn_id == "docpipe_alerts_slack" and "blocks" in slack.json
    sns = notifiers.notifier_for("sns", alert, settings)
    assert isinstance(sns, SnsNotifier) and len(sns.subject) <= 100 and sns.message == alert.text()
    email = notifiers.notifier_for("email", alert, settings)
    assert isinstance(email, SmtpNotifier) and email.to == ["oncall@example.com", "data@example.com"]
    monkeypatch.delenv("DOCPIPE_ALERT_SNS_TOPIC_ARN")
    with pytest.raises(notifiers.AlertDeliveryError, match="DOCPIPE_ALERT_SNS_TOPIC_ARN"):
        notifiers.notifier_for("sns", alert, AlertSettings.from_env())


def test_receiver_parses_gzipped_sentry_envelopes():
    event = {"event_id": "e1", "exception": {"values": [{"type": "X", "value": "y"}]}}
    raw = json.dumps(event).encode()
    envelope = b"\n".join([
        json.dumps({"event_id": "e1"}).encode(),
        json.dumps({"type": "event", "length": len(raw)}).encode(), raw,
        json.dumps({"type": "client_report"}).encode(), b'{"discarded_events": []}',
    ])  # fmt: skip
    items = alert_receiver.parse_envelope(gzip.decompress(gzip.compress(envelope)))
    assert items == [
        {"type": "event", "payload": event},
        {"type": "client_report", "payload": {"discarded_events": []}},
    ]


def test_receiver_records_alerts_and_sentry_events(tmp_path):
    import urllib.request

    recv = alert_receiver.AlertReceiver(tmp_path).start()
    try:
        for path, body, headers in (
            ("/alerts", json.dumps({"kind": "test"}).encode(), {}),
            ("/api/1/envelope/", gzip.compress(b'{}\n{"type":"event"}\n{"event_id":"e"}\n'), {"Content-Encoding": "gzip"}),
        ):  # fmt: skip
            urllib.request.urlopen(urllib.request.Request(f"{recv.url}{path}", data=body, headers=headers), timeout=5)
        assert [a["body"] for a in recv.alerts()] == [{"kind": "test"}]
        assert recv.sentry_events() == [{"event_id": "e"}]
        with urllib.request.urlopen(f"{recv.url}/health", timeout=5) as r:
            assert r.read() == b"ok"
    finally:
        recv.stop()


def test_receiver_stack_env_points_the_webhook_channel_and_sentry_at_it():
    env = alert_receiver.stack_env(5999)
    assert env["DOCPIPE_ALERT_CHANNELS"] == "webhook"
    conn = json.loads(env["AIRFLOW_CONN_DOCPIPE_ALERTS_WEBHOOK"])
    assert (conn["host"], conn["port"]) == ("127.0.0.1", 5999)
    assert env["AIRFLOW__SENTRY__SENTRY_DSN"] == "http://docpipe-local@127.0.0.1:5999/1"
    assert env["AIRFLOW__SENTRY__BEFORE_SEND"] == "docpipe.alerts.sentry.before_send"


def test_the_plugin_registers_the_listener():
    import importlib.util

    from docpipe.config import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location(
        "docpipe_alerts_plugin", PROJECT_ROOT / "plugins" / "docpipe_alerts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from docpipe.alerts import listener

    assert module.DocpipeAlertsPlugin.name == "docpipe_alerts"
    assert module.DocpipeAlertsPlugin.listeners == [listener]
    assert hasattr(listener.on_task_instance_running, "airflow_impl")


@pytest.mark.parametrize("dag_id", ["document_ingest", "warehouse_load"])
def test_both_dags_declare_a_deadline_and_page_on_failure(dag_id):
    from airflow.dag_processing.dagbag import DagBag

    from docpipe.config import PROJECT_ROOT

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id}.py")).dags[dag_id]
    assert dag.deadline, f"{dag_id} has no deadline alert"
    assert all(a.callback.path == "docpipe.alerts.callbacks.deadline_missed" for a in dag.deadline)
    for task in dag.tasks:
        assert callbacks.task_failed in (task.on_failure_callback or []), task.task_id


def test_alerts_tail_renders_alerts_and_sentry_events():
    from docpipe.commands import alerts as cmd

    alert = message.deadline_alert(_run(), QUEUED, rule_text="r", environment="prod", base="http://af")
    out = cmd.render({"received_at": "t", "path": "/alerts", "body": alert.to_json()})
    assert out.splitlines()[1] == alert.text().splitlines()[0]
    event = {"items": [{"type": "event", "payload": {"tags": {"dag_id": "d", "task_id": "t", "try_number": 2},
                                                     "exception": {"values": [{"type": "E", "value": "v"}]}}}]}  # fmt: skip
    assert cmd.render(event, sentry=True).splitlines()[1:] == ["E: v", "dag_id=d, task_id=t, try_number=2"]
