"""Postgres and DynamoDB writers against the real services: bulk, idempotent, newest version wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from docpipe.config import Settings
from docpipe.models import (
    Entity,
    ExtractionResult,
    ModerationVerdict,
    ObjectRef,
    PiiFinding,
    ProcessedDocument,
    QuarantinedDocument,
)
from docpipe.storage import dynamodb, postgres

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)


def _processed(key: str, sha: str, uploaded: datetime, total: str = "12.50", etag: str = "etag-1") -> ProcessedDocument:
    ref = ObjectRef("acme", "docpipe-uploads", key, 1234, etag, uploaded)
    entities = [
        Entity("invoice_id", "INV-1", 0.97, 0, {"text": "INV-1"}),
        Entity("total_amount", total, 0.9, 0,
               {"text": total, "moneyValue": {"currencyCode": "EUR", "units": total.split(".")[0],
                                              "nanos": int(total.split(".")[1].ljust(9, "0"))}}),
        Entity("invoice_date", "14/03/2026", 0.88, 0, {"text": "2026-03-14",
                                                        "dateValue": {"year": 2026, "month": 3, "day": 14}}),
    ]  # fmt: skip
    ex = ExtractionResult({"text": "Invoice INV-1"}, "invoice", 0.95, 1, entities, "local", "local-test")
    mod = ModerationVerdict("allow", {"Toxic": 0.01, "Finance": 0.4}, [PiiFinding("email", 3, 10)], "local", "m1")
    return ProcessedDocument(ref, sha, ex, mod, f"s3://docpipe-processed/acme/{ref.document_id}/{sha}.json", 12, 1)


def _snapshot(dsn: str) -> dict[str, list]:
    with psycopg.connect(dsn) as conn:
        return {
            t: conn.execute(f"SELECT * FROM docpipe.{t} ORDER BY 1, 2").fetchall()
            for t in ("documents", "document_fields", "moderation_results", "pii_findings", "processing_errors")
        }


@pytest.fixture
def clean(stack):
    stack.reset()
    return stack


def test_write_batch_is_idempotent_and_typed(clean):
    d = _processed("uploads/acme/2026/03/14/10/a.pdf", "a" * 64, T0)
    q = QuarantinedDocument(ObjectRef("acme", "docpipe-uploads", "uploads/acme/2026/03/14/10/bad.pdf", 0, "e0", T0),
                            None, "empty_file", "the file has no bytes", None)  # fmt: skip
    with psycopg.connect(clean.app_dsn) as conn:
        first = postgres.write_batch(conn, [d], [q], "run-1")
        assert (first.documents_changed, first.fields, first.errors) == (2, 3, 1)
    before = _snapshot(clean.app_dsn)
    with psycopg.connect(clean.app_dsn) as conn:
        again = postgres.write_batch(conn, [d], [q], "run-2")
    assert again.documents_changed == 0
    assert _snapshot(clean.app_dsn) == before  # not even updated_at moved

    with psycopg.connect(clean.app_dsn) as conn:
        row = conn.execute(
            "SELECT value_number, currency, value_date FROM docpipe.document_fields WHERE field_type = 'total_amount'"
        ).fetchone()
        assert (str(row[0]), row[1]) == ("12.500000", "EUR")
        assert (
            conn.execute("SELECT value_date FROM docpipe.document_fields WHERE field_type='invoice_date'")
            .fetchone()[0]
            .isoformat()
            == "2026-03-14"
        )
        assert conn.execute(
            "SELECT status, run_id FROM docpipe.documents WHERE object_key LIKE '%bad.pdf'"
        ).fetchone() == ("quarantined", "run-1")


def test_newer_version_replaces_children_and_older_never_wins(clean):
    key = "uploads/acme/2026/03/14/10/a.pdf"
    v1 = _processed(key, "1" * 64, T0, total="10.00")
    v2 = _processed(key, "2" * 64, T0 + timedelta(minutes=30), total="20.00", etag="etag-2")
    with psycopg.connect(clean.app_dsn) as conn:
        postgres.write_batch(conn, [v1], [], "run-1")
        postgres.write_batch(conn, [v2], [], "run-2")
        postgres.write_batch(conn, [v1], [], "run-3")  # a late retry of the old version
        (sha,) = conn.execute("SELECT content_sha256 FROM docpipe.documents").fetchone()
        totals = conn.execute(
            "SELECT content_sha256, value_number FROM docpipe.document_fields WHERE field_type='total_amount'"
        ).fetchall()
    assert sha == "2" * 64
    assert [(s, str(v)) for s, v in totals] == [("2" * 64, "20.000000")]


def test_quarantine_then_fixed_upload_clears_the_error(clean):
    key = "uploads/acme/2026/03/14/10/a.pdf"
    bad = QuarantinedDocument(
        ObjectRef("acme", "docpipe-uploads", key, 5, "e-bad", T0), "f" * 64, "corrupt", "broken", None
    )
    good = _processed(key, "2" * 64, T0 + timedelta(minutes=1))
    with psycopg.connect(clean.app_dsn) as conn:
        postgres.write_batch(conn, [], [bad], "run-1")
        postgres.write_batch(conn, [good], [], "run-2")
        assert conn.execute("SELECT count(*) FROM docpipe.processing_errors").fetchone()[0] == 0
        assert conn.execute("SELECT status FROM docpipe.documents").fetchone()[0] == "processed"


def test_dynamodb_conditional_on_version(clean):
    settings = Settings.from_env()
    ddb = clean.dynamodb()
    key = "uploads/acme/2026/03/14/10/a.pdf"
    v1 = _processed(key, "1" * 64, T0, total="10.00")
    v2 = _processed(key, "2" * 64, T0 + timedelta(minutes=30), total="20.00", etag="etag-2")
    assert dynamodb.write_documents(ddb, settings.dynamodb_table, [v1], []).written == 1
    assert dynamodb.write_documents(ddb, settings.dynamodb_table, [v2], []).written == 1
    assert dynamodb.write_documents(ddb, settings.dynamodb_table, [v2], []).written == 1  # same version: harmless
    stale = dynamodb.write_documents(ddb, settings.dynamodb_table, [v1], [])
    assert (stale.written, stale.stale) == (0, 1)
    item = ddb.get_item(TableName=settings.dynamodb_table,
                        Key={"tenant_id": {"S": "acme"}, "document_id": {"S": v1.ref.document_id}})["Item"]  # fmt: skip
    assert item["content_sha256"]["S"] == "2" * 64
    assert item["fields"]["M"]["total_amount"]["M"]["value"]["S"] == "20.00"
    by_status = ddb.query(TableName=settings.dynamodb_table, IndexName=dynamodb.STATUS_INDEX,
                          KeyConditionExpression="tenant_status = :s",
                          ExpressionAttributeValues={":s": {"S": "acme#processed"}})  # fmt: skip
    assert by_status["Count"] == 1


def test_migrations_are_recorded_and_rerunnable(clean):
    from docpipe.storage import migrations

    assert migrations.upgrade(clean.app_dsn) == []
    with psycopg.connect(clean.app_dsn) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM docpipe.schema_migrations ORDER BY 1")]
    assert versions == [m.version for m in migrations.discover()]
