"""Alerting configuration, read from the environment in one place.

Secrets (webhook URLs, SMTP passwords) never live here: each channel names an Airflow connection
(`AIRFLOW_CONN_<ID>` locally, a secrets backend in production). Everything else is a variable:

| variable | default | meaning |
|---|---|---|
| `DOCPIPE_ALERT_CHANNELS` | `log` | comma list of `webhook`, `slack`, `sns`, `email`, `log` |
| `DOCPIPE_ALERT_WEBHOOK_CONN_ID` | `docpipe_alerts_webhook` | HTTP connection of the generic webhook |
| `DOCPIPE_ALERT_WEBHOOK_ENDPOINT` | (empty) | path appended to that connection's URL |
| `DOCPIPE_ALERT_SLACK_CONN_ID` | `docpipe_alerts_slack` | HTTP connection whose host is the Slack incoming-webhook URL |
| `DOCPIPE_ALERT_SNS_TOPIC_ARN` | (none) | topic the `sns` channel publishes to |
| `DOCPIPE_ALERT_SNS_CONN_ID` | `$DOCPIPE_AWS_CONN_ID` or `aws_default` | AWS connection for SNS |
| `DOCPIPE_ALERT_EMAIL_TO` | (none) | comma list of recipients of the `email` channel |
| `DOCPIPE_ALERT_EMAIL_FROM` | the SMTP connection's `from_email` | sender |
| `DOCPIPE_ALERT_SMTP_CONN_ID` | `smtp_default` | SMTP connection |
| `DOCPIPE_ALERT_ENVIRONMENT` | `local` | shown in every alert (`prod`, `staging`, ...) |
| `DOCPIPE_ALERT_UI_BASE_URL` | Airflow's `[api] base_url` | base of the run links in alerts |
| `DOCPIPE_DEADLINES` | `on` | `off` declares no deadlines (for `airflow dags test`, see docs/alerting.md) |
| `DOCPIPE_DEADLINE_INGEST_MINUTES` | `45` | an hourly ingest run must finish this long after it was queued |
| `DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY` | `06:00` | the nightly load must finish by this UTC time |
| `DOCPIPE_SENTRY_REPORT_RETRIES` | `false` | also send Sentry events for attempts Airflow will retry |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time

CHANNELS = ("webhook", "slack", "sns", "email", "log")


class AlertConfigError(ValueError):
    """An alerting setting is invalid; the message names the variable and what it accepts."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise AlertConfigError(f"{name}={raw!r}: use on/off (or true/false)")


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise AlertConfigError(f"{name}={raw!r} is not a whole number of minutes") from None
    if value <= 0:
        raise AlertConfigError(f"{name}={raw!r} must be positive")
    return value


def _utc_time(name: str, default: str) -> time:
    raw = os.environ.get(name, "").strip() or default
    try:
        hh, mm = raw.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise AlertConfigError(f"{name}={raw!r} is not a UTC time like 06:00") from None


def _list(name: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in os.environ.get(name, "").split(",") if p.strip())


@dataclass(frozen=True)
class AlertSettings:
    channels: tuple[str, ...]
    webhook_conn_id: str
    webhook_endpoint: str
    slack_conn_id: str
    sns_topic_arn: str | None
    sns_conn_id: str
    email_to: tuple[str, ...]
    email_from: str | None
    smtp_conn_id: str
    environment: str
    ui_base_url: str | None
    deadlines_enabled: bool
    ingest_deadline_minutes: int
    warehouse_finish_by: time
    sentry_report_retries: bool

    @classmethod
    def from_env(cls) -> AlertSettings:
        env = os.environ.get
        channels = tuple(c.lower() for c in _list("DOCPIPE_ALERT_CHANNELS")) or ("log",)
        unknown = sorted(set(channels) - set(CHANNELS))
        if unknown:
            raise AlertConfigError(
                f"DOCPIPE_ALERT_CHANNELS: unknown channel(s) {unknown}; choose from {list(CHANNELS)}"
            )
        return cls(
            channels=channels,
            webhook_conn_id=env("DOCPIPE_ALERT_WEBHOOK_CONN_ID", "docpipe_alerts_webhook"),
            webhook_endpoint=env("DOCPIPE_ALERT_WEBHOOK_ENDPOINT", ""),
            slack_conn_id=env("DOCPIPE_ALERT_SLACK_CONN_ID", "docpipe_alerts_slack"),
            sns_topic_arn=env("DOCPIPE_ALERT_SNS_TOPIC_ARN") or None,
            sns_conn_id=env("DOCPIPE_ALERT_SNS_CONN_ID") or env("DOCPIPE_AWS_CONN_ID", "aws_default"),
            email_to=_list("DOCPIPE_ALERT_EMAIL_TO"),
            email_from=env("DOCPIPE_ALERT_EMAIL_FROM") or None,
            smtp_conn_id=env("DOCPIPE_ALERT_SMTP_CONN_ID", "smtp_default"),
            environment=env("DOCPIPE_ALERT_ENVIRONMENT", "local"),
            ui_base_url=(env("DOCPIPE_ALERT_UI_BASE_URL") or "").rstrip("/") or None,
            deadlines_enabled=_bool("DOCPIPE_DEADLINES", True),
            ingest_deadline_minutes=_positive_int("DOCPIPE_DEADLINE_INGEST_MINUTES", 45),
            warehouse_finish_by=_utc_time("DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY", "06:00"),
            sentry_report_retries=_bool("DOCPIPE_SENTRY_REPORT_RETRIES", False),
        )

    def ui_base(self) -> str:
        """Where run links point: DOCPIPE_ALERT_UI_BASE_URL, else Airflow's `[api] base_url`."""
        if self.ui_base_url:
            return self.ui_base_url
        base = os.environ.get("AIRFLOW__API__BASE_URL", "")
        if not base:
            try:
                from airflow.configuration import conf

                base = conf.get("api", "base_url", fallback="") or ""
            except Exception:  # a process without Airflow configuration still gets a relative link
                base = ""
        return base.rstrip("/")
