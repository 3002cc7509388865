"""Postgres bulk writes against a real server: reruns converge, the newest version wins, a batch cut
off mid-write leaves nothing, and concurrent batches neither deadlock nor let an older version win.

Runs in a database of its own, written through a login role of the pipeline's group
(docpipe_writer), so every statement is subject to row-level security as in production.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql

from docpipe.models import Entity, ModerationVerdict, ObjectRef, QuarantinedDocument
from docpipe.storage import migrations, postgres, roles, synthetic

pytestmark = pytest.mark.integration

TABLES = ("tenants", "documents", "document_fields", "moderation_results", "pii_findings", "processing_errors")


class Db:
    def __init__(self, admin: str, writer: str) -> None:
        self.admin, self.writer = admin, writer

    def snapshot(self) -> dict[str, list[tuple]]:
        with psycopg.connect(self.admin) as conn:
            return {t: conn.execute(f"SELECT * FROM docpipe.{t} ORDER BY 1, 2, 3").fetchall() for t in TABLES}

    def write(self, processed, quarantined=(), run_id: str = "run") -> postgres.WriteResult:
        with psycopg.connect(self.writer, autocommit=True) as conn:
            return postgres.write_batch(conn, list(processed), list(quarantined), run_id)


@pytest.fixture(scope="module")
def database(stack) -> Iterator[Db]:
    name = f"{stack.app_db}_writes"
    user = f"docpipe_t{uuid.uuid4().hex[:8]}_pipeline"
    with psycopg.connect(stack.pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin = stack.pg.dsn(name)
    try:
        migrations.upgrade(admin)
        roles.ensure_login(admin, user, roles.WRITER_ROLE)
        yield Db(admin, roles.dsn_for(admin, user))
    finally:
        with psycopg.connect(stack.pg.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))


@pytest.fixture
def db(database: Db) -> Db:
    with psycopg.connect(database.admin, autocommit=True) as conn:
        conn.execute("TRUNCATE docpipe.tenants, docpipe.documents, docpipe.pipeline_runs CASCADE")
    return database


def _quarantined(n: int, tenant: str = "acme") -> QuarantinedDocument:
    ref = ObjectRef(tenant, "docpipe-uploads", f"uploads/{tenant}/2026/03/14/10/bad-{n}.pdf", 9, f"bad-{n}",
                    datetime(2026, 3, 14, 10, 20, tzinfo=UTC))  # fmt: skip
    return QuarantinedDocument(ref, None, "encrypted", f"password protected\n(case {n})", f"s3://q/bad-{n}.pdf")


def test_same_batch_twice_converges(db):
    docs = synthetic.processed_documents(30, fields=6)
    bad = [_quarantined(1), _quarantined(2, "globex")]
    first = db.write(docs, bad, "run-1")
    assert (first.documents_changed, first.fields, first.errors) == (32, 180, 2)
    after_first = db.snapshot()
    again = db.write(docs, bad, "run-2")
    assert again == postgres.WriteResult(0, 0, 0)
    assert db.snapshot() == after_first  # not one row touched, updated_at and run_id included
    # Every child row carries its document's tenant.
    with psycopg.connect(db.admin) as conn:
        for table in ("document_fields", "moderation_results", "pii_findings", "processing_errors"):
            mismatched = conn.execute(
                f"SELECT count(*) FROM docpipe.{table} c JOIN docpipe.documents d USING (document_id) "
                "WHERE c.tenant_id <> d.tenant_id"
            ).fetchone()[0]
            assert mismatched == 0, table


def test_older_version_after_newer_changes_nothing(db):
    v1 = synthetic.processed_documents(20, fields=5, version=1)
    v2 = synthetic.processed_documents(20, fields=3, version=2)
    db.write(v2, run_id="run-new")
    newest = db.snapshot()
    late = db.write(v1, run_id="run-late-retry")
    assert late == postgres.WriteResult(0, 0, 0)
    assert db.snapshot() == newest
    with psycopg.connect(db.admin) as conn:
        shas = conn.execute("SELECT DISTINCT content_sha256 FROM docpipe.document_fields").fetchall()
        per_doc = conn.execute("SELECT DISTINCT count(*) FROM docpipe.document_fields GROUP BY document_id").fetchall()
    assert {s for (s,) in shas} == {d.content_sha256 for d in v2}
    assert per_doc == [(3,)]  # v2's three fields, none of v1's five


def test_newer_version_replaces_children_as_a_unit_within_a_mixed_batch(db):
    v1 = synthetic.processed_documents(10, fields=5, version=1)
    v2 = synthetic.processed_documents(10, fields=2, version=2)
    db.write(v1[:5] + v2[5:])
    # Now half the documents hold v1, half v2; a batch of the opposite mix only upgrades the first half.
    result = db.write(v2[:5] + v1[5:])
    assert (result.documents_changed, result.fields) == (5, 10)
    with psycopg.connect(db.admin) as conn:
        rows = conn.execute(
            "SELECT d.content_sha256, count(f.*), min(f.content_sha256) = max(f.content_sha256) "
            "AND min(f.content_sha256) = d.content_sha256 "
            "FROM docpipe.documents d JOIN docpipe.document_fields f USING (document_id) GROUP BY d.document_id"
        ).fetchall()
    assert {sha for sha, _, _ in rows} == {d.content_sha256 for d in v2}
    assert all(n == 2 and consistent for _, n, consistent in rows)


def test_text_round_trips_through_copy(db):
    """COPY's text format has escapes of its own: tabs, newlines, backslashes, quotes and NUL must survive
    (NUL, which Postgres text cannot hold, is dropped)."""
    (doc,) = synthetic.processed_documents(1, fields=0)
    nasty = 'tab\there, new\nline, back\\slash, "quoted", {braces}, comma,, \\N, nul\x00!'
    doc.extraction.entities = [
        Entity("form_field", nasty, 0.5, 0, {"text": nasty, "key": "Label\t1"}, [0.1, 0.2, 0.3, 0.4]),
        Entity("note", "plain", 1.7, 2, None, None),  # confidence above 1 is clamped
    ]
    doc = replace(doc, moderation=ModerationVerdict("review", {"Insult": 0.7}, [], "local", "m",
                                                    [nasty, "second, with comma"]))  # fmt: skip
    db.write([doc])
    with psycopg.connect(db.admin) as conn:
        fields = conn.execute(
            "SELECT mention_text, value_text, form_key, bbox, confidence FROM docpipe.document_fields ORDER BY ordinal"
        ).fetchall()
        reasons, categories = conn.execute("SELECT reasons, categories FROM docpipe.moderation_results").fetchone()
        kv = conn.execute("SELECT form_key, form_value FROM docpipe.form_key_values").fetchall()
    clean = nasty.replace("\x00", "")
    assert fields[0] == (clean, clean, "Label\t1", [0.1, 0.2, 0.3, 0.4], 0.5)
    assert fields[1] == ("plain", None, None, None, 1.0)
    assert reasons == [clean, "second, with comma"]
    assert categories == {"Insult": 0.7}
    assert kv == [("Label\t1", clean)]


def _with_fields(doc, entities: list[Entity], engine_version: str):
    return replace(doc, extraction=replace(doc.extraction, entities=entities, engine_version=engine_version))


def _extractors(db: Db) -> list[tuple]:
    with psycopg.connect(db.admin) as conn:
        return conn.execute("SELECT ordinal, extractor FROM docpipe.document_fields ORDER BY ordinal").fetchall()


def test_field_extractor_is_stored_and_null_when_unsaid(db):
    (doc,) = synthetic.processed_documents(1, fields=0)
    db.write([_with_fields(doc, [Entity("invoice_id", "INV-1", 0.9, 0, {"text": "INV-1"}, None, "fs-abc"),
                                 Entity("note", "plain", 0.5)], "local-test+fs-abc")])  # fmt: skip
    assert _extractors(db) == [(0, "fs-abc"), (1, None)]


def test_rerun_with_a_new_field_model_replaces_the_extractor(db):
    """A new field-selection model changes the engine version, so the rerun rewrites the fields with
    the new extractor. The same engine version with only the extractor different changes nothing, as a
    different confidence changes nothing: field rows are not compared, the document row is."""
    (doc,) = synthetic.processed_documents(1, fields=0)
    fields = [Entity("invoice_id", "INV-1", 0.9, 0, {"text": "INV-1"}, None, "fs-abc"), Entity("note", "plain", 0.5)]
    db.write([_with_fields(doc, fields, "local-test+fs-abc")], run_id="run-1")
    stored = db.snapshot()

    for first in (replace(fields[0], extractor="fs-def"), replace(fields[0], confidence=0.7)):
        rerun = _with_fields(doc, [first, fields[1]], "local-test+fs-abc")
        assert db.write([rerun], run_id="run-2") == postgres.WriteResult(0, 0, 0)
        assert db.snapshot() == stored

    new_model = [replace(fields[0], extractor="fs-def"), replace(fields[1], extractor="rules")]
    rerun = _with_fields(doc, new_model, "local-test+fs-def")
    assert db.write([rerun], run_id="run-3") == postgres.WriteResult(1, 2, 0)
    assert _extractors(db) == [(0, "fs-def"), (1, "rules")]
    with psycopg.connect(db.admin) as conn:
        assert conn.execute("SELECT engine_version, run_id FROM docpipe.documents").fetchall() == [
            ("local-test+fs-def", "run-3")
        ]


def test_batch_killed_mid_write_leaves_all_or_nothing(db):
    """The writer's backend is terminated while the batch is half-applied inside its transaction
    (documents upserted, old fields deleted, waiting on a lock held here): nothing of it may remain."""
    v1 = synthetic.processed_documents(40, fields=5, version=1)
    db.write(v1, [_quarantined(1)], "run-1")
    committed = db.snapshot()
    batch = synthetic.processed_documents(40, fields=5, version=2) + synthetic.processed_documents(
        40, fields=5, first=40
    )

    errors: list[BaseException] = []
    with psycopg.connect(db.writer, autocommit=True) as victim, psycopg.connect(db.admin, autocommit=True) as admin:
        pid = victim.info.backend_pid

        def write() -> None:
            try:
                postgres.write_batch(victim, batch, [_quarantined(1)], "run-2")
            except BaseException as e:  # noqa: BLE001 - the thread reports whatever ended it
                errors.append(e)

        with admin.transaction():
            # The batch deletes the old PII rows after it has rewritten documents and fields: block it there.
            admin.execute("LOCK TABLE docpipe.pii_findings IN ACCESS EXCLUSIVE MODE")
            writer = threading.Thread(target=write)
            writer.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = admin.execute(
                    "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = %s AND NOT granted "
                    "AND relation = 'docpipe.pii_findings'::regclass)",
                    (pid,),
                ).fetchone()
                if waiting and waiting[0]:
                    break
                time.sleep(0.02)
            else:
                pytest.fail("the batch never reached the blocked statement")
            # Half-applied, uncommitted: visible to nobody else.
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        writer.join(30)
    assert errors and isinstance(errors[0], psycopg.OperationalError)
    assert db.snapshot() == committed  # none of the batch: v1 intact with all its children

    assert db.write(batch, [_quarantined(1)], "run-3").documents_changed == 80  # the retry applies all of it
    with psycopg.connect(db.admin) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT run_id) FROM docpipe.documents").fetchone() == (81, 2)
        assert conn.execute("SELECT count(*) FROM docpipe.document_fields").fetchone() == (400,)


def test_concurrent_batches_of_two_versions_end_with_the_newer(db):
    """Two runs write the same documents at once, in opposite orders: no deadlock, newest wins."""
    v1 = synthetic.processed_documents(150, fields=4, version=1)
    v2 = synthetic.processed_documents(150, fields=4, version=2)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(docs, run_id):
        try:
            barrier.wait()
            for i in range(0, len(docs), 50):
                db.write(docs[i : i + 50], run_id=run_id)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run, args=(v1, "old")), threading.Thread(target=run, args=(v2[::-1], "new"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with psycopg.connect(db.admin) as conn:
        docs = conn.execute("SELECT content_sha256, run_id FROM docpipe.documents").fetchall()
        fields = conn.execute("SELECT DISTINCT content_sha256 FROM docpipe.document_fields").fetchall()
    assert {sha for sha, _ in docs} == {d.content_sha256 for d in v2}
    assert {run_id for _, run_id in docs} == {"new"}
    assert {sha for (sha,) in fields} == {d.content_sha256 for d in v2}


def test_several_batches_inside_one_open_transaction(db):
    """On a connection not in autocommit mode each batch is a savepoint of the caller's transaction:
    one batch's staged rows must not leak into the next."""
    with psycopg.connect(db.writer) as conn:
        assert postgres.write_batch(conn, synthetic.processed_documents(5, fields=3, version=1), [], "a").fields == 15
        assert postgres.write_batch(conn, synthetic.processed_documents(5, fields=2, version=2), [], "b").fields == 10
        assert postgres.write_batch(conn, synthetic.processed_documents(3, fields=4, first=10), [], "c").fields == 12
    with psycopg.connect(db.admin) as conn:
        assert conn.execute("SELECT count(*) FROM docpipe.document_fields").fetchone() == (22,)
        assert conn.execute("SELECT run_id, count(*) FROM docpipe.documents GROUP BY 1 ORDER BY 1").fetchall() == [
            ("b", 5),
            ("c", 3),
        ]
