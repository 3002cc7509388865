"""The channels an alert goes through, chosen by `DOCPIPE_ALERT_CHANNELS`.

| channel | notifier | connection / setting |
|---|---|---|
| `webhook` | `HttpNotifier` (http provider): POST of `Alert.to_json()` | `DOCPIPE_ALERT_WEBHOOK_CONN_ID` + `DOCPIPE_ALERT_WEBHOOK_ENDPOINT` |
| `slack` | `HttpNotifier` to a Slack incoming webhook, Block Kit body | `DOCPIPE_ALERT_SLACK_CONN_ID` (host = the webhook URL) |
| `sns` | `SnsNotifier` (amazon provider) | `DOCPIPE_ALERT_SNS_TOPIC_ARN`, `DOCPIPE_ALERT_SNS_CONN_ID` |
| `email` | `SmtpNotifier` (smtp provider) | `DOCPIPE_ALERT_EMAIL_TO`, `DOCPIPE_ALERT_SMTP_CONN_ID` |
| `log` | the process log (triggerer or task log) | - |

The Slack provider (and its `SlackWebhookNotifier`) is not among the locked dependencies; a Slack
incoming webhook is a plain HTTPS POST, so the HTTP provider's notifier does the same job.

Every alert is also written to the log at WARNING, whatever the channels. Notifiers are called
through `notify()` with content rendered here: the providers' Jinja templating is skipped on
purpose, because alert text quotes exception messages that may contain `{{`.
"""

from __future__ import annotations

import logging
from typing import Any

from docpipe.alerts.message import Alert
from docpipe.alerts.scrub import scrub_text
from docpipe.alerts.settings import AlertSettings

log = logging.getLogger("docpipe.alerts")


class AlertDeliveryError(RuntimeError):
    """No configured channel accepted the alert; the message lists each channel's error."""


def notifier_for(channel: str, alert: Alert, settings: AlertSettings) -> Any:
    """The provider notifier that sends `alert` through `channel` (None for `log`)."""
    if channel == "webhook":
        from airflow.providers.http.notifications.http import HttpNotifier

        return HttpNotifier(http_conn_id=settings.webhook_conn_id, endpoint=settings.webhook_endpoint or None,
                            json=alert.to_json(), headers={"Content-Type": "application/json"})  # fmt: skip
    if channel == "slack":
        from airflow.providers.http.notifications.http import HttpNotifier

        return HttpNotifier(http_conn_id=settings.slack_conn_id, endpoint=None, json=alert.slack_payload(),
                            headers={"Content-Type": "application/json"})  # fmt: skip
    if channel == "sns":
        if not settings.sns_topic_arn:
            raise AlertDeliveryError("channel sns needs DOCPIPE_ALERT_SNS_TOPIC_ARN")
        from airflow.providers.amazon.aws.notifications.sns import SnsNotifier

        return SnsNotifier(
            aws_conn_id=settings.sns_conn_id,
            target_arn=settings.sns_topic_arn,
            subject=_sns_subject(alert.subject()),
            message=alert.text(),
            message_attributes={
                "kind": alert.kind,
                "severity": alert.severity,
                "dag_id": alert.dag_id,
                "dedupe_key": alert.dedupe_key,
            },  # fmt: skip
        )
    if channel == "email":
        if not settings.email_to:
            raise AlertDeliveryError("channel email needs DOCPIPE_ALERT_EMAIL_TO")
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        return SmtpNotifier(to=list(settings.email_to), from_email=settings.email_from, subject=alert.subject(),
                            html_content=alert.email_html(), smtp_conn_id=settings.smtp_conn_id)  # fmt: skip
    if channel == "log":
        return None
    raise AlertDeliveryError(f"unknown channel {channel!r}")


def _sns_subject(subject: str) -> str:
    # SNS subjects: ASCII, no line breaks, at most 100 characters.
    return subject.encode("ascii", "replace").decode().replace("\n", " ")[:100]


def send(alert: Alert, settings: AlertSettings | None = None) -> dict[str, str]:
    """Send `alert` through every configured channel; returns {channel: "ok" | "error: ..."}.

    A failing channel does not stop the others. Raises AlertDeliveryError when every channel other
    than `log` failed, so the caller (a deadline callback, a failure callback) shows as failed."""
    settings = settings or AlertSettings.from_env()
    log.warning("ALERT %s\n%s", alert.dedupe_key, alert.text())
    results: dict[str, str] = {}
    for channel in settings.channels:
        try:
            notifier = notifier_for(channel, alert, settings)
            if notifier is not None:
                notifier.notify({})
            results[channel] = "ok"
        except Exception as e:
            results[channel] = f"error: {type(e).__name__}: {scrub_text(e, max_len=200)}"
            log.error("alert %s: channel %s failed: %s", alert.dedupe_key, channel, results[channel])
    _count(alert, results)
    remote = {c: r for c, r in results.items() if c != "log"}
    if remote and all(r != "ok" for r in remote.values()):
        raise AlertDeliveryError(f"alert {alert.dedupe_key} reached no channel: {results}")
    return results


def _count(alert: Alert, results: dict[str, str]) -> None:
    """`docpipe.alerts.sent.<kind>` / `docpipe.alerts.failed.<channel>` through Airflow's StatsD client."""
    try:
        from airflow.sdk.observability.stats import Stats

        Stats.incr(f"docpipe.alerts.sent.{alert.kind}")
        for channel, result in results.items():
            if result != "ok":
                Stats.incr(f"docpipe.alerts.failed.{channel}")
    except Exception:  # metrics are best effort; the alert already went out
        pass
