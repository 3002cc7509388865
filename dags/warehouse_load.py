"""
### warehouse_load — nightly at 02:00 UTC: Postgres -> Parquet on S3 -> Snowflake RAW -> CURATED

**Reads** the rows of `docpipe.documents`, `document_fields`, `moderation_results`, `pipeline_runs`
and `tenants` in Postgres whose `updated_at` falls in the run's data interval
`[data_interval_start, data_interval_end)` (the 24 hours before 02:00 UTC), widened by a one-hour
lookback (`DOCPIPE_WAREHOUSE_LOOKBACK_MINUTES`) for rows committed late by long transactions.

**Writes**
1. `export_changes`: Parquet files to
   `s3://$DOCPIPE_STAGING_BUCKET/warehouse/<table>/interval=<start>/run=<run>/export=<id>/part-NNNNN.parquet`,
   split at `DOCPIPE_WAREHOUSE_ROWS_PER_FILE` rows or `DOCPIPE_WAREHOUSE_FILE_MB` MB (default 4,000,000 / 150);
   earlier exports of the night are deleted;
2. `copy_into_raw`: `COPY INTO DOCPIPE.RAW.*` from the external stage, one transaction per table that also
   deletes the night's rows of earlier exports; COPY's load history skips files already loaded;
3. `merge_curated`: `MERGE` through the `DOCPIPE.STAGING.stg_*` views into `DOCPIPE.CURATED`
   (`fct_document`, `fct_document_field`, `fct_moderation`, `fct_pipeline_run`, `dim_tenant`,
   `dim_document_type`; `dim_date` is static), one transaction per table;
4. `reconcile`: Postgres vs CURATED row counts and key checksums per table for the interval; fails the run,
   without retrying, on any difference;
5. `quality_checks.*`: one `SQLTableCheckOperator` per CURATED table (unique and non-null key, ranges,
   one current version per document, run accounting); a failed check fails without retrying.

**Idempotent**: a rerun exports a new set of files that replaces the night's rows in RAW, and CURATED is
MERGEd on natural keys, so rerunning a night leaves Snowflake exactly as one run did.

**Backfill**: Trigger -> Backfill with a date range (one run per night), or
`airflow backfill create --dag-id warehouse_load --from-date 2026-11-01 --to-date 2026-11-08`.
Older nights never overwrite newer facts (rows are ordered by their Postgres `updated_at`).
Analysts query `DOCPIPE.CURATED` (model and views: `docs/warehouse.md`); example queries live in `sql/analytics/`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import TaskGroup, dag
from airflow.timetables.interval import CronDataIntervalTimetable

from docpipe.alerts import callbacks, deadlines
from docpipe.warehouse.model import CURATED_TABLES, table_checks
from operators.warehouse import (
    CopyIntoRawOperator,
    ExportChangesOperator,
    MergeCuratedOperator,
    ReconcileWarehouseOperator,
    WarehouseTableCheckOperator,
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
    deadline=deadlines.nightly_warehouse(),  # SLA; docs/alerting.md
    default_args={
        "owner": "data-platform",
        "on_failure_callback": callbacks.task_failed,  # pages after the last retry
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
    with TaskGroup("quality_checks") as checks:
        for table in CURATED_TABLES:
            WarehouseTableCheckOperator(task_id=table.name.lower(), table=table.qualified, checks=table_checks(table))
    copied >> merged >> [reconciled, checks]


warehouse_load()
