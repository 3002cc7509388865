"""
### warehouse_load — nightly at 02:00 UTC: Postgres -> Parquet on S3 -> Snowflake RAW -> CURATED

**Reads** the rows of `docpipe.documents`, `document_fields`, `moderation_results`, `pipeline_runs`
and `tenants` in Postgres whose `updated_at` falls in the run's data interval
`[data_interval_start, data_interval_end)` (the 24 hours before 02:00 UTC).

**Writes**
1. `export_changes`: one Parquet file per table to `s3://$DOCPIPE_STAGING_BUCKET/warehouse/<table>/interval=<start>/`;
2. `copy_into_raw`: `COPY INTO DOCPIPE.RAW.*` from the external stage on that bucket (the interval's rows replaced);
3. `merge_curated`: `MERGE` into `DOCPIPE.CURATED` (`fct_document`, `fct_document_field`, `fct_moderation`,
   `fct_pipeline_run`, `dim_tenant`, `dim_document_type`) on their natural keys;
4. `reconcile`: Postgres vs CURATED counts for the interval; the run fails when they disagree.

**Idempotent**: the files have deterministic names, RAW is replaced per interval and CURATED is
MERGEd, so rerunning a night leaves Snowflake exactly as one run did.

**Backfill**: Trigger -> Backfill with a date range (one run per night), or
`airflow backfill create --dag-id warehouse_load --from-date 2026-11-01 --to-date 2026-11-08`.
Analysts query `DOCPIPE.CURATED`; example queries live in `sql/analytics/`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag
from airflow.timetables.interval import CronDataIntervalTimetable

from operators.warehouse import (
    CopyIntoRawOperator,
    ExportChangesOperator,
    MergeCuratedOperator,
    ReconcileWarehouseOperator,
)


@dag(
    dag_id="warehouse_load",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,  # fakesnow and the RAW replace-by-interval step load one night at a time
    render_template_as_native_obj=True,
    doc_md=__doc__,
    tags=["docpipe", "warehouse", "snowflake", "nightly"],
    default_args={
        "owner": "data-platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=2),
    },
)
def warehouse_load():
    exported = ExportChangesOperator(task_id="export_changes")
    copied = CopyIntoRawOperator(task_id="copy_into_raw", exported=exported.output)
    merged = MergeCuratedOperator(task_id="merge_curated")
    reconciled = ReconcileWarehouseOperator(task_id="reconcile")
    copied >> merged >> reconciled


warehouse_load()
