"""The quarantine workflow against the real stores: list what was quarantined and why, fix a file and
retry that one document, fix another and rerun its whole hour with reprocess=failed; what is still
broken stays quarantined with its reason, and the quarantined copies stay for the audit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from docpipe.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOUR = datetime(2026, 5, 1, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def quarantined(airflow_db):
    """One hour with good documents and three broken ones, ingested once."""
    from airflow.dag_processing.dagbag import DagBag

    from docpipe.config import PROJECT_ROOT
    from docpipe.samples.generator import generate_documents
    from docpipe.samples.upload import upload_documents

    airflow_db.reset()
    settings = Settings.from_env()
    docs = list(generate_documents(3, tenants=["acme", "globex"], seed=5, scanned_share=0.0, bad=3))
    uploaded = upload_documents(airflow_db.s3(), settings.uploads_bucket, docs, hours=[HOUR])
    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "document_ingest.py")).dags["document_ingest"]
    dag.deadline = None  # dag.test() cannot evaluate deadline alerts (apache/airflow#73428)
    assert dag.test(logical_date=HOUR + timedelta(hours=1)).state == "success"
    good_pdf = next(d.data for d in docs if d.filename.endswith(".pdf") and not d.filename.startswith("bad"))
    return [u for u in uploaded if u.kind == "bad"], good_pdf


def _status(stack, key: str) -> tuple[str, str | None]:
    with psycopg.connect(stack.app_dsn) as conn:
        return conn.execute(
            "SELECT d.status, e.reason FROM docpipe.documents d LEFT JOIN docpipe.processing_errors e "
            "USING (document_id) WHERE d.object_key = %s",
            (key,),
        ).fetchone()


def _cli(monkeypatch, capsys, *argv: str) -> tuple[int, str]:
    from docpipe.cli import main

    monkeypatch.setenv("DOCPIPE_LOCAL_STACK", "0")  # use this session's stack as configured, start nothing
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_list_shows_each_quarantined_document_with_its_reason(quarantined, airflow_db, monkeypatch, capsys):
    from docpipe.commands.quarantine import list_quarantined

    bad, _ = quarantined
    with psycopg.connect(airflow_db.app_dsn) as conn:
        rows = list_quarantined(conn)
        assert {(r.object_key, r.reason) for r in rows} == {(u.key, u.truth["reason"]) for u in bad}
        assert all(r.source_hour == HOUR and r.quarantine_uri.endswith(r.object_key) for r in rows)
        tenant = bad[0].tenant_id
        assert {r.object_key for r in list_quarantined(conn, tenants=[tenant])} == {
            u.key for u in bad if u.tenant_id == tenant
        }
        reason = bad[0].truth["reason"]
        assert {r.reason for r in list_quarantined(conn, reasons=[reason])} == {reason}
        assert list_quarantined(conn, since=datetime.now(UTC) + timedelta(hours=1)) == []

    code, out = _cli(monkeypatch, capsys, "quarantine", "list", "--json", "--since", "24h")
    assert code == 0
    assert sorted(json.loads(line)["document_id"] for line in out.splitlines()) == sorted(r.document_id for r in rows)


def test_fix_and_retry_one_document(quarantined, airflow_db, monkeypatch, capsys):
    from docpipe.commands.quarantine import list_quarantined

    bad, good_pdf = quarantined
    settings = Settings.from_env()
    target = bad[0]
    airflow_db.s3().put_object(Bucket=settings.uploads_bucket, Key=target.key, Body=good_pdf)  # the fix
    with psycopg.connect(airflow_db.app_dsn) as conn:
        (doc_id,) = [r.document_id for r in list_quarantined(conn) if r.object_key == target.key]

    code, out = _cli(monkeypatch, capsys, "quarantine", "retry", "--document-id", doc_id)
    assert code == 0, out
    assert _status(airflow_db, target.key) == ("processed", None)
    item = airflow_db.dynamodb().get_item(
        TableName=settings.dynamodb_table, Key={"tenant_id": {"S": target.tenant_id}, "document_id": {"S": doc_id}}
    )["Item"]
    assert item["status"]["S"] == "processed"
    # The quarantined copy of the broken upload stays, for the audit.
    assert airflow_db.s3().head_object(Bucket=settings.uploads_bucket, Key=f"quarantine/{target.key}")
    # The others are untouched.
    assert all(_status(airflow_db, u.key) == ("quarantined", u.truth["reason"]) for u in bad[1:])


def test_fix_and_rerun_the_hour_with_reprocess_failed(quarantined, airflow_db, monkeypatch, capsys):
    bad, good_pdf = quarantined
    settings = Settings.from_env()
    fixed, still_broken = bad[1], bad[2]
    airflow_db.s3().put_object(Bucket=settings.uploads_bucket, Key=fixed.key, Body=good_pdf)

    code, out = _cli(monkeypatch, capsys, "quarantine", "retry", "--hour", f"{HOUR:%Y-%m-%dT%H}")
    assert code == 0, out
    assert _status(airflow_db, fixed.key) == ("processed", None)
    assert _status(airflow_db, still_broken.key) == ("quarantined", still_broken.truth["reason"])
    with psycopg.connect(airflow_db.app_dsn) as conn:
        last = conn.execute(
            "SELECT listed, processed, quarantined, unchanged FROM docpipe.pipeline_runs "
            "WHERE interval_start = %s ORDER BY finished_at DESC LIMIT 1",
            (HOUR,),
        ).fetchone()
    # reprocess=failed re-read only the quarantined documents (the fixed one and the still broken one).
    assert last[1:3] == (1, 1) and last[0] == last[1] + last[2] + last[3]
