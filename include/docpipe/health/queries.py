"""What the health view shows, read from the application store.

Reads `docpipe.pipeline_runs` (each run's accounting: listed = processed + quarantined + unchanged)
and `docpipe.documents` (what the store holds for each upload hour, with its moderation decision).
Returns plain dataclasses; nothing here needs Airflow, so the CLI and tests call it directly.

Per-tenant run counts come from `pipeline_runs.details -> 'tenants'` when the run recorded them
(`{"acme": {"listed": 3, "processed": 2, "quarantined": 1, "unchanged": 0}, ...}`); the store
columns (documents held, quarantined, review, block) are always available.

The SLA verdict is read from a `pipeline_runs.sla_met` column or `details -> 'sla_met'` when the
alerting work records one (true, false or null); until then it is `None` and the view shows "n/a".
The row is read as `to_jsonb(r)` so that the query keeps working before and after such a column exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

RUN_COUNTERS = ("listed", "processed", "quarantined", "unchanged")


@dataclass
class TenantHealth:
    """One tenant's share of an interval."""

    tenant_id: str
    # What the run did for this tenant (None when the run did not record per-tenant counts).
    listed: int | None = None
    processed: int | None = None
    quarantined: int | None = None
    unchanged: int | None = None
    # What the store holds now for the interval's upload hours.
    stored: int = 0
    stored_processed: int = 0
    stored_quarantined: int = 0
    review: int = 0
    block: int = 0


@dataclass
class IntervalHealth:
    """One data interval of a DAG: its latest recorded run and the tenants in it."""

    dag_id: str
    interval_start: datetime
    interval_end: datetime
    run_id: str
    status: str  # success | incomplete | failed, as record_run wrote it
    listed: int
    processed: int
    quarantined: int
    unchanged: int
    missing: int
    sla_met: bool | None
    runs: int  # how many runs recorded this interval (reruns, backfills)
    finished_at: datetime | None
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    tenants: list[TenantHealth] = field(default_factory=list)

    @property
    def review(self) -> int:
        return sum(t.review for t in self.tenants)

    @property
    def block(self) -> int:
        return sum(t.block for t in self.tenants)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("interval_start", "interval_end", "finished_at"):
            d[k] = d[k].isoformat() if d[k] else None
        d["review"], d["block"] = self.review, self.block
        return d


def _sla(row: dict[str, Any], details: dict[str, Any]) -> bool | None:
    value = row.get("sla_met", details.get("sla_met"))
    if value is None and "sla_missed" in row and row["sla_missed"] is not None:
        value = not row["sla_missed"]
    return None if value is None else bool(value)


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def interval_health(
    conn: psycopg.Connection,
    *,
    dag_id: str = "document_ingest",
    since: datetime | None = None,
    until: datetime | None = None,
    tenants: Sequence[str] | None = None,
    limit: int = 72,
) -> list[IntervalHealth]:
    """The latest recorded run of each interval of `dag_id` (newest first), with per-tenant rows.

    `since`/`until` bound the interval start; `tenants` keeps only those tenants' rows (the run
    totals stay the run's). At most `limit` intervals."""
    where: list[str] = ["dag_id = %s"]
    params: list[Any] = [dag_id]
    if since is not None:
        where.append("interval_start >= %s")
        params.append(since)
    if until is not None:
        where.append("interval_start < %s")
        params.append(until)
    rows = conn.execute(
        f"""WITH runs AS (
                SELECT to_jsonb(r) AS row,
                       row_number() OVER w AS rank,
                       count(*) OVER (PARTITION BY interval_start, interval_end) AS runs
                FROM docpipe.pipeline_runs r
                WHERE {" AND ".join(where)}
                WINDOW w AS (PARTITION BY interval_start, interval_end
                             ORDER BY finished_at DESC NULLS LAST, updated_at DESC)
            )
            SELECT row, runs FROM runs WHERE rank = 1
            ORDER BY (row ->> 'interval_start')::timestamptz DESC, (row ->> 'interval_end')::timestamptz DESC
            LIMIT %s""",
        (*params, limit),
    ).fetchall()
    if not rows:
        return []
    intervals: list[IntervalHealth] = []
    for row, runs in rows:
        details = row.get("details") or {}
        intervals.append(
            IntervalHealth(
                dag_id=dag_id,
                interval_start=_ts(row["interval_start"]).astimezone(UTC),  # type: ignore[union-attr]
                interval_end=_ts(row["interval_end"]).astimezone(UTC),  # type: ignore[union-attr]
                run_id=row["run_id"],
                status=row["status"],
                listed=int(row.get("listed") or 0),
                processed=int(row.get("processed") or 0),
                quarantined=int(row.get("quarantined") or 0),
                unchanged=int(row.get("unchanged") or 0),
                missing=int(row.get("missing") or 0),
                sla_met=_sla(row, details),
                runs=int(runs),
                finished_at=_ts(row.get("finished_at")),
                quarantine_reasons=dict(details.get("quarantine_reasons") or {}),
            )
        )
        for tenant_id, counts in sorted((details.get("tenants") or {}).items()):
            intervals[-1].tenants.append(
                TenantHealth(tenant_id, **{k: int(counts.get(k, 0)) for k in RUN_COUNTERS if k in counts})
            )
    _add_store_counts(conn, intervals)
    if tenants:
        keep = set(tenants)
        for iv in intervals:
            iv.tenants = [t for t in iv.tenants if t.tenant_id in keep]
    return intervals


def _add_store_counts(conn: psycopg.Connection, intervals: list[IntervalHealth]) -> None:
    """Per tenant and upload hour: documents held, their status and moderation decision."""
    lo = min(iv.interval_start for iv in intervals)
    hi = max(iv.interval_end for iv in intervals)
    rows = conn.execute(
        """SELECT tenant_id, source_hour,
                  count(*),
                  count(*) FILTER (WHERE status = 'processed'),
                  count(*) FILTER (WHERE status = 'quarantined'),
                  count(*) FILTER (WHERE moderation_decision = 'review'),
                  count(*) FILTER (WHERE moderation_decision = 'block')
           FROM docpipe.documents
           WHERE source_hour >= %s AND source_hour < %s
           GROUP BY 1, 2""",
        (lo, hi),
    ).fetchall()
    for iv in intervals:
        by_tenant = {t.tenant_id: t for t in iv.tenants}
        for tenant_id, hour, stored, ok, quarantined, review, block in rows:
            if not iv.interval_start <= hour.astimezone(UTC) < iv.interval_end:
                continue
            t = by_tenant.get(tenant_id)
            if t is None:
                t = by_tenant[tenant_id] = TenantHealth(tenant_id)
            t.stored += stored
            t.stored_processed += ok
            t.stored_quarantined += quarantined
            t.review += review
            t.block += block
        iv.tenants = sorted(by_tenant.values(), key=lambda t: t.tenant_id)
