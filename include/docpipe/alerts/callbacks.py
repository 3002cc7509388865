"""What Airflow calls when a run misses its deadline or a task fails for good.

- `deadline_missed` runs in the triggerer (an `AsyncCallback` of the DAGs' `DeadlineAlert`s). Airflow
  passes `context={"dag_run": <the run as the REST API shows it>, "deadline": {"id", "deadline_time"}}`.
- `task_failed` is the tasks' `on_failure_callback`: it runs in the worker after the LAST attempt
  (retries go to `on_retry_callback`, which pages nobody).

No false alarms (`deadline_decision`):
- backfill runs never page for lateness: a backfill is started by a person who is watching it;
- a run that has already failed was alerted as a failure; Airflow still fires its deadline later
  (it only drops deadlines of successful runs), and that second alert is suppressed;
- a manual run queued after its deadline had already passed (a rerun of an old interval) is not late.
A failing task whose upstream tasks already failed in the same run (e.g. `record_run`, which runs
after failed batches to close the books) does not page again: the upstream failure did.

The module imports nothing heavy: DAG files import it at parse time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("docpipe.alerts")


def deadline_decision(dag_run: Mapping[str, Any], deadline_time: Any) -> tuple[bool, str]:
    """Whether a missed deadline pages someone, and why (the reason lands in the callback's output)."""
    from docpipe.alerts.message import _value, parse_time

    run_type = _value(dag_run.get("run_type"))
    state = _value(dag_run.get("state"))
    if run_type == "backfill":
        return False, "backfill run: lateness of a backfill pages nobody"
    if state == "failed":
        return False, "run already failed: it was alerted as a failure"
    queued, deadline = parse_time(dag_run.get("queued_at")), parse_time(deadline_time)
    if run_type == "manual" and queued and deadline and queued >= deadline:
        return False, "manual run queued after its deadline had passed (a rerun of an old interval)"
    return True, "late"


async def deadline_missed(context: dict[str, Any] | None = None, rule: str = "", rule_text: str = "",
                          **_: Any) -> str:  # fmt: skip
    """Deadline callback (triggerer): page through the configured channels unless `deadline_decision` says no.

    Returns what it did; Airflow stores that as the callback's output (table `callback`, column `output`)."""
    import asyncio

    from docpipe.alerts import message, notifiers
    from docpipe.alerts.settings import AlertSettings

    context = context or {}
    dag_run = context.get("dag_run") or {}
    deadline_time = (context.get("deadline") or {}).get("deadline_time")
    send, reason = deadline_decision(dag_run, deadline_time)
    run = f"{dag_run.get('dag_id')} {dag_run.get('dag_run_id')}"
    if not send:
        log.info("deadline missed by %s, not alerting: %s", run, reason)
        _incr(f"docpipe.alerts.suppressed.{'backfill' if 'backfill' in reason else 'other'}")
        return f"suppressed: {reason}"
    settings = AlertSettings.from_env()
    alert = message.deadline_alert(dag_run, deadline_time, rule_text=rule_text or rule, environment=settings.environment,
                                   base=settings.ui_base(), now=datetime.now(UTC))  # fmt: skip
    # The notifiers are synchronous (requests, boto3, smtplib): keep them off the triggerer's event loop.
    results = await asyncio.to_thread(notifiers.send, alert, settings)
    return f"sent: {results}"


def task_failed(context: Mapping[str, Any]) -> None:
    """`on_failure_callback` (worker, after the last attempt): page with the exception summary and
    the run's accounting so far. Never raises: a broken alert must not hide the task's own error."""
    try:
        _task_failed(context)
    except Exception:
        log.exception("could not send the failure alert")


def _task_failed(context: Mapping[str, Any]) -> None:
    from docpipe.alerts import accounting, message, notifiers
    from docpipe.alerts.settings import AlertSettings

    ti, task = context["ti"], context["task"]
    if _upstream_already_failed(ti, task):
        log.info("not alerting for %s: an upstream task of this run already failed and alerted", ti.task_id)
        _incr("docpipe.alerts.suppressed.upstream_failed")
        return
    settings = AlertSettings.from_env()
    dag_run = context.get("dag_run")
    run_json = {
        "dag_id": ti.dag_id,
        "dag_run_id": ti.run_id,
        "run_type": getattr(dag_run, "run_type", None),
        "state": getattr(dag_run, "state", None),
        "data_interval_start": getattr(dag_run, "data_interval_start", None),
        "data_interval_end": getattr(dag_run, "data_interval_end", None),
        "logical_date": getattr(dag_run, "logical_date", None),
    }
    retries = getattr(task, "retries", 0) or 0
    alert = message.failure_alert(
        run_json,
        task_id=ti.task_id,
        map_index=getattr(ti, "map_index", -1),
        try_number=getattr(ti, "try_number", None),
        attempts=int(retries) + 1,
        operator=type(task).__name__,
        error=context.get("exception"),
        accounting=accounting.for_context(context),
        environment=settings.environment,
        base=settings.ui_base(),
    )
    notifiers.send(alert, settings)


def _upstream_already_failed(ti: Any, task: Any) -> bool:
    """True when this task ran despite failed upstream tasks (trigger rule all_done & co) and one
    of them failed in this run: that failure already paged."""
    rule = getattr(task, "trigger_rule", "all_success")
    if str(getattr(rule, "value", rule)) == "all_success":  # it only runs when every upstream succeeded
        return False
    upstream = sorted(task.get_flat_relative_ids(upstream=True))
    if not upstream:
        return False
    try:
        return ti.get_ti_count(dag_id=ti.dag_id, task_ids=upstream, run_ids=[ti.run_id], states=["failed"]) > 0
    except Exception:  # when in doubt, page
        return False


def _incr(name: str) -> None:
    try:
        from airflow.sdk.observability.stats import Stats

        Stats.incr(name)
    except Exception:
        pass
