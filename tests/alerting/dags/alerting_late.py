"""
### alerting_late — test DAG: a run that cannot meet its deadline

Its only task sleeps `DOCPIPE_TEST_SLEEP_SECONDS` (30) while the deadline is
`DOCPIPE_TEST_DEADLINE_SECONDS` (15) after the run was queued, through the same
`docpipe.alerts.deadlines` factory and callback as the production DAGs. The alerting test runs it
as a scheduled run (which must page once) and as a backfill (which must not page).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from docpipe.alerts import callbacks, deadlines

DEADLINE = timedelta(seconds=int(os.environ.get("DOCPIPE_TEST_DEADLINE_SECONDS", "15")))
SLEEP_SECONDS = int(os.environ.get("DOCPIPE_TEST_SLEEP_SECONDS", "30"))


@dag(
    dag_id="alerting_late",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=4,
    doc_md=__doc__,
    tags=["test", "alerting"],
    deadline=deadlines.finish_within_of_queued(DEADLINE, name="test run finishes in time"),
    default_args={"owner": "docpipe-tests", "retries": 0, "on_failure_callback": callbacks.task_failed},
)
def alerting_late():
    @task
    def sleep_past_deadline() -> int:
        time.sleep(SLEEP_SECONDS)
        return SLEEP_SECONDS

    sleep_past_deadline()


alerting_late()
