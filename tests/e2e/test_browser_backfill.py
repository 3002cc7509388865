"""A data engineer's backfill, in a real browser against a real `airflow standalone`: log in, open
`document_ingest`, read its docs, backfill three hours from Trigger > Backfill, and check that the
three runs succeeded, that exactly those hours' documents are in Postgres and DynamoDB, and that the
health view (Browse > Pipeline health) shows them. Anonymous requests to the view are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from airflow_ui import PASSWORD, USER, login, open_dag, read_docs, start_backfill

from docpipe.config import Settings
from docpipe.models import document_id_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST = datetime(2026, 4, 2, 10, tzinfo=UTC)
HOURS = [FIRST + timedelta(hours=i) for i in range(3)]
TENANTS = ["acme", "globex"]


@pytest.fixture(scope="module")
def uploads(airflow_server, airflow_db):
    """Two documents per tenant in each of the three hours, and one in the hour after (not backfilled)."""
    from docpipe.samples.generator import generate_documents
    from docpipe.samples.upload import upload_documents

    settings = Settings.from_env()
    s3 = airflow_db.s3()
    docs = generate_documents(len(HOURS) * len(TENANTS), tenants=TENANTS, seed=3, scanned_share=0.0, bad=0)
    uploaded = upload_documents(s3, settings.uploads_bucket, docs, hours=HOURS)
    outside = "uploads/acme/2026/04/02/13/after-the-range.pdf"
    s3.put_object(Bucket=settings.uploads_bucket, Key=outside, Body=b"%PDF-1.4 outside")
    api = airflow_server.api()
    api.set_paused("document_ingest", False)  # backfill runs only start while the DAG is unpaused
    for bf in api.running_backfills("document_ingest"):  # Airflow allows one running backfill per DAG
        api.wait_for_backfill(bf["id"], timeout=900)
    api.close()
    return uploaded, outside


def test_backfill_three_hours_from_the_ui(page, airflow_server, airflow_db, uploads) -> None:
    uploaded, outside = uploads
    base = airflow_server.base_url
    shots = page.shots

    login(page, base, USER, PASSWORD, next_path="/dags/document_ingest")
    open_dag(page, base, "document_ingest")
    shots("dag")
    docs = read_docs(page)
    assert "document_ingest" in docs and "Backfill" in docs and "Late arrivals" in docs

    summary = start_backfill(page, HOURS[0], HOURS[-1], max_active_runs=3, shots=shots)
    assert summary.startswith("3 runs")

    api = airflow_server.api()
    try:
        runs = api.wait_for_runs("document_ingest", HOURS, timeout=900)
    finally:
        api.close()
    assert {r["state"] for r in runs.values()} == {"success"}, runs
    assert {r["run_type"] for r in runs.values()} == {"backfill"}

    # The runs as the UI lists them.
    page.goto(f"{base}/dags/document_ingest/runs", wait_until="domcontentloaded")
    for r in runs.values():
        page.get_by_text(r["dag_run_id"]).first.wait_for()
    shots("runs")

    # Exactly those hours' documents, in both stores.
    with psycopg.connect(airflow_db.app_dsn) as conn:
        stored = dict(
            conn.execute(
                "SELECT object_key, document_id FROM docpipe.documents WHERE status = 'processed' "
                "AND source_hour >= %s AND source_hour <= %s",
                (HOURS[0], HOURS[-1] + timedelta(hours=1)),
            ).fetchall()
        )
        intervals = conn.execute(
            "SELECT interval_start, listed, status FROM docpipe.pipeline_runs WHERE dag_id = 'document_ingest' "
            "AND interval_start >= %s AND interval_start <= %s ORDER BY 1",
            (HOURS[0], HOURS[-1] + timedelta(hours=1)),
        ).fetchall()
    assert set(stored) == {u.key for u in uploaded}  # and not the object of the hour after the range
    assert [(i[0], i[2]) for i in intervals] == [(h, "success") for h in HOURS]
    assert sum(i[1] for i in intervals) == len(uploaded)
    table = Settings.from_env().dynamodb_table
    items = [i["document_id"]["S"] for p in airflow_db.dynamodb().get_paginator("scan").paginate(TableName=table)
             for i in p["Items"]]  # fmt: skip
    assert set(stored.values()) <= set(items)
    assert document_id_for("acme", Settings.from_env().uploads_bucket, outside) not in items

    # The health view, from the UI's menu (shown in a frame, authenticated by the UI's cookie).
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="Pipeline health").click()
    page.wait_for_url("**/plugin/docpipe-health")
    frame = page.frame_locator("iframe").first
    for hour in HOURS:
        row = frame.locator(f'tr.interval[data-interval="{hour:%Y-%m-%dT%H:%M}"]')
        row.wait_for()
        assert row.get_attribute("data-status") == "success"
        assert row.get_attribute("data-run-id") == runs[hour]["dag_run_id"]
        tenants = frame.locator(f'tr.tenant[data-interval="{hour:%Y-%m-%dT%H:%M}"]')
        assert sum(int(tenants.nth(i).get_attribute("data-stored")) for i in range(tenants.count())) == int(
            row.get_attribute("data-listed")
        )
    shots("health-view")

    # Without the UI's login the view is refused; with it, the JSON form answers.
    anonymous = page.context.browser.new_context()
    try:
        assert anonymous.request.get(f"{base}/docpipe-health/").status == 401
        assert anonymous.request.get(f"{base}/docpipe-health/api/intervals").status == 401
    finally:
        anonymous.close()
    r = page.context.request.get(f"{base}/docpipe-health/api/intervals?since=2026-04-02T00:00&until=2026-04-03T00:00")
    assert r.status == 200
    assert sorted(iv["interval_start"] for iv in r.json()["intervals"]) == [h.isoformat() for h in HOURS]
