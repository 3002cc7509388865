"""The deadline alerts ("SLAs") the DAGs declare, built from `docpipe.alerts.settings`.

Airflow 3 replaced `sla=` with Deadline Alerts: a reference time on the run plus an interval. Which
reference matters:

- `document_ingest` (hourly): `DAGRUN_QUEUED_AT` + 45 min. A backfill or a manual rerun of an old
  hour is queued now, so its deadline is 45 min from now, never already in the past.
- `warehouse_load` (nightly at 02:00 UTC, `CronDataIntervalTimetable`): "finished by 06:00 UTC".
  Its logical date is the START of its interval, i.e. 02:00 the day BEFORE the run starts; so the
  deadline is `DAGRUN_LOGICAL_DATE` + 1 day + 4 h (logical date + 4 h would be yesterday 06:00 and
  fire at once). It is anchored to the clock, not to when the run was queued: a run that the
  scheduler queued late is still judged against 06:00. Backfills and manual reruns of old nights
  have deadlines in the past; `docpipe.alerts.callbacks` does not page for those.

Both call `docpipe.alerts.callbacks.deadline_missed` in the triggerer.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

from docpipe.alerts.callbacks import deadline_missed
from docpipe.alerts.settings import AlertSettings

DAY = timedelta(days=1)


def finish_within_of_queued(interval: timedelta, *, name: str) -> DeadlineAlert:
    """The run must finish within `interval` of being queued."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=interval,
        callback=AsyncCallback(
            deadline_missed,
            kwargs={"rule": name, "rule_text": f"finish within {_human(interval)} of being queued"},
        ),
        name=name,
    )


def offset_after_logical_date(finish_by: time, *, schedule_at: time, period: timedelta = DAY) -> timedelta:
    """The interval from a run's logical date (its data interval's start) to `finish_by` (UTC) on
    the day the run is scheduled: one `period` to the interval's end, then on to `finish_by`."""
    today = datetime(2000, 1, 1)
    gap = (datetime.combine(today, finish_by) - datetime.combine(today, schedule_at)) % DAY
    return period + (gap or DAY)


def finish_by_utc(finish_by: time, *, schedule_at: time, period: timedelta = DAY, name: str) -> DeadlineAlert:
    """The scheduled run must finish by `finish_by` UTC on the day it is scheduled."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=offset_after_logical_date(finish_by, schedule_at=schedule_at, period=period),
        callback=AsyncCallback(
            deadline_missed,
            kwargs={"rule": name, "rule_text": f"finish by {finish_by:%H:%M} UTC"},
        ),
        name=name,
    )


def hourly_ingest() -> list[DeadlineAlert] | None:
    """`document_ingest`: finish within DOCPIPE_DEADLINE_INGEST_MINUTES (45) of being queued."""
    settings = AlertSettings.from_env()
    if not settings.deadlines_enabled:
        return None
    minutes = settings.ingest_deadline_minutes
    return [finish_within_of_queued(timedelta(minutes=minutes), name=f"ingest finishes within {minutes} min")]


def nightly_warehouse(schedule_at: time = time(2, 0)) -> list[DeadlineAlert] | None:
    """`warehouse_load` (scheduled at `schedule_at` UTC): finish by DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY (06:00)."""
    settings = AlertSettings.from_env()
    if not settings.deadlines_enabled:
        return None
    finish_by = settings.warehouse_finish_by
    return [finish_by_utc(finish_by, schedule_at=schedule_at, name=f"warehouse load finished by {finish_by:%H:%M} UTC")]


def _human(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
