"""Running the DAGs in tests and reading back what every store holds.

`run_dag` loads a DAG file and runs it with `dag.test()` (tasks in this process, so in-process fault
hooks apply), with retry delays shortened to a second: the retries themselves are real Airflow retries.
`StoreState.read()` collects every store's view of the documents; `reconcile()` compares them with
what was uploaded and reports missing and duplicated documents per store.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from docpipe.config import PROJECT_ROOT, Settings


def load_dag(dag_id: str, *, retry_delay: timedelta = timedelta(seconds=1), retries: int | None = None) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id}.py")).dags[dag_id]
    dag.deadline = None  # dag.test() crashes on deadline alerts after a successful run (apache/airflow#73428)
    for task in dag.tasks:
        task.retry_delay = retry_delay  # real retries, without a minute's wait between them
        task.retry_exponential_backoff = False
        if retries is not None and task.retries:
            task.retries = retries
    return dag


def run_dag(dag_id: str, logical_date: datetime, conf: dict | None = None, **load: Any) -> Any:
    return load_dag(dag_id, **load).test(logical_date=logical_date, run_conf=conf)


def run_ingest(hour: datetime, conf: dict | None = None, *, attempt: int = 0, **load: Any) -> Any:
    """A manual run for `hour` (its interval is the complete hour before the logical date). `attempt`
    shifts the logical date by minutes inside the next hour: a new run of the same interval."""
    return run_dag("document_ingest", hour + timedelta(hours=1, minutes=attempt), conf, **load)


def warehouse_logical_date(now: datetime | None = None) -> datetime:
    """The logical date of the nightly run whose interval holds `now` (rows are selected by updated_at)."""
    now = now or datetime.now(UTC)
    night = now.replace(hour=2, minute=0, second=0, microsecond=0)
    if now < night:
        night -= timedelta(days=1)
    return night + timedelta(days=1)


def run_warehouse(**load: Any) -> Any:
    return run_dag("warehouse_load", warehouse_logical_date(), **load)


def task_states(dr: Any) -> dict[tuple[str, int], tuple[str, int]]:
    """(task_id, map_index) -> (state, try_number) of a finished run."""
    from airflow.utils.session import create_session

    with create_session() as session:
        return {
            (ti.task_id, ti.map_index): (str(ti.state), ti.try_number) for ti in dr.get_task_instances(session=session)
        }


def ingest_run_row(dsn: str, dr: Any) -> dict[str, Any] | None:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT listed, processed, quarantined, unchanged, missing, status, details FROM docpipe.pipeline_runs "
            "WHERE dag_id = %s AND run_id = %s",
            (dr.dag_id, dr.run_id),
        ).fetchone()
    if row is None:
        return None
    return dict(
        zip(("listed", "processed", "quarantined", "unchanged", "missing", "status", "details"), row, strict=True)
    )


# ---------------------------------------------------------------------------------------------- stores


@dataclass
class StoreState:
    """Every store's view of the documents (keyed by S3 object key where the store knows it)."""

    pg: dict[str, dict[str, Any]]  # object_key -> documents row (+ reason)
    pg_rows_per_key: Counter[str]
    results: Counter[str]  # document_id -> result files in the processed bucket
    quarantine: set[str]  # keys of the quarantine copies in the uploads bucket
    dynamodb: dict[str, dict[str, Any]]  # document_id -> item (status, version, object_key)
    dynamodb_items_per_id: Counter[str]
    warehouse: Counter[str] | None = None  # document_id -> current rows in CURATED.FCT_DOCUMENT

    @classmethod
    def read(cls, dsn: str, s3: Any, dynamodb: Any, *, warehouse: bool = False) -> StoreState:
        settings = Settings.from_env()
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(
                """SELECT d.object_key, d.document_id, d.tenant_id, d.status, d.content_sha256, d.s3_etag,
                          d.result_uri, e.reason, e.quarantine_uri, e.message
                   FROM docpipe.documents d LEFT JOIN docpipe.processing_errors e USING (document_id)"""
            ).fetchall()
        names = ("object_key", "document_id", "tenant_id", "status", "content_sha256", "s3_etag", "result_uri",
                 "reason", "quarantine_uri", "message")  # fmt: skip
        pg = {r[0]: dict(zip(names, r, strict=True)) for r in rows}
        per_key = Counter(r[0] for r in rows)
        results: Counter[str] = Counter()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.processed_bucket):
            for o in page.get("Contents", []):
                if not o["Key"].startswith("manifests/"):
                    results[o["Key"].split("/")[-2]] += 1
        quarantine = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.uploads_bucket, Prefix="quarantine/"):
            quarantine.update(o["Key"] for o in page.get("Contents", []))
        items: dict[str, dict[str, Any]] = {}
        per_id: Counter[str] = Counter()
        for page in dynamodb.get_paginator("scan").paginate(TableName=settings.dynamodb_table):
            for i in page["Items"]:
                doc_id = i["document_id"]["S"]
                per_id[doc_id] += 1
                items[doc_id] = {
                    "tenant_id": i["tenant_id"]["S"],
                    "status": i["status"]["S"],
                    "object_key": i.get("object_key", {}).get("S"),
                    "error_reason": i.get("error_reason", {}).get("S"),
                    "content_sha256": i.get("content_sha256", {}).get("S"),
                }
        state = cls(pg, per_key, results, quarantine, items, per_id)
        if warehouse:
            state.warehouse = warehouse_documents()
        return state


def warehouse_documents() -> Counter[str]:
    """document_id -> current rows in Snowflake CURATED.FCT_DOCUMENT."""
    from docpipe.warehouse.connection import snowflake_connection

    with snowflake_connection() as sf:
        cur = sf.cursor()
        try:
            rows = cur.execute(
                "SELECT DOCUMENT_ID, COUNT(*) FROM CURATED.FCT_DOCUMENT WHERE IS_CURRENT GROUP BY 1"
            ).fetchall()
        except Exception:  # an older schema without versions: one row per document
            rows = cur.execute("SELECT DOCUMENT_ID, COUNT(*) FROM CURATED.FCT_DOCUMENT GROUP BY 1").fetchall()
    return Counter({str(d): int(n) for d, n in rows})


@dataclass
class Reconciliation:
    """Per store: documents expected but absent (missing) and documents present more than once (duplicated)."""

    expected: int
    missing: dict[str, list[str]] = field(default_factory=dict)
    duplicated: dict[str, list[str]] = field(default_factory=dict)
    unexpected: dict[str, list[str]] = field(default_factory=dict)
    wrong_status: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(
            (*self.missing.values(), *self.duplicated.values(), *self.unexpected.values(), self.wrong_status)
        )

    def totals(self) -> dict[str, int]:
        return {
            "expected": self.expected,
            "missing": sum(len(v) for v in self.missing.values()),
            "duplicated": sum(len(v) for v in self.duplicated.values()),
            "unexpected": sum(len(v) for v in self.unexpected.values()),
            "wrong_status": len(self.wrong_status),
        }


def reconcile(state: StoreState, expected: dict[str, str]) -> Reconciliation:
    """Compare the stores with `expected` (object key -> "processed" | quarantine reason).

    A processed document must have one Postgres row, one results file, one DynamoDB item (and one current
    warehouse row when the warehouse was read); a quarantined one a Postgres row with that reason, a
    DynamoDB item, and a quarantine copy unless its object had vanished."""
    rec = Reconciliation(expected=len(expected))

    def note(kind: dict[str, list[str]], store: str, what: str) -> None:
        kind.setdefault(store, []).append(what)

    by_id: dict[str, str] = {}
    for key, want in expected.items():
        row = state.pg.get(key)
        if row is None:
            note(rec.missing, "postgres", key)
            continue
        doc_id = row["document_id"]
        by_id[doc_id] = key
        got = "processed" if row["status"] == "processed" else row["reason"]
        if got != want:
            rec.wrong_status.append(f"{key}: {got} != {want}")
        if state.pg_rows_per_key[key] > 1:
            note(rec.duplicated, "postgres", key)
        item = state.dynamodb.get(doc_id)
        if item is None:
            note(rec.missing, "dynamodb", key)
        elif item["status"] != row["status"]:
            rec.wrong_status.append(f"{key}: dynamodb {item['status']} != postgres {row['status']}")
        if state.dynamodb_items_per_id[doc_id] > 1:
            note(rec.duplicated, "dynamodb", key)
        if want == "processed":
            if state.results[doc_id] == 0:
                note(rec.missing, "s3_results", key)
            elif state.results[doc_id] > 1:
                note(rec.duplicated, "s3_results", key)
        elif want != "object_missing":
            uri = row["quarantine_uri"] or ""
            if uri.split("/", 3)[-1] not in state.quarantine:
                note(rec.missing, "s3_quarantine", key)
        if state.warehouse is not None:
            n = state.warehouse[doc_id]
            if n == 0:
                note(rec.missing, "snowflake", key)
            elif n > 1:
                note(rec.duplicated, "snowflake", key)
    for key in state.pg:
        if key not in expected:
            note(rec.unexpected, "postgres", key)
    for doc_id, item in state.dynamodb.items():
        if doc_id not in by_id:
            note(rec.unexpected, "dynamodb", str(item["object_key"]))
    for doc_id in state.results:
        if doc_id not in by_id:
            note(rec.unexpected, "s3_results", doc_id)
    if state.warehouse is not None:
        for doc_id in state.warehouse:
            if doc_id not in by_id:
                note(rec.unexpected, "snowflake", doc_id)
    return rec


# ---------------------------------------------------------------------------------------------- uploads


def put_objects(s3: Any, bucket: str, objects: Iterable[tuple[str, bytes, str]]) -> list[str]:
    keys = []
    for key, data, content_type in objects:
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
        keys.append(key)
    return keys


def good_documents(n: int, *, tenants: list[str], seed: int) -> list[Any]:
    """Born-digital sample documents (no OCR: keeps runs short), from the project's generator."""
    from docpipe.samples.generator import generate_documents

    return list(generate_documents(n, tenants=tenants, seed=seed, scanned_share=0.0, bad=0))


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    import os

    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
