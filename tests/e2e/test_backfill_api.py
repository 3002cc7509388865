"""Backfills through the REST API (what the UI's form and `airflow backfill create` call), executed by a
real scheduler: exactly the requested intervals run, and rerunning them with "all runs" after a late
upload picks the late object up and converges: no second run row, no duplicate item, row or result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from docpipe.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOURS = [datetime(2026, 4, 5, 8, tzinfo=UTC), datetime(2026, 4, 5, 9, tzinfo=UTC)]
TENANTS = ["acme", "globex"]


def _state(stack) -> dict:
    settings = Settings.from_env()
    lo, hi = HOURS[0], HOURS[-1] + timedelta(hours=1)
    with psycopg.connect(stack.app_dsn) as conn:
        docs = conn.execute(
            "SELECT document_id, object_key, status, content_sha256, run_id, updated_at FROM docpipe.documents "
            "WHERE source_hour >= %s AND source_hour < %s ORDER BY 1",
            (lo, hi),
        ).fetchall()
        runs = conn.execute(
            "SELECT interval_start, run_id, listed, processed, quarantined, unchanged, status "
            "FROM docpipe.pipeline_runs WHERE dag_id = 'document_ingest' AND interval_start >= %s "
            "AND interval_start < %s ORDER BY 1",
            (lo, hi),
        ).fetchall()
    ids = {d[0] for d in docs}
    items = [
        (i["document_id"]["S"], i["version"]["N"])
        for p in stack.dynamodb().get_paginator("scan").paginate(TableName=settings.dynamodb_table)
        for i in p["Items"]
        if i["document_id"]["S"] in ids
    ]
    results = [
        o["Key"]
        for t in TENANTS
        for p in stack.s3().get_paginator("list_objects_v2").paginate(Bucket=settings.processed_bucket, Prefix=f"{t}/")
        for o in p.get("Contents", [])
        if o["Key"].split("/")[1] in ids
    ]
    return {"documents": docs, "runs": runs, "items": sorted(items), "results": sorted(results)}


def test_rest_backfill_runs_exactly_the_range_and_a_rerun_converges(airflow_server, airflow_db) -> None:
    from docpipe.samples.generator import generate_documents
    from docpipe.samples.upload import upload_documents

    settings = Settings.from_env()
    s3 = airflow_db.s3()
    uploaded = upload_documents(
        s3, settings.uploads_bucket,
        generate_documents(4, tenants=TENANTS, seed=21, scanned_share=0.0, bad=1), hours=HOURS,
    )  # fmt: skip
    before_range = "uploads/globex/2026/04/05/07/before-the-range.pdf"
    s3.put_object(Bucket=settings.uploads_bucket, Key=before_range, Body=b"%PDF-1.4 before")

    api = airflow_server.api()
    try:
        api.set_paused("document_ingest", False)
        preview = api.create_backfill("document_ingest", HOURS[0], HOURS[-1], dry_run=True)
        assert [b["logical_date"] for b in preview["backfills"]] == [
            h.isoformat().replace("+00:00", "Z") for h in HOURS
        ]
        nights = api.create_backfill("warehouse_load", datetime(2026, 4, 1, tzinfo=UTC),
                                     datetime(2026, 4, 3, 23, tzinfo=UTC), dry_run=True)  # fmt: skip
        assert [b["logical_date"] for b in nights["backfills"]] == [f"2026-04-0{d}T02:00:00Z" for d in (1, 2, 3)]

        bf = api.create_backfill("document_ingest", HOURS[0], HOURS[-1], reprocess_behavior="none", max_active_runs=2)
        api.wait_for_backfill(bf["id"], timeout=900)
        runs = api.wait_for_runs("document_ingest", HOURS, timeout=60)
        assert {r["state"] for r in runs.values()} == {"success"}, runs
        first = _state(airflow_db)
        assert {d[1] for d in first["documents"]} == {u.key for u in uploaded}  # not the hour before
        assert [(r[0], r[6]) for r in first["runs"]] == [(h, "success") for h in HOURS]
        assert sum(r[2] for r in first["runs"]) == len(uploaded)
        processed = [d for d in first["documents"] if d[2] == "processed"]
        assert len(first["items"]) == len(first["documents"]) and len(first["results"]) == len(processed)

        # A late arrival into the first hour, then "All runs" (reprocess completed) over the same range.
        late = "uploads/acme/2026/04/05/08/late-arrival.pdf"
        from docpipe.samples.generator import generate_documents as gen

        late_doc = next(iter(gen(1, tenants=["acme"], seed=99, scanned_share=0.0, bad=0)))
        s3.put_object(Bucket=settings.uploads_bucket, Key=late, Body=late_doc.data, ContentType=late_doc.content_type)
        bf = api.create_backfill("document_ingest", HOURS[0], HOURS[-1], reprocess_behavior="completed",
                                 max_active_runs=2)  # fmt: skip
        api.wait_for_backfill(bf["id"], timeout=900)
        rerun = api.wait_for_runs("document_ingest", HOURS, timeout=60)
    finally:
        api.close()
    assert {r["state"] for r in rerun.values()} == {"success"}
    assert {h: r["dag_run_id"] for h, r in rerun.items()} == {h: r["dag_run_id"] for h, r in runs.items()}
    second = _state(airflow_db)
    late_rows = [d for d in second["documents"] if d[1] == late]
    assert len(late_rows) == 1 and late_rows[0][2] == "processed"
    # Everything else is exactly as the first run left it; one run row per interval, with the new counts.
    assert [d for d in second["documents"] if d[1] != late] == first["documents"]
    assert len(second["items"]) == len(second["documents"]) == len(first["documents"]) + 1
    assert len(second["results"]) == len(first["results"]) + 1
    assert [r[:2] for r in second["runs"]] == [r[:2] for r in first["runs"]]
    first_hour = second["runs"][0]
    assert (first_hour[3], first_hour[5]) == (1, first["runs"][0][2])  # processed the late one, skipped the rest
