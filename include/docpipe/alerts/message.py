"""One alert shape for every channel: what happened, to which DAG run and interval, how late or
why it failed, the run's accounting so far, and a link to the run in the Airflow UI.

`Alert.to_json()` is what the webhook receives (and what `docpipe alerts tail` prints);
`text()`, `slack_payload()`, `email_html()` and `subject()` render the same content for people.
Every free-text field (exception messages above all) has been through `docpipe.alerts.scrub`.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from docpipe.alerts.scrub import scrub_text

SCHEMA = "docpipe.alert/v1"
# When Airflow itself fails the task (killed, heartbeat lost, could not start) the callback runs in
# the DAG processor without the task's exception.
NO_EXCEPTION = "the task reported no exception (killed, timed out or could not start); see the task log"


def run_url(base: str, dag_id: str, run_id: str) -> str:
    """The run's page in the Airflow 3 UI (run ids hold ':' and '+', hence the quoting)."""
    return f"{base}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def task_url(base: str, dag_id: str, run_id: str, task_id: str, map_index: int | None = None) -> str:
    url = f"{run_url(base, dag_id, run_id)}/tasks/{quote(task_id, safe='')}"
    return f"{url}/mapped/{map_index}" if map_index is not None and map_index >= 0 else url


def parse_time(value: Any) -> datetime | None:
    """A datetime from Airflow's context, whichever form it arrived in (datetime, ISO string, None)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def iso(value: Any) -> str | None:
    dt = parse_time(value)
    return dt.astimezone(UTC).isoformat() if dt else None


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(round(abs(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s} s" if s else f"{minutes} min"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m} min" if m else f"{hours} h"


def _fmt(value: str | None) -> str:
    dt = parse_time(value)
    return f"{dt.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if dt else "-"


@dataclass
class Alert:
    kind: str  # deadline_missed | task_failed | test
    severity: str  # page | warning | info
    environment: str
    dag_id: str
    run_id: str
    run_type: str | None
    run_state: str | None
    interval_start: str | None
    interval_end: str | None
    logical_date: str | None
    url: str
    headline: str
    rule: str | None = None
    deadline: str | None = None
    late_by_seconds: float | None = None
    queued_at: str | None = None
    running_for_seconds: float | None = None
    task: dict[str, Any] | None = None
    exception: dict[str, str] | None = None
    accounting: dict[str, Any] | None = None
    sent_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def dedupe_key(self) -> str:
        """Stable per incident, so a paging tool can merge repeats (e.g. PagerDuty's dedup_key)."""
        task = f":{self.task['task_id']}:{self.task.get('map_index', -1)}" if self.task else ""
        return f"docpipe:{self.kind}:{self.dag_id}:{self.run_id}{task}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {"schema": SCHEMA, "dedupe_key": self.dedupe_key, **data, "text": self.text()}

    def interval_text(self) -> str:
        if not self.interval_start or not self.interval_end:
            return "none (run without a data interval)"
        return f"{_fmt(self.interval_start)} -> {_fmt(self.interval_end)}"

    def subject(self) -> str:
        return f"[docpipe {self.environment}] {self.headline}"[:200]

    def lines(self) -> list[tuple[str, str]]:
        rows = [
            ("DAG", self.dag_id),
            ("interval", self.interval_text()),
            ("run", f"{self.run_id} ({self.run_type or '?'}, state {self.run_state or '?'})"),
        ]
        if self.kind == "deadline_missed":
            rows += [
                ("rule", self.rule or "-"),
                ("deadline", f"{_fmt(self.deadline)}, missed by {human_duration(self.late_by_seconds)}"),
                ("queued", f"{_fmt(self.queued_at)}, running for {human_duration(self.running_for_seconds)}"),
            ]
        if self.task:
            t = self.task
            where = f"{t['task_id']}" + (f" [map index {t['map_index']}]" if t.get("map_index", -1) >= 0 else "")
            rows.append(("task", f"{where}, attempt {t.get('try_number')} of {t.get('attempts')}, {t.get('operator')}"))
        if self.exception:
            rows.append(("error", f"{self.exception['type']}: {self.exception['message']}"))
        if self.accounting:
            rows.append(("accounting", accounting_text(self.accounting)))
        rows.append(("link", self.url))
        return rows

    def text(self) -> str:
        width = max(len(k) for k, _ in self.lines())
        body = "\n".join(f"{k.ljust(width)}  {v}" for k, v in self.lines())
        return f"{self.subject()}\n{body}"

    def slack_payload(self) -> dict[str, Any]:
        """Slack incoming-webhook body: a plain `text` fallback plus Block Kit sections."""
        emoji = {"page": ":rotating_light:", "warning": ":warning:"}.get(self.severity, ":information_source:")
        fields = [{"type": "mrkdwn", "text": f"*{k}*\n{_slack_escape(v)}"} for k, v in self.lines() if k != "link"]
        return {
            "text": self.subject(),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": f"{self.headline}"[:150]}},
                *({"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)),
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "Open the run"}, "url": self.url}
                    ],
                },  # fmt: skip
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": f"{emoji} {self.severity} | {self.environment} | {self.dedupe_key}"}
                    ],
                },  # fmt: skip
            ],
        }

    def email_html(self) -> str:
        rows = "".join(
            f"<tr><th align='left' style='padding-right:1em'>{html.escape(k)}</th><td>"
            + (f"<a href='{html.escape(v)}'>{html.escape(v)}</a>" if k == "link" else html.escape(v))
            + "</td></tr>"
            for k, v in self.lines()
        )
        return f"<h3>{html.escape(self.headline)}</h3><table>{rows}</table>"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def accounting_text(acc: dict[str, Any]) -> str:
    order = ("listed", "processed", "quarantined", "unchanged", "missing", "batches_reported", "batches")
    parts = [f"{k.replace('_', ' ')} {acc[k]}" for k in order if k in acc]
    parts += [f"{k} {v}" for k, v in acc.items() if k not in order and not isinstance(v, dict)]
    recorded = acc.get("recorded_run")
    if isinstance(recorded, dict):
        parts.append(f"recorded run: {recorded.get('status')}")
    return ", ".join(parts) or "nothing recorded yet"


def _run_fields(dag_run: dict[str, Any], base: str) -> dict[str, Any]:
    dag_id = dag_run.get("dag_id") or "?"
    run_id = dag_run.get("dag_run_id") or dag_run.get("run_id") or "?"
    return {
        "dag_id": dag_id,
        "run_id": run_id,
        "run_type": _value(dag_run.get("run_type")),
        "run_state": _value(dag_run.get("state")),
        "interval_start": iso(dag_run.get("data_interval_start")),
        "interval_end": iso(dag_run.get("data_interval_end")),
        "logical_date": iso(dag_run.get("logical_date")),
        "url": run_url(base, dag_id, run_id),
    }


def _value(v: Any) -> str | None:
    """Enum members (DagRunType.SCHEDULED) as their plain value."""
    if v is None:
        return None
    return str(getattr(v, "value", v))


def deadline_alert(dag_run: dict[str, Any], deadline_time: Any, *, rule_text: str, environment: str, base: str,
                   now: datetime | None = None) -> Alert:  # fmt: skip
    """The alert for a run that had not finished by its deadline. `dag_run` is the REST-shaped run
    Airflow passes to deadline callbacks (context["dag_run"])."""
    now = now or datetime.now(UTC)
    deadline = parse_time(deadline_time)
    queued = parse_time(dag_run.get("queued_at"))
    fields = _run_fields(dag_run, base)
    end = parse_time(dag_run.get("end_date"))
    state = fields["run_state"]
    finished_late = state == "success" and end is not None
    until = end if finished_late and end is not None else now
    late_by = (until - deadline).total_seconds() if deadline else None
    start = parse_time(fields["interval_start"])
    which = f"{fields['dag_id']} ({start:%Y-%m-%d %H:%M} UTC interval)" if start else fields["dag_id"]
    headline = (
        f"LATE: {which} finished {human_duration(late_by)} past its deadline"
        if finished_late
        else f"LATE: {which} still running {human_duration(late_by)} past its deadline"
    )
    return Alert(
        kind="deadline_missed",
        severity="warning" if finished_late else "page",
        environment=environment,
        headline=headline,
        rule=rule_text,
        deadline=deadline.isoformat() if deadline else None,
        late_by_seconds=round(late_by, 1) if late_by is not None else None,
        queued_at=queued.isoformat() if queued else None,
        running_for_seconds=round((now - queued).total_seconds(), 1) if queued else None,
        **fields,
    )


def failure_alert(dag_run: dict[str, Any], *, task_id: str, map_index: int, try_number: int | None,
                  attempts: int | None, operator: str, error: BaseException | str | None,
                  accounting: dict[str, Any] | None, environment: str, base: str) -> Alert:  # fmt: skip
    """The alert for a task that failed after its last attempt."""
    fields = _run_fields(dag_run, base)
    fields["url"] = task_url(base, fields["dag_id"], fields["run_id"], task_id, map_index)
    where = f"{task_id}[{map_index}]" if map_index is not None and map_index >= 0 else task_id
    attempts_text = f" after {attempts} attempts" if attempts and attempts > 1 else ""
    exc_type = type(error).__name__ if isinstance(error, BaseException) else "Error"
    return Alert(
        kind="task_failed",
        severity="page",
        environment=environment,
        headline=f"FAILED: {fields['dag_id']}.{where}{attempts_text}",
        task={
            "task_id": task_id,
            "map_index": map_index,
            "try_number": try_number,
            "attempts": attempts,
            "operator": operator,
        },  # fmt: skip
        exception={"type": exc_type, "message": scrub_text(error if error is not None else NO_EXCEPTION)},
        accounting=accounting,
        **fields,
    )
