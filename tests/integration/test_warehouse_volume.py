"""10,000 documents' worth of facts through the whole warehouse load, twice for the same interval.

Postgres (a database of its own) -> Parquet on the session's moto S3 (split into several files per table)
-> fakesnow RAW (its own DuckDB files) -> CURATED. The rerun must leave every CURATED table identical,
RAW holding exactly one export of the interval, and the reconciliation and quality checks green.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import psycopg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]

START = datetime(2025, 6, 1, 2, tzinfo=UTC)
END = datetime(2025, 6, 2, 2, tzinfo=UTC)
DOCS = 10_000
FILE_MB = 1  # documents (~2.5 MB of Parquet), fields (~2.2 MB) and moderation (~2.1 MB) span several files
FETCH_ROWS = 2_000  # rows per row group: the size check runs after each


@pytest.fixture(scope="module")
def volume(stack, tmp_path_factory):
    from docpipe.localstack.postgres import drop_database, ensure_database
    from docpipe.storage import migrations
    from docpipe.warehouse import apply_ddl, snowflake_connection, stage_url_for
    from docpipe.warehouse.synthetic import insert_facts

    suffix = uuid.uuid4().hex[:8]
    db, bucket = f"docpipe_test_whv_{suffix}", f"docpipe-whv-{suffix}"
    ensure_database(stack.pg, db)
    migrations.upgrade(stack.pg.dsn(db))
    s3 = stack.s3()
    s3.create_bucket(Bucket=bucket)
    pg = psycopg.connect(stack.pg.dsn(db), autocommit=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCPIPE_FAKESNOW_PATH", str(tmp_path_factory.mktemp("fakesnow-volume")))
        mp.setattr("docpipe.warehouse.export.FETCH_ROWS", FETCH_ROWS)
        counts = insert_facts(pg, DOCS, start=START, end=END, seed=3)
        with snowflake_connection() as sf:
            apply_ddl(sf, stage_url=stage_url_for(bucket))
        try:
            yield pg, s3, bucket, counts
        finally:
            pg.close()
            drop_database(stack.pg, db)


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every CURATED table."""
    from docpipe.warehouse import CURATED_TABLES, snowflake_connection

    out = {}
    with snowflake_connection() as sf:
        cur = sf.cursor()
        for table in CURATED_TABLES:
            rows = sorted(repr(tuple(r)) for r in cur.execute(f"SELECT * FROM {table.qualified}").fetchall())
            out[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def _raw_counts() -> dict[str, list[tuple]]:
    from docpipe.warehouse import TABLES, snowflake_connection

    with snowflake_connection() as sf:
        cur = sf.cursor()
        return {
            t: cur.execute(f"SELECT _EXPORT_ID, COUNT(*) FROM RAW.{t.upper()} GROUP BY 1").fetchall() for t in TABLES
        }


def test_ten_thousand_documents_load_and_reload_identically(volume):
    from docpipe.warehouse import load_interval, run_checks, snowflake_connection
    from docpipe.warehouse.model import failed_checks

    pg, s3, bucket, counts = volume
    assert counts.documents == DOCS and counts.fields > 40_000

    first = load_interval(pg, s3, bucket, START, END, "scheduled__2025-06-02T02:00:00+00:00", file_mb=FILE_MB)
    assert first.ok, first.reconciliation
    assert first.exported["documents"] == DOCS
    assert first.exported["document_fields"] == counts.fields
    # far below the row cap: split on size
    assert all(first.files[t] >= 2 for t in ("documents", "document_fields", "moderation_results")), first.files
    state = _fingerprint()
    assert state["FCT_DOCUMENT"][0] == DOCS
    assert state["FCT_DOCUMENT_FIELD"][0] == counts.fields
    assert state["FCT_MODERATION"][0] == counts.moderation * 16
    assert state["FCT_PIPELINE_RUN"][0] == counts.runs == 24
    raw = _raw_counts()

    again = load_interval(pg, s3, bucket, START, END, "scheduled__2025-06-02T02:00:00+00:00", file_mb=FILE_MB)
    assert again.ok, again.reconciliation
    assert again.exported == first.exported
    assert _fingerprint() == state
    # RAW holds the new export only, with the same row counts
    raw_again = _raw_counts()
    assert {t: [n for _, n in v] for t, v in raw_again.items()} == {t: [n for _, n in v] for t, v in raw.items()}
    assert all(len(v) == 1 and v != raw[t] for t, v in raw_again.items())
    keys = [
        o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])
    ]
    assert len(keys) == sum(again.files.values())  # the first export's files are gone

    with snowflake_connection() as sf:
        assert failed_checks(run_checks(sf)) == []
