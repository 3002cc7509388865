"""Warehouse load end to end on the local stack: Postgres -> moto S3 -> fakesnow RAW -> CURATED.

Self-contained (module-scoped fixtures): a throwaway Postgres database on 127.0.0.1:5432 (trust auth),
a moto server on a free port, and a fakesnow db directory under tmp. The tests run in file order and
share state: first load, rerun (idempotence), analytics on that state, then a new document version.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from docpipe.models import document_id_for  # noqa: E402
from docpipe.warehouse import (  # noqa: E402
    apply_ddl,
    copy_into_raw,
    export_changes,
    load_interval,
    merge_curated,
    reconcile,
    run_analytics_query,
    snowflake_connection,
    stage_url_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::UserWarning")]

REPO = Path(__file__).resolve().parents[2]
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
BUCKET = "docpipe-staging-test"
RUN_ID = "scheduled__2025-03-02T00:00:00+00:00"

I1_START = datetime(2025, 3, 1, tzinfo=UTC)
I1_END = datetime(2025, 3, 2, tzinfo=UTC)
I2_START, I2_END = I1_END, datetime(2025, 3, 3, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def doc_id(tenant: str, key: str) -> str:
    return document_id_for(tenant, f"{tenant}-uploads", key)


D1, D2, D3 = doc_id("acme", "in/1.pdf"), doc_id("acme", "in/2.jpg"), doc_id("globex", "in/3.pdf")
D4, D5, D6, D7 = (
    doc_id("acme", "in/4.bin"),
    doc_id("globex", "in/5.pdf"),
    doc_id("initech", "in/6.pdf"),
    doc_id("globex", "in/7.jpg"),
)

# (id, tenant, key, sha, status, type, pages, decision, updated_at); fields (confidences); moderation
DOCS = [
    # exactly at the interval start: included (half-open interval)
    (D1, "acme", "in/1.pdf", sha("d1v1"), "processed", "invoice", 2, "allow", I1_START),
    (D2, "acme", "in/2.jpg", sha("d2"), "processed", "receipt", 1, "review", at(1, 10)),
    (D3, "globex", "in/3.pdf", sha("d3"), "processed", "invoice", 3, "block", at(1, 23, 59)),
    (D4, "acme", "in/4.bin", None, "quarantined", None, None, None, at(1, 12)),
    # before the interval
    (D5, "globex", "in/5.pdf", sha("d5"), "processed", "receipt", 1, "allow", I1_START - timedelta(hours=1)),
    # exactly at the interval end: excluded
    (D6, "initech", "in/6.pdf", sha("d6"), "processed", "invoice", 1, "allow", I1_END),
    # the document row changed before the interval, but its moderation result inside it
    (D7, "globex", "in/7.jpg", sha("d7"), "processed", "receipt", 1, "allow", at(1, 0) - timedelta(days=2)),
]
FIELDS = {
    D1: [0.9, 0.8, 0.7],
    D2: [0.95, 0.85],
    D3: [0.5],
    D5: [0.4],
    D6: [0.3],
    D7: [0.6],
}
MODERATION = {  # id: (decision, categories, pii_count, updated_at)
    D1: ("allow", {"toxicity": 0.1, "profanity": 0.05}, 0, I1_START),
    D2: ("review", {"toxicity": 0.6, "profanity": 0.3}, 2, at(1, 10)),
    D3: ("block", {"toxicity": 0.97, "profanity": 0.9}, 0, at(1, 23, 59)),
    D5: ("allow", {"toxicity": 0.0, "profanity": 0.0}, 0, at(1, 0) - timedelta(hours=1)),
    D7: ("allow", {"toxicity": 0.2, "profanity": 0.01}, 1, at(1, 6)),
}
EXPECTED_EXPORT = {
    "tenants": 2,  # acme (changed), globex (referenced by changed documents); not initech
    "documents": 5,  # D1 D2 D3 D4 D7
    "document_fields": 7,
    "moderation_results": 4,
    "pipeline_runs": 1,
}
CURATED_TABLES = (
    "DIM_TENANT",
    "DIM_DOCUMENT_TYPE",
    "FCT_DOCUMENT",
    "FCT_DOCUMENT_FIELD",
    "FCT_MODERATION",
    "FCT_PIPELINE_RUN",
)


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def pg_dsn():
    try:
        admin = psycopg.connect(PG_DSN, autocommit=True)
    except psycopg.OperationalError as e:
        pytest.skip(f"no Postgres on 127.0.0.1:5432: {e}")
    name = f"docpipe_test_wh_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    dsn = PG_DSN.replace("dbname=postgres", f"dbname={name}")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for path in sorted((REPO / "sql" / "postgres").glob("*.sql")):
                conn.execute(path.read_text())
            _seed(conn)
        yield dsn
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _seed(conn) -> None:
    before = I1_START - timedelta(days=10)
    for tenant, updated in (("acme", at(1, 8)), ("globex", before), ("initech", before)):
        conn.execute(
            "INSERT INTO docpipe.tenants (tenant_id, created_at, updated_at) VALUES (%s, %s, %s)",
            (tenant, before, updated),
        )
    for did, tenant, key, digest, status, dtype, pages, decision, updated in DOCS:
        conn.execute(
            """INSERT INTO docpipe.documents (document_id, tenant_id, bucket, object_key, content_sha256, s3_etag,
                   size_bytes, uploaded_at, source_hour, status, document_type, type_confidence, page_count,
                   ocr_page_count, engine, engine_version, moderation_decision, extract_ms, moderate_ms,
                   result_uri, run_id, created_at, updated_at)
               VALUES (%s, %s, %s, %s, %s, 'etag', 1000, %s, %s, %s, %s, %s, %s, 0, %s, '1.0', %s, 120, 15,
                   %s, 'run-1', %s, %s)""",
            (
                did, tenant, f"{tenant}-uploads", key, digest, updated - timedelta(minutes=5),
                (updated - timedelta(minutes=5)).replace(minute=0, second=0), status, dtype,
                0.9 if dtype else None, pages, "tesseract" if dtype else None, decision,
                f"s3://results/{did}.json" if dtype else None, updated - timedelta(minutes=5), updated,
            ),
        )  # fmt: skip
        for ordinal, confidence in enumerate(FIELDS.get(did, [])):
            _insert_field(conn, did, ordinal, digest, confidence, updated)
    for did, (decision, categories, pii, updated) in MODERATION.items():
        digest = next(d[3] for d in DOCS if d[0] == did)
        conn.execute(
            """INSERT INTO docpipe.moderation_results (document_id, content_sha256, decision, categories, reasons,
                   pii_count, engine, engine_version, updated_at)
               VALUES (%s, %s, %s, %s, %s, %s, 'profanity-check', '1.9', %s)""",
            (did, digest, decision, json.dumps(categories), ["x"] if decision != "allow" else [], pii, updated),
        )
    for run, updated in (("run-1", at(1, 23)), ("run-0", before)):
        conn.execute(
            """INSERT INTO docpipe.pipeline_runs (run_id, dag_id, interval_start, interval_end, listed, processed,
                   quarantined, unchanged, batches, pages, ocr_pages, details, status, started_at, finished_at,
                   updated_at)
               VALUES (%s, 'docpipe_ingest', %s, %s, 5, 4, 1, 0, 1, 7, 0, %s, 'success', %s, %s, %s)""",
            (run, updated - timedelta(hours=1), updated, json.dumps({"batches": [4]}), updated - timedelta(minutes=3),
             updated - timedelta(seconds=30), updated),
        )  # fmt: skip


def _insert_field(conn, did: str, ordinal: int, digest: str, confidence: float, updated: datetime) -> None:
    conn.execute(
        """INSERT INTO docpipe.document_fields (document_id, ordinal, content_sha256, field_type, mention_text,
               value_text, value_number, value_date, currency, confidence, page, bbox, updated_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s)""",
        (
            did, ordinal, digest, "total_amount" if ordinal == 0 else "supplier_name", f"text {ordinal}",
            f"value {ordinal}", 12.5 if ordinal == 0 else None, datetime(2025, 2, 1).date() if ordinal == 0 else None,
            "EUR" if ordinal == 0 else None, confidence, [0.1, 0.2, 0.3, 0.4], updated,
        ),
    )  # fmt: skip


@pytest.fixture(scope="module")
def wh_stack(pg_dsn, tmp_path_factory):
    """moto S3 + env for fakesnow; yields (pg connection, s3 client)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "DOCPIPE_SNOWFLAKE_BACKEND": "fakesnow",
            "DOCPIPE_FAKESNOW_PATH": str(tmp_path_factory.mktemp("fakesnow")),
        }.items():
            mp.setenv(key, value)
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        import boto3

        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        pg = psycopg.connect(pg_dsn)
        try:
            yield pg, s3
        finally:
            pg.close()
            server.stop()


@pytest.fixture(scope="module")
def first_load(wh_stack):
    pg, s3 = wh_stack
    with snowflake_connection() as sf:
        apply_ddl(sf, stage_url=stage_url_for(BUCKET))
    return load_interval(pg, s3, BUCKET, I1_START, I1_END, RUN_ID)


def query(sql: str, params=None) -> list[tuple]:
    with snowflake_connection() as sf:
        cur = sf.cursor()
        cur.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]


def curated_snapshot() -> dict[str, list[tuple]]:
    out = {}
    with snowflake_connection() as sf:
        for table in CURATED_TABLES:
            cur = sf.cursor()
            cur.execute(f"SELECT * FROM CURATED.{table}")
            out[table] = sorted((tuple(r) for r in cur.fetchall()), key=repr)
    return out


# --------------------------------------------------------------------------------------------- tests


def test_ddl_is_idempotent(wh_stack):
    with snowflake_connection() as sf:
        first = apply_ddl(sf, stage_url=stage_url_for(BUCKET))
        second = apply_ddl(sf, stage_url=stage_url_for(BUCKET))
    assert first == second
    assert first[0] == "0001_database.sql" and "0040_stage.sql" in first
    tables = {r[0] for r in query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'CURATED'")}
    assert {"FCT_DOCUMENT", "FCT_DOCUMENT_FIELD", "FCT_MODERATION", "FCT_PIPELINE_RUN", "DIM_TENANT",
            "DIM_DOCUMENT_TYPE"} <= tables  # fmt: skip
    views = {r[0] for r in query("SELECT table_name FROM information_schema.views WHERE table_schema = 'CURATED'")}
    assert views == {"FCT_DOCUMENT_CURRENT"}


def test_first_load_counts_and_reconciliation(wh_stack, first_load):
    _, s3 = wh_stack
    assert first_load.exported == EXPECTED_EXPORT
    assert first_load.loaded == EXPECTED_EXPORT
    assert first_load.merged["fct_document"] == 5
    assert first_load.merged["fct_document_field"] == 7
    assert first_load.merged["fct_moderation"] == 8
    assert first_load.merged["dim_tenant"] == 2
    rec = first_load.reconciliation
    assert rec["ok"], rec
    assert rec["tables"]["fct_document"]["by_status"] == {
        "processed": {"source": 4, "target": 4},
        "quarantined": {"source": 1, "target": 1},
    }
    assert first_load.ok
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(f"warehouse/{t}/interval=20250301T000000Z/part-0.parquet" for t in EXPECTED_EXPORT)


def test_first_load_curated_values(first_load):
    docs = {
        r[0]: r[1:]
        for r in query(
            "SELECT DOCUMENT_ID, CONTENT_SHA256, TENANT_ID, DOCUMENT_TYPE, STATUS, PAGE_COUNT, FIELD_COUNT, "
            "MEAN_FIELD_CONFIDENCE, MODERATION_DECISION, PII_COUNT, IS_CURRENT, PROCESSED_AT, UPLOADED_AT, "
            "SOURCE_HOUR, EXTRACT_MS, ENGINE FROM CURATED.FCT_DOCUMENT"
        )
    }
    assert set(docs) == {D1, D2, D3, D4, D7}
    d1 = docs[D1]
    assert d1[:6] == (sha("d1v1"), "acme", "invoice", "processed", 2, 3)
    assert float(d1[6]) == pytest.approx(0.8)
    assert d1[7:10] == ("allow", 0, True)
    assert d1[10] == I1_START and d1[11] == I1_START - timedelta(minutes=5)
    assert d1[12] == datetime(2025, 2, 28, 23, tzinfo=UTC) and d1[13] == 120 and d1[14] == "tesseract"
    assert float(docs[D2][6]) == pytest.approx(0.9) and docs[D2][8] == 2
    d4 = docs[D4]
    assert d4[0] is None and d4[2] is None and d4[3] == "quarantined" and d4[5] == 0 and d4[6] is None
    assert docs[D7][5] == 1 and docs[D7][8] == 1  # exported because its moderation changed

    fields = query(
        "SELECT DOCUMENT_ID, ORDINAL, CONTENT_SHA256, TENANT_ID, DOCUMENT_TYPE, FIELD_TYPE, VALUE_NUMBER, "
        "VALUE_DATE, CURRENCY, CONFIDENCE, BBOX FROM CURATED.FCT_DOCUMENT_FIELD ORDER BY DOCUMENT_ID, ORDINAL"
    )
    assert len(fields) == 7
    f0 = next(f for f in fields if f[0] == D1 and f[1] == 0)
    assert f0[2:6] == (sha("d1v1"), "acme", "invoice", "total_amount")
    assert float(f0[6]) == 12.5 and str(f0[7]) == "2025-02-01" and f0[8] == "EUR"
    assert f0[9] == pytest.approx(0.9)
    assert json.loads(f0[10]) == pytest.approx([0.1, 0.2, 0.3, 0.4])

    moderation = {(r[0], r[1]): r[2:] for r in query(
        "SELECT DOCUMENT_ID, CATEGORY, CONFIDENCE, DECISION, TENANT_ID FROM CURATED.FCT_MODERATION"
    )}  # fmt: skip
    assert len(moderation) == 8
    assert moderation[(D3, "toxicity")][0] == pytest.approx(0.97)
    assert moderation[(D3, "toxicity")][1:] == ("block", "globex")
    assert moderation[(D2, "profanity")][1] == "review"

    assert sorted(query("SELECT TENANT_ID FROM CURATED.DIM_TENANT")) == [("acme",), ("globex",)]
    assert sorted(query("SELECT DOCUMENT_TYPE, DISPLAY_NAME FROM CURATED.DIM_DOCUMENT_TYPE")) == [
        ("invoice", "Invoice"),
        ("receipt", "Receipt"),
    ]
    runs = query("SELECT DAG_ID, RUN_ID, STATUS, LISTED, DURATION_SECONDS, DETAILS FROM CURATED.FCT_PIPELINE_RUN")
    assert len(runs) == 1 and runs[0][:5] == ("docpipe_ingest", "run-1", "success", 5, 150)
    assert json.loads(runs[0][5]) == {"batches": [4]}


def test_rerun_leaves_curated_identical(wh_stack, first_load):
    pg, s3 = wh_stack
    before = curated_snapshot()
    raw_before = query("SELECT COUNT(*) FROM RAW.DOCUMENT_FIELDS")
    again = load_interval(pg, s3, BUCKET, I1_START, I1_END, RUN_ID)
    assert again.exported == first_load.exported and again.loaded == first_load.loaded
    assert again.reconciliation["ok"]
    assert curated_snapshot() == before
    assert query("SELECT COUNT(*) FROM RAW.DOCUMENT_FIELDS") == raw_before == [(7,)]
    # the merge alone, twice more, changes nothing either
    with snowflake_connection() as sf:
        merge_curated(sf, I1_START)
        merge_curated(sf, I1_START.isoformat())
    assert curated_snapshot() == before
    assert len(s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == len(EXPECTED_EXPORT)


def test_analytics_documents_by_tenant_and_type(first_load):
    with snowflake_connection() as sf:
        columns, rows = run_analytics_query(sf, "documents_by_tenant_and_type")
    assert columns == [
        "tenant_id", "document_type", "documents", "processed", "quarantined", "quarantine_rate", "pages",
        "fields", "mean_field_confidence",
    ]  # fmt: skip
    got = [(r[0], r[1], *(int(v) for v in r[2:5]), float(r[5]), int(r[6]), int(r[7]),
            None if r[8] is None else float(r[8])) for r in rows]  # fmt: skip
    assert got == [
        ("acme", "invoice", 1, 1, 0, 0.0, 2, 3, pytest.approx(0.8)),
        ("acme", "receipt", 1, 1, 0, 0.0, 1, 2, pytest.approx(0.9)),
        ("acme", "unknown", 1, 0, 1, 1.0, 0, 0, None),
        ("globex", "invoice", 1, 1, 0, 0.0, 3, 1, pytest.approx(0.5)),
        ("globex", "receipt", 1, 1, 0, 0.0, 1, 1, pytest.approx(0.6)),
    ]


def test_analytics_moderation(first_load):
    with snowflake_connection() as sf:
        columns, rows = run_analytics_query(sf, "moderation_decisions")
        cat_columns, cat_rows = run_analytics_query(sf, "moderation_categories")
    assert columns[:4] == ["tenant_id", "decision", "documents", "share_of_tenant"]
    got = {(r[0], r[1]): (int(r[2]), float(r[3]), float(r[4]), float(r[5])) for r in rows}
    assert got == {
        ("acme", "allow"): (1, 0.5, pytest.approx(0.1), pytest.approx(0.1)),
        ("acme", "review"): (1, 0.5, pytest.approx(0.6), pytest.approx(0.6)),
        ("globex", "allow"): (1, 0.5, pytest.approx(0.2), pytest.approx(0.2)),
        ("globex", "block"): (1, 0.5, pytest.approx(0.97), pytest.approx(0.97)),
    }
    assert cat_columns == ["category", "documents", "mean_confidence", "max_confidence", "in_review", "blocked"]
    cats = {r[0]: (int(r[1]), float(r[2]), float(r[3]), int(r[4]), int(r[5])) for r in cat_rows}
    assert cats == {
        "profanity": (4, pytest.approx(0.315, abs=1e-4), pytest.approx(0.9), 1, 1),
        "toxicity": (4, pytest.approx(0.4675, abs=1e-4), pytest.approx(0.97), 1, 1),
    }
    with snowflake_connection() as sf, pytest.raises(KeyError):
        run_analytics_query(sf, "../snowflake/0001_database")


def test_new_version_replaces_fields(wh_stack, first_load):
    pg, s3 = wh_stack
    v2 = sha("d1v2")
    updated = at(2, 5)
    with pg.transaction():
        pg.execute(
            "UPDATE docpipe.documents SET content_sha256 = %s, page_count = 4, updated_at = %s WHERE document_id = %s",
            (v2, updated, D1),
        )
        pg.execute("DELETE FROM docpipe.document_fields WHERE document_id = %s", (D1,))
        for ordinal, confidence in enumerate([0.99, 0.97]):
            _insert_field(pg, D1, ordinal, v2, confidence, updated)
        pg.execute(
            "UPDATE docpipe.moderation_results SET content_sha256 = %s, categories = %s, updated_at = %s "
            "WHERE document_id = %s",
            (v2, json.dumps({"toxicity": 0.02}), updated, D1),
        )
        # D7: only its moderation changes (the document row keeps its updated_at)
        pg.execute(
            "UPDATE docpipe.moderation_results SET categories = %s, updated_at = %s WHERE document_id = %s",
            (json.dumps({"toxicity": 0.25, "profanity": 0.02}), at(2, 6), D7),
        )
    summary = load_interval(pg, s3, BUCKET, I2_START, I2_END, "scheduled__2025-03-03T00:00:00+00:00")
    # D6 was updated exactly at I1_END = I2_START: it belongs to the second interval, with its tenant;
    # D7 comes along with its field because its moderation changed
    assert summary.exported == {
        "tenants": 3, "documents": 3, "document_fields": 4, "moderation_results": 2, "pipeline_runs": 0,
    }  # fmt: skip
    assert query("SELECT TENANT_ID, STATUS, IS_CURRENT FROM CURATED.FCT_DOCUMENT WHERE DOCUMENT_ID = %s", (D6,)) == [
        ("initech", "processed", True)
    ]
    assert summary.reconciliation["ok"], summary.reconciliation

    def d1_state():
        versions = query(
            "SELECT CONTENT_SHA256, IS_CURRENT, PAGE_COUNT, FIELD_COUNT FROM CURATED.FCT_DOCUMENT "
            "WHERE DOCUMENT_ID = %s ORDER BY PROCESSED_AT",
            (D1,),
        )
        fields = query(
            "SELECT ORDINAL, CONTENT_SHA256, CONFIDENCE FROM CURATED.FCT_DOCUMENT_FIELD WHERE DOCUMENT_ID = %s "
            "ORDER BY ORDINAL",
            (D1,),
        )
        moderation = query("SELECT CATEGORY, CONTENT_SHA256 FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s", (D1,))
        return versions, fields, moderation

    def d7_moderation():
        return sorted(query("SELECT CATEGORY, CONFIDENCE FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s", (D7,)))

    versions, fields, moderation = d1_state()
    assert [(v[0], v[1], v[2], v[3]) for v in versions] == [(sha("d1v1"), False, 2, 3), (v2, True, 4, 2)]
    assert [(f[0], f[1]) for f in fields] == [(0, v2), (1, v2)]  # ordinal 2 and the v1 rows are gone
    assert [f[2] for f in fields] == pytest.approx([0.99, 0.97])
    assert moderation == [("toxicity", v2)]
    assert query("SELECT COUNT(*) FROM CURATED.FCT_DOCUMENT_CURRENT WHERE DOCUMENT_ID = %s", (D1,)) == [(1,)]
    assert d7_moderation() == [("profanity", pytest.approx(0.02)), ("toxicity", pytest.approx(0.25))]
    d7_now = d7_moderation()
    state = curated_snapshot()

    # Re-merging the old interval from RAW (e.g. a cleared task) must not bring the v1 fields back ...
    with snowflake_connection() as sf:
        merge_curated(sf, I1_START)
    assert d1_state() == (versions, fields, moderation)
    assert d7_moderation() == d7_now
    assert curated_snapshot() == state
    # ... and neither does a full rerun (backfill) of the old interval, which no longer exports D1 or D7;
    # its reconciliation still holds although newer intervals were loaded since.
    rerun = load_interval(pg, s3, BUCKET, I1_START, I1_END, RUN_ID)
    assert rerun.exported["documents"] == 3 and rerun.reconciliation["ok"], rerun.reconciliation
    assert d1_state() == (versions, fields, moderation)
    assert d7_moderation() == d7_now
    assert curated_snapshot() == state


def test_steps_are_usable_separately(wh_stack, first_load):
    """The DAG runs each step as its own task, with a fresh connection and JSON between them."""
    pg, s3 = wh_stack
    exported = json.loads(json.dumps(export_changes(pg, s3, BUCKET, I2_START.isoformat(), I2_END.isoformat(), "r")))
    with snowflake_connection() as sf:
        loaded = copy_into_raw(sf, exported, I2_START.isoformat(), stage_url=stage_url_for(BUCKET))
    with snowflake_connection() as sf:
        merged = merge_curated(sf, I2_START)
    with snowflake_connection() as sf:
        rec = reconcile(pg, sf, I2_START, I2_END)
    assert loaded == {t: v["rows"] for t, v in exported.items()}
    assert merged["fct_document"] == 3 and rec["ok"]
    with pytest.raises(ValueError):
        export_changes(pg, s3, BUCKET, datetime(2025, 3, 2), I2_END, "r")  # naive boundary


def test_fakesnow_lock_is_released(wh_stack):
    with snowflake_connection():
        pass
    os.environ["DOCPIPE_FAKESNOW_LOCK_TIMEOUT"] = "0"
    try:
        with snowflake_connection() as sf:
            assert sf.cursor().execute("SELECT 1").fetchall() == [(1,)]
    finally:
        del os.environ["DOCPIPE_FAKESNOW_LOCK_TIMEOUT"]


def test_reconcile_flags_duplicate_keys(wh_stack, first_load):
    pg, _ = wh_stack
    with snowflake_connection() as sf:
        cur = sf.cursor()
        cur.execute(
            "INSERT INTO CURATED.FCT_MODERATION SELECT * FROM CURATED.FCT_MODERATION "
            "WHERE DOCUMENT_ID = %s AND CATEGORY = 'toxicity'",
            (D3,),
        )
        try:
            result = reconcile(pg, sf, I1_START, I1_END)
        finally:
            cur.execute("DELETE FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s", (D3,))
            merge_curated(sf, I1_START)  # puts D3's rows back, once
        assert not result["ok"]
        assert result["tables"]["fct_moderation"]["duplicate_keys"] == 1
        assert reconcile(pg, sf, I1_START, I1_END)["ok"]
