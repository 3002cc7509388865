"""
### document_ingest — hourly: new uploads -> extraction, moderation -> Postgres, DynamoDB

**Reads** `s3://$DOCPIPE_UPLOADS_BUCKET/uploads/<tenant>/<YYYY>/<MM>/<DD>/<HH>/*`, exactly the hour
partitions of the run's data interval `[data_interval_start, data_interval_end)`.

**Does**, per batch of documents (one mapped task per batch, never per document): reads each object,
extracts text and fields (local engine by default: PDF text layer, OCR for pages without one),
moderates the text, and writes:
- the Document-AI-shaped result to `s3://$DOCPIPE_PROCESSED_BUCKET/<tenant>/<document_id>/<sha256>.json`;
- one DynamoDB item per document (conditional on version: an older upload never wins);
- Postgres rows in `docpipe.documents`, `document_fields`, `moderation_results`, `pii_findings`;
- for a document that cannot be processed: a copy under `s3://$DOCPIPE_UPLOADS_BUCKET/quarantine/`
  and a `docpipe.processing_errors` row with its typed reason. The rest of the batch carries on.

`record_run` writes the run's accounting to `docpipe.pipeline_runs` and **fails the run** unless
listed = processed + quarantined + unchanged.

**Idempotent**: documents whose bytes (ETag) and engine version are unchanged are skipped; every write
is keyed on the document's identity and version, so a retry, rerun or backfill converges.

**Backfill**: Trigger -> Backfill, pick the date range (each hour is one run); or
`airflow backfill create --dag-id document_ingest --from-date 2026-11-01T00:00 --to-date 2026-11-02T00:00`.
**Late arrivals**: an object uploaded into an hour that already ran is picked up by rerunning that hour
(clear the run, or backfill with "reprocess: all runs"); already-stored documents are skipped.

**Params**: `tenants` (limit to these tenants), `reprocess` (`changed`: new or changed documents only;
`failed`: also retry quarantined ones; `all`: everything), `batch_size` (documents per batch task; empty:
DOCPIPE_BATCH_SIZE), `extraction_backend`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Param, dag
from airflow.timetables.interval import CronDataIntervalTimetable

from docpipe.alerts import callbacks, deadlines
from docpipe.config import Settings
from operators.ingest import DiscoverDocumentsOperator, ProcessDocumentBatchOperator, RecordRunAccountingOperator


@dag(
    dag_id="document_ingest",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=4,
    render_template_as_native_obj=True,
    doc_md=__doc__,
    tags=["docpipe", "ingest", "hourly"],
    deadline=deadlines.hourly_ingest(),  # SLA; docs/alerting.md
    default_args={
        "owner": "data-platform",
        "on_failure_callback": callbacks.task_failed,  # pages after the last retry
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(minutes=50),
    },
    params={
        "tenants": Param([], type="array", items={"type": "string"}, description="Only these tenants (empty: all)."),
        "reprocess": Param(
            "changed",
            enum=["changed", "failed", "all"],
            description="changed: new or changed documents; failed: also retry quarantined ones; all: everything.",
        ),
        "batch_size": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            maximum=5000,
            description="Documents per mapped task (empty: the deployment's DOCPIPE_BATCH_SIZE, 2,500 by default; "
            "a batch also closes at DOCPIPE_BATCH_MAX_BYTES of uploads).",
        ),
        "extraction_backend": Param(
            "",
            enum=["", "local", "google"],
            description="Extraction engine for this run (empty: the deployment's DOCPIPE_EXTRACTION_BACKEND).",
        ),
    },
)
def document_ingest():
    discover = DiscoverDocumentsOperator(
        task_id="discover",
        tenants="{{ params.tenants }}",
        batch_size="{{ params.batch_size or '' }}",
    )
    process = ProcessDocumentBatchOperator.partial(
        task_id="process_batch",
        reprocess="{{ params.reprocess }}",
        extraction_backend="{{ params.extraction_backend }}",
        max_active_tis_per_dagrun=Settings.from_env().batch_tasks_per_run,  # DOCPIPE_BATCH_TASKS_PER_RUN
    ).expand(batch=discover.output)
    RecordRunAccountingOperator(
        task_id="record_run",
        discovery=discover.output["discovery"],
        outcomes=process.output,
        trigger_rule="all_done",
        retries=0,
    )


document_ingest()
