"""`docpipe bench stores`' Postgres half on a small batch: both methods leave the same rows, and the
field-insert floor times every variant and leaves the database as it found it."""

from __future__ import annotations

import psycopg
import pytest

from docpipe.commands import bench_stores
from docpipe.storage import migrations, postgres, synthetic

pytestmark = pytest.mark.integration

CONSTRAINTS = """
    SELECT conname FROM pg_constraint WHERE conrelid = 'docpipe.document_fields'::regclass
    UNION ALL
    SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'docpipe.document_fields'::regclass
    ORDER BY 1"""


def test_bench_postgres_compares_like_with_like_and_floors_every_variant(stack) -> None:
    docs = synthetic.processed_documents(40, fields=3)
    out = bench_stores.bench_postgres(stack.pg.dsn, [docs], batch_docs=15, shapes=("batch",), floor=True)

    assert out["field_rows"] == 120
    r = out["batch"]
    assert r["same_rows"] is True
    assert r["write_batch_s"] > 0 and r["insert_rows_s"] > 0
    assert r["ratio"] == pytest.approx(r["insert_rows_s"] / r["write_batch_s"])
    assert [f["variant"] for f in out["floor"]] == [label for label, _ in bench_stores._FLOOR_VARIANTS]
    assert all(f["rows"] == 120 and f["seconds"] > 0 for f in out["floor"])
    # The benchmark's database is dropped afterwards.
    with psycopg.connect(stack.pg.dsn("postgres")) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (bench_stores.BENCH_DB,)).fetchone() is None


def test_field_insert_floor_rolls_every_variant_back(stack) -> None:
    name = f"{stack.app_db}_floor"
    with psycopg.connect(stack.pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = stack.pg.dsn(name)
    try:
        migrations.upgrade(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            postgres.write_batch(conn, synthetic.processed_documents(10, fields=4), [], "floor")
            before = conn.execute(CONSTRAINTS).fetchall()
            rows_before = conn.execute("SELECT * FROM docpipe.document_fields ORDER BY 1, 2").fetchall()

        floor = bench_stores.field_insert_floor(dsn)

        assert [f["rows"] for f in floor] == [40] * len(bench_stores._FLOOR_VARIANTS)
        with psycopg.connect(dsn) as conn:
            assert {"document_fields_pkey", "document_fields_document_tenant_fkey"} <= {c for (c,) in before}
            assert conn.execute(CONSTRAINTS).fetchall() == before
            assert conn.execute("SELECT * FROM docpipe.document_fields ORDER BY 1, 2").fetchall() == rows_before
    finally:
        with psycopg.connect(stack.pg.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
