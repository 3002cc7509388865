"""Sentry for the task processes: a `before_send` that strips document text, PII and secrets.

Configured through Airflow's `[sentry]` section (see docs/alerting.md):

    AIRFLOW__SENTRY__SENTRY_ON=True
    AIRFLOW__SENTRY__SENTRY_DSN=https://<key>@<host>/<project>
    AIRFLOW__SENTRY__BEFORE_SEND=docpipe.alerts.sentry.before_send

What leaves the worker:
- stack frames keep file, function, line and the source lines (scrubbed for secrets and PII), but
  lose their local variables (that is where document text, bytes and credentials live);
- exception and log messages go through `docpipe.alerts.scrub.scrub_text`; breadcrumbs other than
  Airflow's "completed_tasks" are dropped (log-line breadcrumbs quote whatever a task logged);
- `extra`, `user`, request bodies, cookies and headers are dropped; tags (dag_id, task_id, try_number)
  are kept, scrubbed;
- only exceptions are sent: error log lines (sentry-sdk's logging integration turns them into
  events) quote whatever the task logged, so they stay in the task log;
- events from an attempt that Airflow will retry are dropped (`DOCPIPE_SENTRY_REPORT_RETRIES=true`
  keeps them): the on-call engineer hears about the failure that stands, once.

The task SDK (1.3.2) hands `[sentry] before_send` to `sentry_sdk.init` as the dotted-path STRING
whenever the `[sentry]` section has any option, and sentry-sdk then drops every event (calling a
string fails). `install()` - called by the `docpipe_alerts` plugin's listener when a task starts -
swaps the string for this function. Without the plugin no event is sent at all (fail closed).
"""

from __future__ import annotations

import logging
from typing import Any

from docpipe.alerts.scrub import scrub_pii, scrub_secrets, scrub_text

log = logging.getLogger(__name__)

_current_ti: Any = None  # the task instance running in this process (set by the plugin's listener)

DROP_KEYS = ("extra", "user", "request", "server_name")
FRAME_DROP_KEYS = ("vars",)
BREADCRUMB_CATEGORIES = frozenset({"completed_tasks"})  # added by Airflow's Sentry integration


def remember_task_instance(ti: Any) -> None:
    global _current_ti
    _current_ti = ti


def install() -> bool:
    """Give the active Sentry client a callable before_send: the one `[sentry] before_send` names
    (imported, where the task SDK left the dotted path), or this module's when none is configured.
    True if it changed anything."""
    try:
        import sentry_sdk
    except ImportError:
        return False
    client = sentry_sdk.get_client()
    if not client.is_active():
        return False
    current = client.options.get("before_send")
    if callable(current):
        return False
    if isinstance(current, str):
        from importlib import import_module

        module, _, name = current.strip().rpartition(".")
        client.options["before_send"] = getattr(import_module(module), name)
    else:
        client.options["before_send"] = before_send
    return True


def _is_retried_attempt(event: dict[str, Any]) -> bool:
    ti = _current_ti
    if ti is None:
        return False
    state = str(getattr(getattr(ti, "state", None), "value", getattr(ti, "state", "")))
    tags = event.get("tags") or {}
    same_task = str(tags.get("task_id", ti.task_id)) == str(getattr(ti, "task_id", ""))
    return same_task and state == "up_for_retry"


def _scrub_frames(container: dict[str, Any] | None) -> None:
    for frame in ((container or {}).get("stacktrace") or {}).get("frames") or []:
        for key in FRAME_DROP_KEYS:
            frame.pop(key, None)
        # Source lines are code, but code can hold a literal address or key too.
        if isinstance(frame.get("context_line"), str):
            frame["context_line"] = _code_line(frame["context_line"])
        for key in ("pre_context", "post_context"):
            if isinstance(frame.get(key), list):
                frame[key] = [_code_line(line) if isinstance(line, str) else line for line in frame[key]]


def _code_line(line: str) -> str:
    return scrub_pii(scrub_secrets(line))


def scrub_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event without document text, PII and secrets (in place, and returned)."""
    for key in DROP_KEYS:
        event.pop(key, None)
    for exc in (event.get("exception") or {}).get("values") or []:
        if exc.get("value") is not None:
            exc["value"] = scrub_text(exc["value"], max_len=500)
        _scrub_frames(exc)
    for thread in (event.get("threads") or {}).get("values") or []:
        _scrub_frames(thread)
    entry = event.get("logentry")
    if isinstance(entry, dict):
        for key in ("message", "formatted"):
            if entry.get(key):
                entry[key] = scrub_text(entry[key], max_len=500)
        entry.pop("params", None)
    if isinstance(event.get("message"), str):
        event["message"] = scrub_text(event["message"], max_len=500)
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs["values"] = _kept_breadcrumbs(crumbs.get("values") or [])
    elif isinstance(crumbs, list):
        event["breadcrumbs"] = _kept_breadcrumbs(crumbs)
    if isinstance(event.get("tags"), dict):
        event["tags"] = {k: scrub_text(v, max_len=200) if isinstance(v, str) else v for k, v in event["tags"].items()}
    if isinstance(event.get("contexts"), dict):
        event["contexts"] = _secrets_only(event["contexts"])
    return event


def _kept_breadcrumbs(crumbs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only Airflow's own breadcrumbs (the run's completed tasks); log-line breadcrumbs quote whatever
    the task logged, document text included, so they are dropped."""
    kept = []
    for crumb in crumbs:
        if crumb.get("category") not in BREADCRUMB_CATEGORIES:
            continue
        if crumb.get("message"):
            crumb["message"] = scrub_text(crumb["message"], max_len=200)
        if isinstance(crumb.get("data"), dict):
            crumb["data"] = {k: scrub_text(v, max_len=200) if isinstance(v, str) else v
                             for k, v in crumb["data"].items()}  # fmt: skip
        kept.append(crumb)
    return kept


def _secrets_only(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_secrets(value)
    if isinstance(value, dict):
        return {k: _secrets_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_secrets_only(v) for v in value]
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """sentry-sdk's before_send hook: None drops the event."""
    try:
        from docpipe.alerts.settings import AlertSettings

        report_retries = AlertSettings.from_env().sentry_report_retries
    except Exception:
        report_retries = False
    if not (event.get("exception") or {}).get("values"):
        # An error LOG line (sentry-sdk's logging integration), not an exception: its message is
        # whatever the task logged, possibly document text. It stays in the task log.
        return None
    if not report_retries and _is_retried_attempt(event):
        return None
    try:
        return scrub_event(event)
    except Exception:  # an event we cannot clean does not leave the machine
        log.exception("dropping a Sentry event that could not be scrubbed")
        return None
