"""Operators of the hourly document ingest: discover an interval's uploads, process one batch,
and close the run's books. The work itself lives in `docpipe.ingest`."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException


def _interval(context: Context) -> tuple[datetime, datetime]:
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None or end <= start:
        raise AirflowFailException(
            "this run has no data interval: trigger it with a logical date (UI: 'Trigger' with a date, "
            "CLI: `airflow dags trigger document_ingest --logical-date 2026-01-01T10:00:00+00:00`) or use a backfill"
        )
    return start.astimezone(UTC), end.astimezone(UTC)


class DiscoverDocumentsOperator(BaseOperator):
    """Lists the uploads in the run's data interval and writes one manifest per batch to S3.

    Reads: `s3://<uploads>/<prefix>/<tenant>/<YYYY>/<MM>/<DD>/<HH>/` for each hour of the interval.
    Writes: `s3://<processed>/manifests/<dag_id>/<run_id>/batch-NNNNN.json`.
    Returns: one descriptor per batch (the mapped batch task expands over them); the run's listed
    count and interval go to the XCom key "discovery" for the accounting task.
    """

    template_fields: Sequence[str] = ("tenants", "batch_size")

    def __init__(self, *, tenants: Any = None, batch_size: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tenants = tenants
        self.batch_size = batch_size

    def execute(self, context: Context) -> list[dict[str, Any]]:
        from docpipe.config import Settings
        from docpipe.connections import aws_client
        from docpipe.ingest import discovery

        settings = Settings.from_env()
        start, end = _interval(context)
        s3 = aws_client("s3", settings)
        tenants = [t for t in (self.tenants or []) if t]
        refs = discovery.discover(s3, settings.uploads_bucket, settings.uploads_prefix, start, end, tenants)
        requested = str(self.batch_size or "").strip()
        batch_size = int(requested) if requested not in ("", "None") else settings.batch_size
        batches = discovery.make_batches(
            refs, batch_size, settings.batch_max_bytes, spread=settings.batch_tasks_per_run
        )
        run_id = context["run_id"]
        descriptors = discovery.write_manifests(s3, settings.processed_bucket, context["dag"].dag_id, run_id, batches)
        self.log.info("listed %d objects in [%s, %s), %d bytes -> %d batches of %d-%d documents (limits %d documents "
                      "/ %d bytes, shared over %d batch tasks at once)", len(refs), start, end, sum(r.size for r in refs),
                      len(batches), min(map(len, batches), default=0), max(map(len, batches), default=0), batch_size,
                      settings.batch_max_bytes, settings.batch_tasks_per_run)  # fmt: skip
        context["ti"].xcom_push(
            key="discovery",
            value={"listed": len(refs), "batches": len(descriptors), "interval_start": start.isoformat(),
                   "interval_end": end.isoformat()},
        )  # fmt: skip
        return descriptors  # the mapped batch task expands over this list


class ProcessDocumentBatchOperator(BaseOperator):
    """Extracts, moderates and stores one batch of documents; quarantines what cannot be processed.

    Reads: the batch manifest and the uploaded objects from S3.
    Writes: results JSON to the processed bucket, DynamoDB items, Postgres rows, quarantine copies.
    Returns: the batch's accounting (`docpipe.models.BatchOutcome` as a dict).
    """

    template_fields: Sequence[str] = ("batch", "reprocess", "extraction_backend")

    def __init__(
        self, *, batch: Any, reprocess: Any = "changed", extraction_backend: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.batch = batch
        self.reprocess = reprocess
        self.extraction_backend = extraction_backend

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.config import Settings
        from docpipe.connections import aws_client, postgres_connection
        from docpipe.extraction import get_backend as get_extractor
        from docpipe.ingest import discovery
        from docpipe.ingest.process import BatchContext, process_batch
        from docpipe.moderation import get_backend as get_moderator

        settings = Settings.from_env()
        s3 = aws_client("s3", settings)
        index, refs = discovery.read_manifest(s3, self.batch["manifest_bucket"], self.batch["manifest_key"])
        with contextlib.closing(postgres_connection(settings)) as pg:
            ctx = BatchContext(
                s3=s3,
                dynamodb=aws_client("dynamodb", settings),
                pg=pg,
                extractor=get_extractor(self.extraction_backend or settings.extraction_backend),
                moderator=get_moderator(settings.moderation_backend),
                processed_bucket=settings.processed_bucket,
                dynamodb_table=settings.dynamodb_table,
                run_id=context["run_id"],
                max_document_bytes=settings.max_document_bytes,
                reprocess=self.reprocess or "changed",
            )
            outcome = process_batch(ctx, index, refs)
        self.log.info(
            "batch %d: %d listed, %d processed, %d quarantined, %d unchanged in %.1fs",
            index, outcome.listed, outcome.processed, outcome.quarantined, outcome.unchanged, outcome.seconds,
        )  # fmt: skip
        return outcome.to_json()


def _emit_metrics(summary: dict[str, Any]) -> None:
    """Run totals as StatsD counters (`docpipe.documents.<outcome>`), through Airflow's metrics client."""
    from airflow.sdk.observability.stats import Stats

    for outcome in ("listed", "processed", "quarantined", "unchanged", "missing"):
        Stats.incr(f"docpipe.documents.{outcome}", count=int(summary.get(outcome, 0)))
    Stats.incr("docpipe.pages.processed", count=int(summary.get("pages", 0)))
    Stats.incr("docpipe.pages.ocr", count=int(summary.get("ocr_pages", 0)))


class RecordRunAccountingOperator(BaseOperator):
    """Adds up the batches, records the run in `docpipe.pipeline_runs`, and fails the run when any
    listed document is unaccounted for (listed != processed + quarantined + unchanged)."""

    template_fields: Sequence[str] = ("discovery", "outcomes")

    def __init__(self, *, discovery: Any, outcomes: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.discovery = discovery
        self.outcomes = outcomes

    def execute(self, context: Context) -> dict[str, Any]:
        from docpipe.connections import postgres_connection
        from docpipe.ingest.process import summarise
        from docpipe.storage.postgres import record_run

        outcomes = [o for o in (self.outcomes or []) if o]
        summary = summarise(outcomes, int(self.discovery["listed"]))
        status = "success" if summary["missing"] == 0 and len(outcomes) == self.discovery["batches"] else "incomplete"
        dag_run = context["dag_run"]
        with contextlib.closing(postgres_connection()) as pg:
            record_run(
                pg, dag_id=dag_run.dag_id, run_id=dag_run.run_id,
                interval_start=datetime.fromisoformat(self.discovery["interval_start"]),
                interval_end=datetime.fromisoformat(self.discovery["interval_end"]),
                counts=summary, details={"quarantine_reasons": summary["quarantine_reasons"]}, status=status,
                started_at=dag_run.start_date, finished_at=datetime.now(UTC),
            )  # fmt: skip
        self.log.info("run accounting: %s", summary)
        _emit_metrics(summary)
        if status != "success":
            raise AirflowFailException(
                f"{summary['missing']} of {summary['listed']} listed documents are unaccounted for "
                f"({len(outcomes)}/{self.discovery['batches']} batches reported); clear the failed batch "
                "tasks or rerun this interval"
            )
        return summary
