"""Both DAGs, run through Airflow against the real local stack: what lands in S3, Postgres, DynamoDB
and Snowflake, and that rerunning an interval changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from docpipe.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOUR = datetime(2026, 3, 14, 10, tzinfo=UTC)
TENANTS = ["acme", "globex"]


def _run(dag_id: str, logical_date: datetime, conf: dict | None = None):
    from airflow.dag_processing.dagbag import DagBag

    from docpipe.config import PROJECT_ROOT

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id}.py")).dags[dag_id]
    dr = dag.test(logical_date=logical_date, run_conf=conf)
    return dr


def _ingest(conf: dict | None = None):
    # A manual run's interval is the complete hour before its logical date.
    return _run("document_ingest", HOUR + timedelta(hours=1), conf)


def _store_state(stack) -> dict:
    """Everything the pipeline wrote, minus what legitimately differs per run (run ids, timings)."""
    settings = Settings.from_env()
    with psycopg.connect(stack.app_dsn) as conn:
        docs = conn.execute(
            """SELECT document_id, tenant_id, object_key, content_sha256, status, document_type, page_count,
                      engine_version, moderation_decision, result_uri, updated_at
               FROM docpipe.documents ORDER BY document_id"""
        ).fetchall()
        fields = conn.execute(
            "SELECT document_id, ordinal, field_type, value_text, value_number, value_date, confidence, updated_at "
            "FROM docpipe.document_fields ORDER BY 1, 2"
        ).fetchall()
        moderation = conn.execute("SELECT * FROM docpipe.moderation_results ORDER BY 1").fetchall()
        errors = conn.execute(
            "SELECT document_id, reason, quarantine_uri, updated_at FROM docpipe.processing_errors ORDER BY 1"
        ).fetchall()
    s3 = stack.s3()
    results = sorted(
        (o["Key"], o["ETag"])
        for p in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.processed_bucket)
        for o in p.get("Contents", [])
        if not o["Key"].startswith("manifests/")
    )
    quarantine = sorted(
        o["Key"]
        for p in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.uploads_bucket, Prefix="quarantine/")
        for o in p.get("Contents", [])
    )
    items = sorted(
        (i["document_id"]["S"], i["version"]["N"], i["status"]["S"], i.get("content_sha256", {}).get("S"))
        for p in stack.dynamodb().get_paginator("scan").paginate(TableName=settings.dynamodb_table)
        for i in p["Items"]
    )
    return {"documents": docs, "fields": fields, "moderation": moderation, "errors": errors,
            "results": results, "quarantine": quarantine, "dynamodb": items}  # fmt: skip


def _warehouse_state() -> dict:
    from docpipe.warehouse.connection import snowflake_connection

    with snowflake_connection() as sf:
        cur = sf.cursor()
        return {
            t: sorted(cur.execute(f"SELECT * FROM CURATED.{t}").fetchall(), key=repr)
            for t in ("fct_document", "fct_document_field", "fct_moderation", "dim_tenant")
        }


@pytest.fixture(scope="module")
def seeded(airflow_db):
    """An hour of generated documents (a few scanned, a few broken) plus one file outside the hour."""
    from docpipe.samples.generator import generate_documents
    from docpipe.samples.upload import upload_documents

    airflow_db.reset()
    settings = Settings.from_env()
    s3 = airflow_db.s3()
    uploaded = upload_documents(
        s3,
        settings.uploads_bucket,
        generate_documents(24, tenants=TENANTS, seed=11, scanned_share=0.15, bad=4),
        hours=[HOUR],
    )
    s3.put_object(Bucket=settings.uploads_bucket, Key="uploads/acme/2026/03/14/11/next-hour.pdf", Body=b"%PDF-1.4")
    return uploaded


def test_ingest_processes_the_hour(seeded, airflow_db):
    dr = _ingest()
    assert dr.state == "success"
    state = _store_state(airflow_db)
    bad = [u for u in seeded if u.kind == "bad"]
    good = [u for u in seeded if u.kind != "bad"]
    statuses = {d[2]: d[4] for d in state["documents"]}
    assert len(statuses) == len(seeded)  # the next hour's file was not touched
    assert all(statuses[u.key] == "processed" for u in good)
    assert all(statuses[u.key] == "quarantined" for u in bad)
    assert len(state["results"]) == len(good)
    assert len(state["dynamodb"]) == len(seeded)
    # Each bad file is quarantined with the reason the generator expected.
    with psycopg.connect(airflow_db.app_dsn) as conn:
        reasons = dict(conn.execute("SELECT object_key, reason FROM docpipe.processing_errors").fetchall())
        run = conn.execute(
            "SELECT listed, processed, quarantined, unchanged, missing, status FROM docpipe.pipeline_runs "
            "WHERE run_id = %s",
            (dr.run_id,),
        ).fetchone()
    assert reasons == {u.key: u.truth["reason"] for u in bad}
    assert run == (len(seeded), len(good), len(bad), 0, 0, "success")
    # Born-digital invoices carry their true totals into the store.
    by_key = {d[2]: d for d in state["documents"]}
    fields = {}
    for f in state["fields"]:
        fields.setdefault(f[0], {}).setdefault(f[2], f)
    checked = 0
    for u in good:
        if u.kind == "invoice" and not u.scanned:
            doc_id = by_key[u.key][0]
            assert by_key[u.key][5] == "invoice"
            assert str(fields[doc_id]["total_amount"][4].normalize()) == str(
                __import__("decimal").Decimal(u.truth["fields"]["total_amount"]).normalize()
            )
            checked += 1
    assert checked > 0


def test_rerunning_the_hour_changes_nothing(seeded, airflow_db):
    before = _store_state(airflow_db)
    dr = _ingest()
    assert dr.state == "success"
    assert _store_state(airflow_db) == before
    with psycopg.connect(airflow_db.app_dsn) as conn:
        last = conn.execute(
            "SELECT listed, processed, quarantined, unchanged FROM docpipe.pipeline_runs ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
    assert last == (len(seeded), 0, 0, len(seeded))


def test_reprocess_all_converges_to_the_same_state(seeded, airflow_db):
    before = _store_state(airflow_db)
    dr = _ingest({"reprocess": "all"})
    assert dr.state == "success"
    after = _store_state(airflow_db)
    assert after == before  # same bytes, same engine: identical rows, items and result files


def test_warehouse_load_and_rerun(seeded, airflow_db):
    night = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    if datetime.now(UTC) < night:
        night -= timedelta(days=1)
    dr = _run("warehouse_load", night + timedelta(days=1))
    assert dr.state == "success"
    first = _warehouse_state()
    processed = [u for u in seeded if u.kind != "bad"]
    assert len(first["fct_document"]) == len(seeded)
    assert {r for r in first["dim_tenant"]} and len(first["dim_tenant"]) == len(TENANTS)
    assert len(first["fct_document_field"]) >= len(processed)
    dr = _run("warehouse_load", night + timedelta(days=1))
    assert dr.state == "success"
    assert _warehouse_state() == first
