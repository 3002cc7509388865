"""Airflow listener hooks of the `docpipe_alerts` plugin (plugins/docpipe_alerts.py).

In the task process, when a task instance starts running: remember it (the Sentry `before_send`
drops events of attempts that will be retried) and make Sentry use `docpipe.alerts.sentry.before_send`
(see that module for why the task SDK's own wiring is not enough).
"""

from __future__ import annotations

from typing import Any

try:
    from airflow.listeners import hookimpl
except ImportError:  # a worker with only the task SDK installed
    from airflow.sdk._shared.listeners import hookimpl


@hookimpl
def on_task_instance_running(previous_state: Any, task_instance: Any) -> None:
    from docpipe.alerts import sentry

    sentry.remember_task_instance(task_instance)
    sentry.install()
