"""Each alert channel through its provider notifier, against local stand-ins: Slack (the alert
receiver plays the incoming webhook), Amazon SNS (moto, with an SQS subscriber), e-mail (a minimal
SMTP server in a thread)."""

from __future__ import annotations

import json
import socketserver
import threading
from datetime import UTC, datetime, timedelta

import pytest

from docpipe.alerts import message, notifiers
from docpipe.alerts.settings import AlertSettings

pytestmark = pytest.mark.integration


def _alert() -> message.Alert:
    queued = datetime.now(UTC) - timedelta(minutes=50)
    run = {"dag_id": "document_ingest", "dag_run_id": "scheduled__2026-11-26T09:00:00+00:00", "run_type": "scheduled",
           "state": "running", "queued_at": queued.isoformat(), "data_interval_start": "2026-11-26T09:00:00Z",
           "data_interval_end": "2026-11-26T10:00:00Z"}  # fmt: skip
    return message.deadline_alert(run, queued + timedelta(minutes=45), rule_text="finish within 45 min of being queued",
                                  environment="test", base="http://127.0.0.1:8080")  # fmt: skip


def test_slack_channel_posts_block_kit_to_the_webhook_url(tmp_path, monkeypatch):
    from docpipe.localstack.alert_receiver import AlertReceiver

    recv = AlertReceiver(tmp_path).start()
    try:
        # A Slack incoming webhook is one secret URL: the whole URL is the connection's host.
        monkeypatch.setenv("AIRFLOW_CONN_DOCPIPE_ALERTS_SLACK",
                           json.dumps({"conn_type": "http", "host": f"{recv.url}/services/T000/B000/XXXX"}))  # fmt: skip
        monkeypatch.setenv("DOCPIPE_ALERT_CHANNELS", "slack")
        alert = _alert()
        assert notifiers.send(alert, AlertSettings.from_env()) == {"slack": "ok"}
        (received,) = recv.alerts()
        assert received["path"] == "/services/T000/B000/XXXX"
        assert received["body"]["text"] == alert.subject()
        assert any(b["type"] == "header" for b in received["body"]["blocks"])
    finally:
        recv.stop()


def test_sns_channel_publishes_the_alert_text_with_attributes(stack, monkeypatch):
    sns, sqs = _client("sns"), _client("sqs")
    topic = sns.create_topic(Name="docpipe-alerts-test")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="docpipe-alerts-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("DOCPIPE_ALERT_CHANNELS", "sns,log")
    monkeypatch.setenv("DOCPIPE_ALERT_SNS_TOPIC_ARN", topic)
    alert = _alert()
    assert notifiers.send(alert, AlertSettings.from_env()) == {"sns": "ok", "log": "ok"}
    (msg,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2)["Messages"]
    body = json.loads(msg["Body"])
    assert body["Message"] == alert.text()
    assert body["Subject"].startswith("[docpipe test] LATE: document_ingest")
    assert body["MessageAttributes"]["kind"]["Value"] == "deadline_missed"
    assert body["MessageAttributes"]["dedupe_key"]["Value"] == alert.dedupe_key


def _client(service: str):
    from docpipe.connections import aws_client

    return aws_client(service)


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        mail: dict = {"rcpt": []}
        while line := self.rfile.readline():
            cmd = line.decode().strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 sink\r\n")
            elif verb == "MAIL":
                mail["from"] = cmd
                self.wfile.write(b"250 ok\r\n")
            elif verb == "RCPT":
                mail["rcpt"].append(cmd.split(":", 1)[1].strip(" <>"))
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                mail["data"] = b"".join(data).decode("utf-8", "replace")
                self.server.mails.append(dict(mail))  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_email_channel_sends_through_the_smtp_connection(monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    server.mails = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": server.server_address[1],
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "docpipe@example.com", "retry_limit": 0},
        }))  # fmt: skip
        monkeypatch.setenv("DOCPIPE_ALERT_CHANNELS", "email")
        monkeypatch.setenv("DOCPIPE_ALERT_EMAIL_TO", "oncall@example.com")
        alert = _alert()
        assert notifiers.send(alert, AlertSettings.from_env()) == {"email": "ok"}
        (mail,) = server.mails  # type: ignore[attr-defined]
        assert mail["rcpt"] == ["oncall@example.com"]
        assert "LATE: document_ingest" in mail["data"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_channel_that_fails_is_reported_and_does_not_hide_the_alert(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DOCPIPE_ALERTS_WEBHOOK",
                       json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": 9, "schema": "http"}))  # fmt: skip
    monkeypatch.setenv("DOCPIPE_ALERT_CHANNELS", "webhook,log")
    with pytest.raises(notifiers.AlertDeliveryError, match="webhook"):
        notifiers.send(_alert(), AlertSettings.from_env())
