"""
### alerting_fail — test DAG: a task that fails after its retry, quoting a document

`process_batch` reports a batch outcome (the run's accounting so far); `load` keeps a document's
text in a local variable, logs it, and raises an error that quotes it next to an e-mail address
and an AWS key id. It fails twice (one retry). The alerting test expects exactly one failure
alert (after the retry) and one Sentry event, neither containing the document text, and no
deadline alert when the run's deadline passes after it failed.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from docpipe.alerts import callbacks, deadlines

# Far away: the test moves this run's deadline into the past once the run has failed (the scheduler
# then handles it like any expired deadline), so the check does not depend on how fast the machine is.
DEADLINE = timedelta(seconds=int(os.environ.get("DOCPIPE_TEST_FAIL_DEADLINE_SECONDS", "3600")))
DOCUMENT_TEXT = (
    "INVOICE INV-2026-0042\nWayne Enterprises, 1007 Mountain Drive, Gotham\n"
    "Bill to: Selina Kyle, selina.kyle@example.com, +1 415 555 0100\nTotal due: 1,234.56 USD"
)
SECRET = "AKIAIOSFODNN7EXAMPLE"


class DocumentLoadError(ValueError):
    """A document could not be loaded (test stand-in)."""


@dag(
    dag_id="alerting_fail",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    doc_md=__doc__,
    tags=["test", "alerting"],
    deadline=deadlines.finish_within_of_queued(DEADLINE, name="failing run finishes in time"),
    default_args={
        "owner": "docpipe-tests",
        "retries": 1,
        "retry_delay": timedelta(seconds=1),
        "on_failure_callback": callbacks.task_failed,
    },
)
def alerting_fail():
    @task(retries=0)
    def process_batch() -> dict:
        return {"processed": 2, "quarantined": 1, "unchanged": 0, "pages": 3}

    @task
    def load(outcome: dict) -> None:
        text = DOCUMENT_TEXT  # a local variable: Sentry would ship it with the stack frame
        logging.getLogger("docpipe.test").error("loading document: %s", text)
        raise DocumentLoadError(
            f"could not parse the total in {text!r}; customer selina.kyle@example.com, key {SECRET}"
        )

    load(process_batch())


alerting_fail()
