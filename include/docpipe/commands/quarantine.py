"""`docpipe quarantine`: list quarantined documents with their reasons, and retry them after a fix.

    docpipe quarantine list [--tenant acme] [--reason corrupt] [--since 24h | 2026-03-01T10] [--json]
    docpipe quarantine retry --document-id ID       reprocess one document now, in this process
    docpipe quarantine retry --hour 2026-03-01T10   rerun that hour with reprocess=failed
                             [--tenant acme] [--via local | api]

Reads `docpipe.processing_errors` joined to `docpipe.documents` (only documents still quarantined).
`retry --document-id` re-reads the object's current version from S3 and runs the same batch code as
the DAG (`docpipe.ingest.process.process_batch`, reprocess=all) under the run id
`manual__quarantine_retry__<time>`; the stores converge as after any run. `retry --hour` runs
`document_ingest` for that hour with `reprocess=failed`: in this process through `dag.test()`
(`--via local`, like `docpipe run ingest`), or as a one-interval backfill through the REST API so the
run shows in the UI (`--via api`, needs `docpipe stack up --airflow`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

NAME = "quarantine"
HELP = "list quarantined documents with their reasons, or retry them after a fix"

LIST_SQL = """
SELECT e.document_id, e.tenant_id, d.source_hour, e.reason, e.message, e.object_key,
       e.quarantine_uri, e.run_id, e.updated_at
FROM docpipe.processing_errors e
JOIN docpipe.documents d USING (document_id)
WHERE d.status = 'quarantined'
  AND (%(tenants)s::text[] IS NULL OR e.tenant_id = ANY(%(tenants)s))
  AND (%(reasons)s::text[] IS NULL OR e.reason = ANY(%(reasons)s))
  AND (%(since)s::timestamptz IS NULL OR e.updated_at >= %(since)s)
ORDER BY e.updated_at DESC, e.document_id
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class QuarantinedRow:
    document_id: str
    tenant_id: str
    source_hour: datetime
    reason: str
    message: str
    object_key: str
    quarantine_uri: str | None
    run_id: str
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["source_hour"], d["updated_at"] = self.source_hour.isoformat(), self.updated_at.isoformat()
        return d


class RetryError(RuntimeError):
    """A retry cannot start: unknown document, object gone from S3, ..."""


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """`24h`, `7d`, `90m` (relative to now) or an absolute UTC time (2026-03-01, 2026-03-01T10)."""
    m = re.fullmatch(r"(\d+)([mhd])", value.strip())
    if m:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: int(m.group(1))})
    from docpipe.commands.backfill import _parse_when

    return _parse_when(value)


def list_quarantined(conn: Any, *, tenants: list[str] | None = None, reasons: list[str] | None = None,
                     since: datetime | None = None, limit: int = 500) -> list[QuarantinedRow]:  # fmt: skip
    rows = conn.execute(
        LIST_SQL, {"tenants": tenants or None, "reasons": reasons or None, "since": since, "limit": limit}
    ).fetchall()
    return [QuarantinedRow(*r) for r in rows]


def retry_document(document_id: str, *, run_id: str | None = None) -> dict[str, Any]:
    """Reprocess one document from its current S3 object with the DAG's batch code; returns the outcome."""
    from docpipe.config import Settings
    from docpipe.connections import aws_client, postgres_connection
    from docpipe.extraction import get_backend as get_extractor
    from docpipe.ingest.process import BatchContext, process_batch
    from docpipe.models import ObjectRef
    from docpipe.moderation import get_backend as get_moderator

    settings = Settings.from_env()
    s3 = aws_client("s3", settings)
    with contextlib.closing(postgres_connection(settings)) as pg:
        row = pg.execute(
            "SELECT tenant_id, bucket, object_key FROM docpipe.documents WHERE document_id = %s", (document_id,)
        ).fetchone()
        if row is None:
            raise RetryError(f"no document {document_id} in docpipe.documents; see `docpipe quarantine list`")
        tenant_id, bucket, key = row
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except Exception as e:
            raise RetryError(
                f"s3://{bucket}/{key} cannot be read ({e}); upload the fixed file to the same key first"
            ) from None
        ref = ObjectRef(tenant_id=tenant_id, bucket=bucket, key=key, size=int(head["ContentLength"]),
                        etag=head["ETag"].strip('"'), last_modified=head["LastModified"].astimezone(UTC))  # fmt: skip
        ctx = BatchContext(
            s3=s3,
            dynamodb=aws_client("dynamodb", settings),
            pg=pg,
            extractor=get_extractor(settings.extraction_backend),
            moderator=get_moderator(settings.moderation_backend),
            processed_bucket=settings.processed_bucket,
            dynamodb_table=settings.dynamodb_table,
            run_id=run_id or f"manual__quarantine_retry__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}",
            max_document_bytes=settings.max_document_bytes,
            reprocess="all",
        )
        outcome = process_batch(ctx, 0, [ref]).to_json()
        status = pg.execute("SELECT status FROM docpipe.documents WHERE document_id = %s", (document_id,)).fetchone()
    return {**outcome, "document_id": document_id, "status": status[0] if status else None}


def retry_hour(hour: datetime, *, tenants: list[str] | None = None, via: str = "local") -> str:
    """Rerun `document_ingest` for the hour starting at `hour` with reprocess=failed; returns the run's state."""
    conf: dict[str, Any] = {"reprocess": "failed"}
    if tenants:
        conf["tenants"] = tenants
    if via == "api":
        from docpipe.commands.backfill import AirflowApi

        api = AirflowApi()
        try:
            # A backfill of one logical date is exactly that interval; "completed" reruns it even when it
            # already succeeded, reusing the run (same run id, so its accounting row is replaced).
            api.create_backfill("document_ingest", hour, hour, reprocess_behavior="completed", conf=conf,
                                max_active_runs=1)  # fmt: skip
            runs = api.wait_for_runs("document_ingest", [hour], timeout=3600)
        finally:
            api.close()
        return str(runs[hour.astimezone(UTC)]["state"])
    return _run_here(hour, conf)


def _run_here(hour: datetime, conf: dict[str, Any]) -> str:
    """`dag.test()` of document_ingest for the hour starting at `hour`, in this process."""
    from airflow.dag_processing.dagbag import DagBag

    from docpipe.config import PROJECT_ROOT

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "document_ingest.py")).dags["document_ingest"]
    # dag.test() cannot evaluate deadline alerts and crashes after the run when the DAG has one
    # (apache/airflow#73428); a manual retry needs no SLA alert.
    dag.deadline = None
    dr = dag.test(logical_date=hour + timedelta(hours=1), run_conf=conf)  # a manual run: the hour before
    return str(getattr(dr.state, "value", dr.state))


# ------------------------------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    add_list_arguments(actions.add_parser("list", help="quarantined documents with their reasons"))
    add_retry_arguments(actions.add_parser("retry", help="retry after a fix: one document, or a whole hour"))


def run(args: argparse.Namespace) -> int:
    return run_retry(args) if args.action == "retry" else run_list(args)


def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", action="append", help="only this tenant (repeat for more)")
    parser.add_argument("--reason", action="append", help="only this reason, e.g. corrupt, encrypted (repeatable)")
    parser.add_argument("--since", type=parse_since, help="quarantined since: 24h, 7d, or 2026-03-01T10 (UTC)")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")


def run_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from docpipe.cli import _stack, console
    from docpipe.connections import postgres_connection

    _stack(start=False)
    with contextlib.closing(postgres_connection()) as pg:
        rows = list_quarantined(pg, tenants=args.tenant, reasons=args.reason, since=args.since, limit=args.limit)
    if args.json:
        for r in rows:
            print(json.dumps(r.to_json()))
        return 0
    t = Table(title=f"quarantined documents ({len(rows)}{'+' if len(rows) == args.limit else ''})")
    for c in ("tenant", "hour (UTC)", "reason", "document id", "object key", "message", "quarantined at"):
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(r.tenant_id, f"{r.source_hour:%Y-%m-%d %H}", r.reason, r.document_id, r.object_key,
                  r.message[:80], f"{r.updated_at:%Y-%m-%d %H:%M}")  # fmt: skip
    console.print(t)
    if rows:
        console.print("retry after a fix: docpipe quarantine retry --document-id ID | --hour YYYY-MM-DDTHH")
    return 0


def add_retry_arguments(parser: argparse.ArgumentParser) -> None:
    from docpipe.cli import _parse_hour

    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--document-id", help="reprocess this document now (its current S3 object)")
    target.add_argument("--hour", type=_parse_hour, help="rerun this hour (UTC, 2026-03-01T10) with reprocess=failed")
    parser.add_argument("--tenant", action="append", help="with --hour: only this tenant (repeatable)")
    parser.add_argument("--via", choices=["local", "api"], default="local",
                        help="with --hour: run it here with dag.test() (local) or as a backfill on the running Airflow (api)")  # fmt: skip


def run_retry(args: argparse.Namespace) -> int:
    from docpipe.cli import CliError, _stack, console

    if args.document_id:
        _stack(start=False)
        try:
            out = retry_document(args.document_id)
        except RetryError as e:
            raise CliError(str(e)) from None
        console.print(
            f"document {out['document_id']}: now {out['status']} "
            f"(processed {out['processed']}, quarantined {out['quarantined']})"
        )
        return 0 if out["status"] == "processed" else 1
    _stack(start=args.via == "local")
    state = retry_hour(args.hour, tenants=args.tenant, via=args.via)
    console.print(f"document_ingest {args.hour:%Y-%m-%d %H}:00 rerun with reprocess=failed: {state}")
    return 0 if state == "success" else 1
