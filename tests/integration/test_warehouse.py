"""Warehouse load end to end on the local stack: Postgres -> moto S3 -> fakesnow RAW -> STAGING -> CURATED.

A hand-made dataset with known answers, in a Postgres database, a staging bucket and fakesnow files of
this module's own (the session's moto server serves the bucket). The tests run in file order and share
state: first load, rerun, COPY retries, analytics and quality checks on that state, then new versions,
late commits and a document reprocessed days later, and finally broken states that must be caught.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from docpipe.models import document_id_for

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::UserWarning")]

RUN_ID = "scheduled__2025-03-02T00:00:00+00:00"
I1_START, I1_END = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC)
I2_START, I2_END = I1_END, datetime(2025, 3, 3, tzinfo=UTC)
I3_START, I3_END = I2_END, datetime(2025, 3, 4, tzinfo=UTC)
# the extraction schemas the merges see, pinned so that completeness has known answers
SCHEMAS = {"invoice": ["invoice_id", "supplier_name", "total_amount"], "receipt": ["supplier_name", "total_amount"],
           "form": ["form_field"], "other": []}  # fmt: skip


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def doc_id(tenant: str, key: str) -> str:
    return document_id_for(tenant, f"{tenant}-uploads", key)


D1, D2, D3 = doc_id("acme", "in/1.pdf"), doc_id("acme", "in/2.jpg"), doc_id("globex", "in/3.pdf")
D4, D5, D6 = doc_id("acme", "in/4.bin"), doc_id("globex", "in/5.pdf"), doc_id("initech", "in/6.pdf")
D7, D8 = doc_id("globex", "in/7.jpg"), doc_id("acme", "in/8.pdf")

# (id, tenant, key, sha, status, type, pages, decision, updated_at)
DOCS = [
    # exactly at the interval start: included (half-open interval)
    (D1, "acme", "in/1.pdf", sha("d1v1"), "processed", "invoice", 2, "allow", I1_START),
    (D2, "acme", "in/2.jpg", sha("d2"), "processed", "receipt", 1, "review", at(1, 10)),
    (D3, "globex", "in/3.pdf", sha("d3"), "processed", "invoice", 3, "block", at(1, 23, 59)),
    (D4, "acme", "in/4.bin", None, "quarantined", None, None, None, at(1, 12)),
    # before the interval and its one-hour lookback
    (D5, "globex", "in/5.pdf", sha("d5"), "processed", "receipt", 1, "allow", I1_START - timedelta(hours=3)),
    # exactly at the interval end: excluded
    (D6, "initech", "in/6.pdf", sha("d6"), "processed", "invoice", 1, "allow", I1_END),
    # the document row changed before the interval, but its moderation result inside it
    (D7, "globex", "in/7.jpg", sha("d7"), "processed", "receipt", 1, "allow", at(1, 0) - timedelta(days=2)),
]
FIELDS = {D1: [0.9, 0.8, 0.7], D2: [0.95, 0.85], D3: [0.5], D5: [0.4], D6: [0.3], D7: [0.6]}
MODERATION = {  # id: (decision, categories, pii_count, updated_at)
    D1: ("allow", {"toxicity": 0.1, "profanity": 0.05}, 0, I1_START),
    D2: ("review", {"toxicity": 0.6, "profanity": 0.3}, 2, at(1, 10)),
    D3: ("block", {"toxicity": 0.97, "profanity": 0.9}, 0, at(1, 23, 59)),
    D5: ("allow", {"toxicity": 0.0, "profanity": 0.0}, 0, at(1, 0) - timedelta(hours=3)),
    D7: ("allow", {"toxicity": 0.2, "profanity": 0.01}, 1, at(1, 6)),
}
# document_ingest runs: (run_id, interval hour, status, finished minutes after the interval end, details)
RUNS = [
    ("scheduled__2025-03-01T22:00:00+00:00", at(1, 21), "success", 20, {}),  # on time
    ("scheduled__2025-03-01T23:00:00+00:00", at(1, 22), "success", 50, {}),  # 50 min > 45 min target
    ("manual__2025-03-01T12:00:00+00:00", at(1, 10), "success", 65, {}),  # manual: no SLA
    ("scheduled__2025-03-01T09:00:00+00:00", at(1, 8), "failed", 10, {}),  # failed: SLA missed
    # quick, but the alerting recorded a missed deadline: the recorded outcome wins
    ("scheduled__2025-03-01T05:00:00+00:00", at(1, 4), "success", 10,
     {"deadline": {"at": "2025-03-01T05:45:00+00:00", "missed": True}}),
]  # fmt: skip
EXPECTED_EXPORT = {
    "tenants": 2,  # acme (changed), globex (referenced by changed documents); not initech
    "documents": 5,  # D1 D2 D3 D4 D7
    "document_fields": 7,
    "moderation_results": 4,
    "pipeline_runs": 5,
}


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def wh(stack, tmp_path_factory):
    """(pg connection, s3 client, bucket): a database, a staging bucket and fakesnow files of our own."""
    from docpipe.localstack.postgres import drop_database, ensure_database
    from docpipe.storage import migrations
    from docpipe.warehouse import apply_ddl, snowflake_connection, stage_url_for

    suffix = uuid.uuid4().hex[:8]
    db, bucket = f"docpipe_test_wh_{suffix}", f"docpipe-wh-{suffix}"
    ensure_database(stack.pg, db)
    migrations.upgrade(stack.pg.dsn(db))
    s3 = stack.s3()
    s3.create_bucket(Bucket=bucket)
    pg = psycopg.connect(stack.pg.dsn(db), autocommit=True)
    _seed(pg)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCPIPE_FAKESNOW_PATH", str(tmp_path_factory.mktemp("fakesnow")))
        mp.setattr("docpipe.warehouse.load._document_type_schemas", lambda: SCHEMAS)
        mp.setenv("DOCPIPE_DEADLINE_INGEST_MINUTES", "45")
        with snowflake_connection() as sf:
            apply_ddl(sf, stage_url=stage_url_for(bucket))
        try:
            yield pg, s3, bucket
        finally:
            pg.close()
            drop_database(stack.pg, db)


def _seed(conn) -> None:
    before = I1_START - timedelta(days=10)
    for tenant, updated in (("acme", at(1, 8)), ("globex", before), ("initech", before)):
        conn.execute("INSERT INTO docpipe.tenants (tenant_id, created_at, updated_at) VALUES (%s, %s, %s)",
                     (tenant, before, updated))  # fmt: skip
    for doc in DOCS:
        _insert_document(conn, *doc)
        for ordinal, confidence in enumerate(FIELDS.get(doc[0], [])):
            _insert_field(conn, doc[0], ordinal, doc[3], confidence, doc[8], "fs-abc" if ordinal == 0 else None)
    for did, (decision, categories, pii, updated) in MODERATION.items():
        digest = next(d[3] for d in DOCS if d[0] == did)
        _insert_moderation(conn, did, digest, decision, categories, pii, updated)
    runs = [("run-0", before - timedelta(hours=1), "success", 5, {})] + RUNS
    for run, hour, status, late, details in runs:
        end = hour + timedelta(hours=1)
        finished = end + timedelta(minutes=late)
        conn.execute(
            """INSERT INTO docpipe.pipeline_runs (run_id, dag_id, interval_start, interval_end, listed, processed,
                   quarantined, unchanged, batches, pages, ocr_pages, details, status, started_at, finished_at,
                   updated_at)
               VALUES (%s, 'document_ingest', %s, %s, 5, %s, 1, 0, 1, 7, 0, %s, %s, %s, %s, %s)""",
            (run, hour, end, 4 if status == "success" else 2, json.dumps({"batches": [4], **details}), status,
             end + timedelta(minutes=1), finished, finished),
        )  # fmt: skip


def _insert_document(conn, did, tenant, key, digest, status, dtype, pages, decision, updated,
                     engine_version="1.0") -> None:  # fmt: skip
    conn.execute(
        """INSERT INTO docpipe.documents (document_id, tenant_id, bucket, object_key, content_sha256, s3_etag,
               size_bytes, uploaded_at, source_hour, status, document_type, type_confidence, page_count,
               ocr_page_count, engine, engine_version, moderation_decision, extract_ms, moderate_ms,
               result_uri, run_id, created_at, updated_at)
           VALUES (%s, %s, %s, %s, %s, 'etag', 1000, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, 120, 15,
               %s, 'run-1', %s, %s)""",
        (
            did, tenant, f"{tenant}-uploads", key, digest, updated - timedelta(minutes=5),
            (updated - timedelta(minutes=5)).replace(minute=0, second=0), status, dtype,
            0.9 if dtype else None, pages, "tesseract" if dtype else None, engine_version if dtype else None,
            decision, f"s3://results/{did}.json" if dtype else None, updated - timedelta(minutes=5), updated,
        ),
    )  # fmt: skip


def _insert_field(conn, did: str, ordinal: int, digest: str, confidence: float, updated: datetime,
                  extractor: str | None = None) -> None:  # fmt: skip
    conn.execute(
        """INSERT INTO docpipe.document_fields (document_id, ordinal, content_sha256, field_type, mention_text,
               value_text, value_number, value_date, currency, confidence, page, bbox, extractor, updated_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s)""",
        (
            did, ordinal, digest, "total_amount" if ordinal == 0 else "supplier_name", f"text {ordinal}",
            None if ordinal == 0 else f"value {ordinal}", 12.5 if ordinal == 0 else None,
            date(2025, 2, 1) if ordinal == 0 else None, "EUR" if ordinal == 0 else None, confidence,
            [0.1, 0.2, 0.3, 0.4], extractor, updated,
        ),
    )  # fmt: skip


def _insert_moderation(conn, did, digest, decision, categories, pii, updated) -> None:
    conn.execute(
        """INSERT INTO docpipe.moderation_results (document_id, content_sha256, decision, categories, reasons,
               pii_count, engine, engine_version, updated_at)
           VALUES (%s, %s, %s, %s, %s, %s, 'profanity-check', '1.9', %s)""",
        (did, digest, decision, json.dumps(categories), ["x"] if decision != "allow" else [], pii, updated),
    )


@pytest.fixture(scope="module")
def first_load(wh):
    from docpipe.warehouse import load_interval

    pg, s3, bucket = wh
    return load_interval(pg, s3, bucket, I1_START, I1_END, RUN_ID, rows_per_file=2)


def query(sql: str, params=None) -> list[tuple]:
    from docpipe.warehouse import snowflake_connection

    with snowflake_connection() as sf:
        cur = sf.cursor()
        cur.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]


def curated_snapshot() -> dict[str, list[tuple]]:
    from docpipe.warehouse import CURATED_TABLES, snowflake_connection

    with snowflake_connection() as sf:
        cur = sf.cursor()
        return {
            t.name: sorted((tuple(r) for r in cur.execute(f"SELECT * FROM {t.qualified}").fetchall()), key=repr)
            for t in CURATED_TABLES
            if t.name != "DIM_DATE"
        }


def staged_keys(s3, bucket) -> list[str]:
    return sorted(o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                  for o in p.get("Contents", []))  # fmt: skip


def analytics(name: str) -> tuple[list[str], list[tuple]]:
    from docpipe.warehouse import run_analytics_query, snowflake_connection

    with snowflake_connection() as sf:
        return run_analytics_query(sf, name)


def num(v):
    return None if v is None else float(v)


# --------------------------------------------------------------------------------------------- tests


def test_ddl_is_idempotent_and_adds_missing_columns(wh):
    from docpipe.warehouse import apply_ddl, snowflake_connection, stage_url_for

    _, _, bucket = wh
    # a warehouse deployed before a column existed gets it on the next deploy (before the views need it)
    query("ALTER TABLE CURATED.FCT_DOCUMENT DROP COLUMN MISSING_FIELDS")
    with snowflake_connection() as sf:
        applied = apply_ddl(sf, stage_url=stage_url_for(bucket))
    assert applied[0] == "0001_database.sql" and "0040_stage.sql" in applied
    columns = {
        r[0] for r in query("SELECT column_name FROM information_schema.columns WHERE table_name = 'FCT_DOCUMENT'")
    }
    assert "MISSING_FIELDS" in columns
    schemas = query("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN "
                    "('RAW', 'CURATED') AND table_type = 'BASE TABLE'")  # fmt: skip
    assert {n for s, n in schemas if s == "CURATED"} == {
        "DIM_DATE", "DIM_TENANT", "DIM_DOCUMENT_TYPE", "FCT_DOCUMENT", "FCT_DOCUMENT_FIELD", "FCT_MODERATION",
        "FCT_PIPELINE_RUN",
    }  # fmt: skip
    views = query("SELECT table_schema, table_name FROM information_schema.views WHERE table_schema IN "
                  "('STAGING', 'CURATED')")  # fmt: skip
    assert {n for s, n in views if s == "STAGING"} == {
        "STG_TENANTS", "STG_DOCUMENTS", "STG_DOCUMENT_FIELDS", "STG_MODERATION_RESULTS", "STG_MODERATION_CATEGORIES",
        "STG_PIPELINE_RUNS",
    }  # fmt: skip
    assert {n for s, n in views if s == "CURATED"} == {
        "FCT_DOCUMENT_CURRENT", "DIM_DOCUMENT_TYPE_FIELD", "DOCUMENT_QUALITY_DAILY", "MODERATION_DAILY",
        "FIELD_QUALITY", "PIPELINE_SLA_DAILY",
    }  # fmt: skip
    # the calendar: 10,000 days, ISO weeks starting on Monday
    assert query("SELECT COUNT(*), MIN(DATE_DAY), MAX(DATE_DAY) FROM CURATED.DIM_DATE") == [
        (10_000, date(2020, 1, 1), date(2047, 5, 18))
    ]
    row = query("SELECT DAY_OF_WEEK_ISO, DAY_NAME, MONTH_NAME, ISO_WEEK, WEEK_START, MONTH_START, IS_WEEKEND "
                "FROM CURATED.DIM_DATE WHERE DATE_DAY = '2025-03-02'")  # fmt: skip
    assert [(int(r[0]), r[1], r[2], int(r[3]), *r[4:]) for r in row] == [
        (7, "Sun", "Mar", 9, date(2025, 2, 24), date(2025, 3, 1), True)
    ]


def test_first_load_counts_files_and_reconciliation(wh, first_load):
    _, s3, bucket = wh
    assert first_load.exported == EXPECTED_EXPORT
    assert first_load.loaded == EXPECTED_EXPORT
    # at most two rows per file
    assert first_load.files == {t: -(-n // 2) for t, n in EXPECTED_EXPORT.items()}
    assert first_load.merged["fct_document"] == 5
    assert first_load.merged["fct_document_field"] == 7
    assert first_load.merged["fct_moderation"] == 8
    assert first_load.merged["dim_tenant"] == 2
    rec = first_load.reconciliation
    assert rec["ok"], rec
    assert {t: (v["source"], v["target"]) for t, v in rec["tables"].items()} == {
        "fct_document": (5, 5), "fct_document_field": (7, 7), "fct_moderation": (8, 8), "fct_pipeline_run": (5, 5),
        "dim_tenant": (2, 2),
    }  # fmt: skip
    assert first_load.ok
    keys = staged_keys(s3, bucket)
    assert len(keys) == sum(first_load.files.values())
    assert all(k.startswith("warehouse/") and "/interval=20250301T000000Z/run=scheduled__2025-03-02T00-00-00-00-00/"
               "export=" in k and k.endswith(".parquet") for k in keys)  # fmt: skip
    assert sorted(k.rsplit("/", 1)[1] for k in keys if k.startswith("warehouse/documents/")) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]


def test_first_load_curated_values(first_load):
    docs = {
        r[0]: r[1:]
        for r in query(
            "SELECT DOCUMENT_ID, CONTENT_SHA256, TENANT_ID, DOCUMENT_TYPE, STATUS, PAGE_COUNT, FIELD_COUNT, "
            "MEAN_FIELD_CONFIDENCE, MODERATION_DECISION, PII_COUNT, IS_CURRENT, PROCESSED_AT, UPLOADED_AT, "
            "SOURCE_HOUR, EXTRACT_MS, ENGINE, EXPECTED_FIELD_COUNT, EXPECTED_FIELDS_FOUND, FIELD_COMPLETENESS, "
            "MISSING_FIELDS, MODERATION_TOP_CATEGORY, MODERATION_TOP_CONFIDENCE, MODERATION_CATEGORIES, "
            "UPLOADED_DATE, PROCESSED_DATE FROM CURATED.FCT_DOCUMENT"
        )
    }
    assert set(docs) == {D1, D2, D3, D4, D7}
    d1 = docs[D1]
    assert d1[:6] == (sha("d1v1"), "acme", "invoice", "processed", 2, 3)
    assert float(d1[6]) == pytest.approx(0.8)
    assert d1[7:10] == ("allow", 0, True)
    assert d1[10] == I1_START and d1[11] == I1_START - timedelta(minutes=5)
    assert d1[12] == datetime(2025, 2, 28, 23, tzinfo=UTC) and d1[13] == 120 and d1[14] == "tesseract"
    # completeness against the pinned schema: invoice expects invoice_id, supplier_name, total_amount
    assert (d1[15], d1[16], float(d1[17]), json.loads(d1[18])) == (3, 2, pytest.approx(0.6667), ["invoice_id"])
    assert (d1[19], d1[20], json.loads(d1[21])) == (
        "toxicity",
        pytest.approx(0.1),
        {"toxicity": 0.1, "profanity": 0.05},
    )
    assert (d1[22], d1[23]) == (date(2025, 2, 28), date(2025, 3, 1))
    d2, d3, d4, d7 = docs[D2], docs[D3], docs[D4], docs[D7]
    assert float(d2[6]) == pytest.approx(0.9) and d2[8] == 2
    assert (d2[15], d2[16], float(d2[17]), json.loads(d2[18])) == (2, 2, 1.0, [])
    assert (float(d3[17]), json.loads(d3[18])) == (pytest.approx(0.3333), ["invoice_id", "supplier_name"])
    assert d3[19:21] == ("toxicity", pytest.approx(0.97))
    assert d4[0] is None and d4[2] is None and d4[3] == "quarantined" and d4[5] == 0 and d4[6] is None
    assert d4[15:19] == (None, None, None, None) and d4[19] is None
    assert docs[D7][5] == 1 and docs[D7][8] == 1  # exported because its moderation changed
    assert (float(d7[17]), json.loads(d7[18]), d7[23]) == (0.5, ["supplier_name"], date(2025, 2, 27))

    fields = query(
        "SELECT DOCUMENT_ID, ORDINAL, CONTENT_SHA256, TENANT_ID, DOCUMENT_TYPE, FIELD_TYPE, VALUE_NUMBER, "
        "VALUE_DATE, CURRENCY, CONFIDENCE, BBOX, NORMALIZED_VALUE, IS_EXPECTED, PROCESSED_DATE, EXTRACTOR "
        "FROM CURATED.FCT_DOCUMENT_FIELD ORDER BY DOCUMENT_ID, ORDINAL"
    )
    assert len(fields) == 7
    f0 = next(f for f in fields if f[0] == D1 and f[1] == 0)
    assert f0[2:6] == (sha("d1v1"), "acme", "invoice", "total_amount")
    assert float(f0[6]) == 12.5 and f0[7] == date(2025, 2, 1) and f0[8] == "EUR"
    assert f0[9] == 0.9  # exactly: real upstream, read back as the 4 decimals it was written with
    assert json.loads(f0[10]) == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert json.loads(f0[11]) == {"number": 12.5, "date": "2025-02-01", "currency": "EUR"}
    assert f0[12] is True and f0[13] == date(2025, 3, 1)
    f1 = next(f for f in fields if f[0] == D1 and f[1] == 1)
    assert json.loads(f1[11]) == {"text": "value 1"}
    assert (f0[14], f1[14]) == ("fs-abc", None)  # the extractor, NULL when the engine does not say

    moderation = {(r[0], r[1]): r[2:] for r in query(
        "SELECT DOCUMENT_ID, CATEGORY, CONFIDENCE, DECISION, TENANT_ID, CATEGORY_RANK, MODERATED_DATE "
        "FROM CURATED.FCT_MODERATION"
    )}  # fmt: skip
    assert len(moderation) == 8
    assert moderation[(D3, "toxicity")] == (pytest.approx(0.97), "block", "globex", 1, date(2025, 3, 1))
    assert moderation[(D3, "profanity")][3] == 2
    assert moderation[(D2, "profanity")][1] == "review"

    assert sorted(query("SELECT TENANT_ID FROM CURATED.DIM_TENANT")) == [("acme",), ("globex",)]
    types = query("SELECT DOCUMENT_TYPE, DISPLAY_NAME, EXPECTED_FIELDS, EXPECTED_FIELD_COUNT, FIRST_SEEN_AT "
                  "FROM CURATED.DIM_DOCUMENT_TYPE ORDER BY 1")  # fmt: skip
    assert [(t[0], t[1], json.loads(t[2]), t[3], t[4] is not None) for t in types] == [
        ("form", "Form", ["form_field"], 1, False),
        ("invoice", "Invoice", ["invoice_id", "supplier_name", "total_amount"], 3, True),
        ("other", "Other", [], 0, False),
        ("receipt", "Receipt", ["supplier_name", "total_amount"], 2, True),
    ]


def test_pipeline_runs_carry_durations_and_sla(first_load):
    runs = {r[0]: r[1:] for r in query(
        "SELECT RUN_ID, RUN_TYPE, STATUS, DURATION_SECONDS, LATENCY_SECONDS, SLA_TARGET_SECONDS, DEADLINE_MISSED, "
        "SLA_MET, INTERVAL_DATE, DETAILS FROM CURATED.FCT_PIPELINE_RUN"
    )}  # fmt: skip
    assert {k: v[:8] for k, v in runs.items()} == {
        "scheduled__2025-03-01T22:00:00+00:00": ("scheduled", "success", 19 * 60, 20 * 60, 2700, None, True,
                                                 date(2025, 3, 1)),
        "scheduled__2025-03-01T23:00:00+00:00": ("scheduled", "success", 49 * 60, 50 * 60, 2700, None, False,
                                                 date(2025, 3, 1)),
        "manual__2025-03-01T12:00:00+00:00": ("manual", "success", 64 * 60, 65 * 60, 2700, None, None,
                                              date(2025, 3, 1)),
        "scheduled__2025-03-01T09:00:00+00:00": ("scheduled", "failed", 9 * 60, 10 * 60, 2700, None, False,
                                                 date(2025, 3, 1)),
        "scheduled__2025-03-01T05:00:00+00:00": ("scheduled", "success", 9 * 60, 10 * 60, 2700, True, False,
                                                 date(2025, 3, 1)),
    }  # fmt: skip
    assert json.loads(runs["scheduled__2025-03-01T05:00:00+00:00"][8])["deadline"]["missed"] is True


def test_rerun_leaves_curated_identical(wh, first_load):
    from docpipe.warehouse import load_interval, merge_curated, snowflake_connection

    pg, s3, bucket = wh
    before = curated_snapshot()
    raw_before = query("SELECT _EXPORT_ID, COUNT(*) FROM RAW.DOCUMENT_FIELDS GROUP BY 1")
    again = load_interval(pg, s3, bucket, I1_START, I1_END, RUN_ID)  # default file size: one file per table
    assert again.exported == first_load.exported and again.loaded == first_load.loaded
    assert again.reconciliation["ok"]
    assert curated_snapshot() == before
    # RAW holds the new export only; the stage holds only its files
    raw_after = query("SELECT _EXPORT_ID, COUNT(*) FROM RAW.DOCUMENT_FIELDS GROUP BY 1")
    assert [n for _, n in raw_after] == [n for _, n in raw_before] == [7] and raw_after != raw_before
    assert len(staged_keys(s3, bucket)) == len(EXPECTED_EXPORT) == sum(again.files.values())
    # the merge alone, twice more, changes nothing either
    with snowflake_connection() as sf:
        merge_curated(sf, I1_START)
        merge_curated(sf, I1_START.isoformat())
    assert curated_snapshot() == before


def test_copy_retries_never_load_a_file_twice(wh, first_load):
    """A retried copy task finds its export in RAW and copies nothing; if the rows are gone while load
    history still lists the files (the case FORCE exists for), it reloads them, once."""
    from docpipe.warehouse import copy_into_raw, ensure_stage, export_changes, snowflake_connection, stage_url_for
    from docpipe.warehouse.load import copy_statement
    from docpipe.warehouse.sqlfiles import execute_statement

    pg, s3, bucket = wh
    exported = json.loads(json.dumps(export_changes(pg, s3, bucket, I1_START, I1_END, RUN_ID, rows_per_file=3)))
    counts = "SELECT COUNT(*) FROM RAW.DOCUMENT_FIELDS WHERE _INTERVAL_START = %s"
    for _ in range(2):
        with snowflake_connection() as sf:
            assert copy_into_raw(sf, exported, I1_START, stage_url=stage_url_for(bucket)) == EXPECTED_EXPORT
        assert query(counts, (I1_START.isoformat(),)) == [(7,)]
    # load history says loaded (same process, same DuckDB file), the rows are gone
    query("DELETE FROM RAW.DOCUMENT_FIELDS WHERE _INTERVAL_START = %s", (I1_START.isoformat(),))
    with snowflake_connection() as sf:
        ensure_stage(sf, stage_url_for(bucket))
        _, result = execute_statement(sf, copy_statement(exported["document_fields"]["stage_path"], "document_fields"))
    assert {str(r[1]) for r in result} == {"LOAD_SKIPPED"}  # load history at work: nothing loaded twice
    with snowflake_connection() as sf:
        assert copy_into_raw(sf, exported, I1_START)["document_fields"] == 7
    assert query(counts, (I1_START.isoformat(),)) == [(7,)]


def test_analytics_volume_and_quality_by_tenant_and_type(first_load):
    columns, rows = analytics("documents_by_tenant_and_type")
    assert columns == [
        "tenant_id", "document_type", "documents", "processed", "quarantined", "quarantine_rate", "pages",
        "ocr_page_share", "fields", "mean_field_confidence", "mean_field_completeness", "complete_documents",
    ]  # fmt: skip
    got = [(r[0], r[1], *(int(v) for v in r[2:5]), num(r[5]), int(r[6]), num(r[7]), int(r[8]), num(r[9]), num(r[10]),
            int(r[11])) for r in rows]  # fmt: skip
    assert got == [
        ("acme", "invoice", 1, 1, 0, 0.0, 2, 0.0, 3, pytest.approx(0.8), pytest.approx(0.6667), 0),
        ("acme", "receipt", 1, 1, 0, 0.0, 1, 0.0, 2, pytest.approx(0.9), 1.0, 1),
        ("acme", "unknown", 1, 0, 1, 1.0, 0, None, 0, None, None, 0),
        ("globex", "invoice", 1, 1, 0, 0.0, 3, 0.0, 1, pytest.approx(0.5), pytest.approx(0.3333), 0),
        ("globex", "receipt", 1, 1, 0, 0.0, 1, 0.0, 1, pytest.approx(0.6), 0.5, 0),
    ]
    columns, rows = analytics("missing_fields")
    assert [(r[0], r[1], int(r[2]), num(r[3])) for r in rows] == [
        ("invoice", "invoice_id", 2, 1.0),
        ("invoice", "supplier_name", 1, 0.5),
        ("receipt", "supplier_name", 1, 0.5),
    ]


def test_analytics_moderation(first_load):
    columns, rows = analytics("moderation_decisions")
    assert columns[:4] == ["tenant_id", "decision", "documents", "share_of_tenant"]
    got = {(r[0], r[1]): (int(r[2]), float(r[3]), float(r[4]), float(r[5])) for r in rows}
    assert got == {
        ("acme", "allow"): (1, 0.5, pytest.approx(0.1), pytest.approx(0.1)),
        ("acme", "review"): (1, 0.5, pytest.approx(0.6), pytest.approx(0.6)),
        ("globex", "allow"): (1, 0.5, pytest.approx(0.2), pytest.approx(0.2)),
        ("globex", "block"): (1, 0.5, pytest.approx(0.97), pytest.approx(0.97)),
    }
    cat_columns, cat_rows = analytics("moderation_categories")
    assert cat_columns == ["category", "documents", "mean_confidence", "max_confidence", "in_review", "blocked"]
    cats = {r[0]: (int(r[1]), float(r[2]), float(r[3]), int(r[4]), int(r[5])) for r in cat_rows}
    assert cats == {
        "profanity": (4, pytest.approx(0.315, abs=1e-4), pytest.approx(0.9), 1, 1),
        "toxicity": (4, pytest.approx(0.4675, abs=1e-4), pytest.approx(0.97), 1, 1),
    }
    # the trend: one ISO week (2025-03-01 is a Saturday), flagged = confidence >= 0.5
    columns, rows = analytics("moderation_trend")
    assert columns == ["week_start", "category", "documents", "flagged", "flag_rate", "flag_rate_change",
                       "max_confidence", "in_review", "blocked"]  # fmt: skip
    assert [(r[0], r[1], int(r[2]), int(r[3]), num(r[4]), r[5], num(r[6]), int(r[7]), int(r[8])) for r in rows] == [
        (date(2025, 2, 24), "profanity", 4, 1, 0.25, None, 0.9, 1, 1),
        (date(2025, 2, 24), "toxicity", 4, 2, 0.5, None, 0.97, 1, 1),
    ]
    with pytest.raises(KeyError):
        analytics("../snowflake/0001_database")


def test_analytics_extraction_confidence_distribution(first_load):
    columns, rows = analytics("extraction_confidence_distribution")
    assert columns == ["field_type", "confidence_from", "fields", "share", "cumulative_share"]
    assert [(r[0], num(r[1]), int(r[2]), num(r[3]), num(r[4])) for r in rows] == [
        ("supplier_name", 0.7, 1, pytest.approx(0.3333), pytest.approx(0.3333)),
        ("supplier_name", 0.8, 2, pytest.approx(0.6667), 1.0),
        ("total_amount", 0.5, 1, 0.25, 0.25),
        ("total_amount", 0.6, 1, 0.25, 0.5),
        ("total_amount", 0.9, 2, 0.5, 1.0),
    ]


def test_analytics_sla_attainment(first_load):
    columns, rows = analytics("sla_attainment")
    assert columns == ["dag_id", "week_start", "runs", "measured_runs", "met", "missed", "attainment", "failed_runs",
                       "median_latency_seconds", "max_latency_seconds"]  # fmt: skip
    # scheduled runs: on time (met), 50 min late, failed, deadline recorded as missed; the manual run is not measured
    assert [(r[0], r[1], *(int(v) for v in r[2:6]), num(r[6]), int(r[7]), num(r[8]), int(r[9])) for r in rows] == [
        ("document_ingest", date(2025, 2, 24), 5, 4, 1, 3, 0.25, 1, 900.0, 3000),
    ]


def test_views_answer_the_common_questions(first_load):
    quality = query("SELECT PROCESSED_DATE, TENANT_ID, DOCUMENT_TYPE, DOCUMENTS, QUARANTINED, MEAN_FIELD_COMPLETENESS "
                    "FROM CURATED.DOCUMENT_QUALITY_DAILY ORDER BY 1, 2, 3")  # fmt: skip
    assert [(r[0], r[1], r[2], int(r[3]), int(r[4]), num(r[5])) for r in quality] == [
        (date(2025, 2, 27), "globex", "receipt", 1, 0, 0.5),
        (date(2025, 3, 1), "acme", "invoice", 1, 0, pytest.approx(0.6667)),
        (date(2025, 3, 1), "acme", "receipt", 1, 0, 1.0),
        (date(2025, 3, 1), "acme", "unknown", 1, 1, None),
        (date(2025, 3, 1), "globex", "invoice", 1, 0, pytest.approx(0.3333)),
    ]
    fields = query("SELECT DOCUMENT_TYPE, FIELD_TYPE, IS_EXPECTED, DOCUMENTS, DOCUMENTS_WITH_FIELD, FOUND_RATE "
                   "FROM CURATED.FIELD_QUALITY ORDER BY 1, 2")  # fmt: skip
    assert [(r[0], r[1], r[2], int(r[3]), int(r[4]), num(r[5])) for r in fields] == [
        ("form", "form_field", True, 0, 0, None),
        ("invoice", "invoice_id", True, 2, 0, 0.0),
        ("invoice", "supplier_name", True, 2, 1, 0.5),
        ("invoice", "total_amount", True, 2, 2, 1.0),
        ("receipt", "supplier_name", True, 2, 1, 0.5),
        ("receipt", "total_amount", True, 2, 2, 1.0),
    ]
    sla = query("SELECT INTERVAL_DATE, DAG_ID, RUNS, SLA_MEASURED_RUNS, SLA_MET_RUNS, SLA_ATTAINMENT "
                "FROM CURATED.PIPELINE_SLA_DAILY")  # fmt: skip
    assert [(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), num(r[5])) for r in sla] == [
        (date(2025, 3, 1), "document_ingest", 5, 4, 1, 0.25)
    ]
    mod = query("SELECT MODERATED_DATE, TENANT_ID, CATEGORY, DOCUMENTS, FLAGGED, TOP_CATEGORY "
                "FROM CURATED.MODERATION_DAILY WHERE CATEGORY = 'toxicity' ORDER BY 2")  # fmt: skip
    assert [(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in mod] == [
        (date(2025, 3, 1), "acme", "toxicity", 2, 1, 1),
        (date(2025, 3, 1), "globex", "toxicity", 2, 1, 1),
    ]
    assert query("SELECT COUNT(*), COUNT(DISTINCT DOCUMENT_ID) FROM CURATED.FCT_DOCUMENT_CURRENT") == [(5, 5)]


def test_unique_keys_and_quality_checks_hold(first_load):
    from docpipe.warehouse import CURATED_TABLES, run_checks, snowflake_connection
    from docpipe.warehouse.model import duplicate_keys_sql, failed_checks

    for table in CURATED_TABLES:
        assert query(duplicate_keys_sql(table)) == [], table.name
    with snowflake_connection() as sf:
        results = run_checks(sf)
    assert failed_checks(results) == []
    assert set(results) == {t.name for t in CURATED_TABLES}


def test_check_operator_reaches_the_stand_in(first_load):
    """common-sql's SQLTableCheckOperator, through WarehouseHook, against fakesnow: passes, then fails on a
    duplicate key without retrying."""
    from airflow.sdk.exceptions import AirflowFailException

    from docpipe.warehouse.model import TABLES_BY_NAME, table_checks
    from operators.warehouse import WarehouseTableCheckOperator

    table = TABLES_BY_NAME["FCT_MODERATION"]
    op = WarehouseTableCheckOperator(task_id="check", table=table.qualified, checks=table_checks(table),
                                     conn_id="snowflake_default")  # fmt: skip
    op.execute(context={})
    assert all(c["success"] for c in op.checks.values())
    query("INSERT INTO CURATED.FCT_MODERATION SELECT * FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s "
          "AND CATEGORY = 'toxicity'", (D3,))  # fmt: skip
    try:
        op = WarehouseTableCheckOperator(task_id="check", table=table.qualified, checks=table_checks(table))
        with pytest.raises(AirflowFailException, match="key_is_unique"):
            op.execute(context={})
    finally:
        query("DELETE FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s", (D3,))
        from docpipe.warehouse import merge_curated, snowflake_connection

        with snowflake_connection() as sf:
            merge_curated(sf, I1_START)  # puts D3's rows back, once
    assert query("SELECT COUNT(*) FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s", (D3,)) == [(2,)]


def test_new_versions_and_late_commits_reach_the_next_night(wh, first_load):
    """Night 2, run as the DAG runs it (one connection per step, JSON between steps): D1 has a new version,
    D7 only new moderation, D6 was updated exactly at the boundary, and D8 was committed after night 1's
    export with a timestamp inside night 1 (a long transaction): the lookback brings it in."""
    from docpipe.warehouse import (
        copy_into_raw,
        export_changes,
        merge_curated,
        reconcile,
        snowflake_connection,
        stage_url_for,
    )

    pg, s3, bucket = wh
    v2 = sha("d1v2")
    updated = at(2, 5)
    with pg.transaction():
        pg.execute("UPDATE docpipe.documents SET content_sha256 = %s, page_count = 4, updated_at = %s "
                   "WHERE document_id = %s", (v2, updated, D1))  # fmt: skip
        pg.execute("DELETE FROM docpipe.document_fields WHERE document_id = %s", (D1,))
        for ordinal, confidence in enumerate([0.99, 0.97]):
            _insert_field(pg, D1, ordinal, v2, confidence, updated)
        pg.execute("UPDATE docpipe.moderation_results SET content_sha256 = %s, categories = %s, updated_at = %s "
                   "WHERE document_id = %s", (v2, json.dumps({"toxicity": 0.02}), updated, D1))  # fmt: skip
        pg.execute("UPDATE docpipe.moderation_results SET categories = %s, updated_at = %s WHERE document_id = %s",
                   (json.dumps({"toxicity": 0.25, "profanity": 0.02}), at(2, 6), D7))  # fmt: skip
        late = I1_END - timedelta(minutes=20)
        _insert_document(pg, D8, "acme", "in/8.pdf", sha("d8"), "processed", "receipt", 1, "allow", late)
        _insert_field(pg, D8, 0, sha("d8"), 0.8, late)
        _insert_moderation(pg, D8, sha("d8"), "allow", {"toxicity": 0.05}, 0, late)

    exported = json.loads(json.dumps(export_changes(pg, s3, bucket, I2_START.isoformat(), I2_END.isoformat(),
                                                    "scheduled__2025-03-03T00:00:00+00:00")))  # fmt: skip
    with snowflake_connection() as sf:
        loaded = copy_into_raw(sf, exported, I2_START.isoformat(), stage_url=stage_url_for(bucket))
    with snowflake_connection() as sf:
        merged = merge_curated(sf, I2_START)
    with snowflake_connection() as sf:
        rec = reconcile(pg, sf, I2_START, I2_END)
        rec_night_1 = reconcile(pg, sf, I1_START, I1_END)  # D8 belongs to night 1 by its timestamp
    # D1, D6 (at the boundary), D7 (moderation); through the one-hour lookback D8 (late commit) and D3 and
    # a pipeline run already loaded (updated in night 1's last hour: reloaded, unchanged)
    assert loaded == {t: v["rows"] for t, v in exported.items()}
    assert {t: v["rows"] for t, v in exported.items()} == {
        "tenants": 3, "documents": 5, "document_fields": 6, "moderation_results": 4, "pipeline_runs": 1,
    }  # fmt: skip
    assert merged["fct_document"] == 5
    assert rec["ok"], rec
    # D8 counts for night 1 by its timestamp: D2, D3, D4, D8 (D1 and D7 moved to night 2)
    assert rec_night_1["ok"] and rec_night_1["tables"]["fct_document"]["source"] == 4, rec_night_1
    assert query("SELECT TENANT_ID, STATUS, IS_CURRENT FROM CURATED.FCT_DOCUMENT WHERE DOCUMENT_ID = %s", (D6,)) == [
        ("initech", "processed", True)
    ]
    assert query("SELECT PROCESSED_AT, _INTERVAL_START FROM CURATED.FCT_DOCUMENT WHERE DOCUMENT_ID = %s", (D8,)) == [
        (I1_END - timedelta(minutes=20), I2_START)
    ]

    def d1_state():
        versions = query("SELECT CONTENT_SHA256, IS_CURRENT, PAGE_COUNT, FIELD_COUNT FROM CURATED.FCT_DOCUMENT "
                         "WHERE DOCUMENT_ID = %s ORDER BY PROCESSED_AT", (D1,))  # fmt: skip
        fields = query("SELECT ORDINAL, CONTENT_SHA256, CONFIDENCE FROM CURATED.FCT_DOCUMENT_FIELD "
                       "WHERE DOCUMENT_ID = %s ORDER BY ORDINAL", (D1,))  # fmt: skip
        moderation = query("SELECT CATEGORY, CONTENT_SHA256 FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s", (D1,))
        return versions, fields, moderation

    def d7_moderation():
        return sorted(query("SELECT CATEGORY, CONFIDENCE FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s", (D7,)))

    versions, fields, moderation = d1_state()
    assert [(v[0], v[1], v[2], v[3]) for v in versions] == [(sha("d1v1"), False, 2, 3), (v2, True, 4, 2)]
    assert [(f[0], f[1]) for f in fields] == [(0, v2), (1, v2)]  # ordinal 2 and the v1 rows are gone
    assert [f[2] for f in fields] == [0.99, 0.97]
    assert moderation == [("toxicity", v2)]
    assert query("SELECT COUNT(*) FROM CURATED.FCT_DOCUMENT_CURRENT WHERE DOCUMENT_ID = %s", (D1,)) == [(1,)]
    assert d7_moderation() == [("profanity", pytest.approx(0.02)), ("toxicity", pytest.approx(0.25))]
    d7_now = d7_moderation()
    state = curated_snapshot()

    # Re-merging the old night from RAW (a cleared task) must not bring the v1 fields back ...
    with snowflake_connection() as sf:
        merge_curated(sf, I1_START)
    assert d1_state() == (versions, fields, moderation)
    assert d7_moderation() == d7_now
    assert curated_snapshot() == state


def test_document_reprocessed_days_later_reaches_the_next_nightly_run(wh, first_load):
    """D2 (uploaded on night 1) is reprocessed on day 3 with a new engine version: same bytes, so the same
    version key, new fields. Night 3's run carries the change; nothing else moves."""
    from docpipe.warehouse import load_interval

    pg, s3, bucket = wh
    before = query("SELECT ENGINE_VERSION, FIELD_COUNT, SOURCE_HOUR, PROCESSED_AT FROM CURATED.FCT_DOCUMENT "
                   "WHERE DOCUMENT_ID = %s", (D2,))  # fmt: skip
    assert [r[:2] for r in before] == [("1.0", 2)]
    reprocessed = at(3, 14)
    with pg.transaction():
        pg.execute("UPDATE docpipe.documents SET engine_version = '2.0', updated_at = %s WHERE document_id = %s",
                   (reprocessed, D2))  # fmt: skip
        pg.execute("DELETE FROM docpipe.document_fields WHERE document_id = %s", (D2,))
        for ordinal, confidence in enumerate([0.97, 0.96, 0.95]):
            _insert_field(pg, D2, ordinal, sha("d2"), confidence, reprocessed, "fs-def")
    other_docs = "SELECT * FROM CURATED.FCT_DOCUMENT WHERE DOCUMENT_ID <> %s ORDER BY DOCUMENT_VERSION_KEY"
    unchanged = (query(other_docs, (D2,)), query("SELECT * FROM CURATED.FCT_PIPELINE_RUN ORDER BY RUN_ID"))
    moderation = "SELECT CATEGORY, CONFIDENCE, DECISION FROM CURATED.FCT_MODERATION WHERE DOCUMENT_ID = %s ORDER BY 1"
    d2_moderation = query(moderation, (D2,))
    summary = load_interval(pg, s3, bucket, I3_START, I3_END, "scheduled__2025-03-04T00:00:00+00:00")
    assert summary.ok, summary.reconciliation
    assert summary.exported["documents"] == 1
    after = query("SELECT ENGINE_VERSION, FIELD_COUNT, SOURCE_HOUR, PROCESSED_AT, IS_CURRENT, PROCESSED_DATE "
                  "FROM CURATED.FCT_DOCUMENT WHERE DOCUMENT_ID = %s", (D2,))  # fmt: skip
    assert after == [("2.0", 3, before[0][2], reprocessed, True, date(2025, 3, 3))]
    assert query("SELECT ORDINAL, CONFIDENCE, EXTRACTOR FROM CURATED.FCT_DOCUMENT_FIELD WHERE DOCUMENT_ID = %s "
                 "ORDER BY 1", (D2,)) == [(0, 0.97, "fs-def"), (1, 0.96, "fs-def"), (2, 0.95, "fs-def")]  # fmt: skip
    # D2's moderation did not change (it is reloaded with the document), nor did anything else
    assert query(moderation, (D2,)) == d2_moderation
    assert (query(other_docs, (D2,)), query("SELECT * FROM CURATED.FCT_PIPELINE_RUN ORDER BY RUN_ID")) == unchanged


def test_reconciliation_fails_loudly_on_a_mismatch(wh, first_load):
    from docpipe.warehouse import reconcile, snowflake_connection
    from docpipe.warehouse.reconciliation import describe

    pg, _, _ = wh
    saved = query("SELECT * FROM CURATED.FCT_DOCUMENT_FIELD WHERE DOCUMENT_ID = %s AND ORDINAL = 0", (D3,))
    assert len(saved) == 1
    query("DELETE FROM CURATED.FCT_DOCUMENT_FIELD WHERE DOCUMENT_ID = %s AND ORDINAL = 0", (D3,))
    # a stale version: the right count, the wrong key
    query("UPDATE CURATED.FCT_MODERATION SET CONTENT_SHA256 = 'stale' WHERE DOCUMENT_ID = %s AND CATEGORY = "
          "'profanity'", (D3,))  # fmt: skip
    try:
        with snowflake_connection() as sf:
            result = reconcile(pg, sf, I1_START, I1_END)
    finally:
        from docpipe.warehouse import merge_curated

        with snowflake_connection() as sf:  # D3 was last written by night 2 (its lookback)
            for night in (I1_START, I2_START, I3_START):
                merge_curated(sf, night)
    assert not result["ok"]
    fields, moderation = result["tables"]["fct_document_field"], result["tables"]["fct_moderation"]
    assert (fields["source"], fields["target"], fields["ok"]) == (fields["source"], fields["source"] - 1, False)
    assert moderation["source"] == moderation["target"] and not moderation["ok"]
    assert len(moderation["differing_buckets"]) in (1, 2)
    assert moderation["source_checksum"] != moderation["target_checksum"]
    assert result["tables"]["fct_document"]["ok"] and result["tables"]["dim_tenant"]["ok"]
    text = describe(result)
    assert "MISMATCH" in text and "fct_document_field: Postgres" in text
    with snowflake_connection() as sf:
        assert reconcile(pg, sf, I1_START, I1_END)["ok"]  # the re-merge repaired both
