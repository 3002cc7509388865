"""The warehouse load's pieces that need no services: file splitting, COPY result handling, schema
migration statements, reconciliation summaries and the benchmark's arithmetic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from docpipe.warehouse import bench, export, load, reconciliation, sqlfiles


class _FakeS3:
    def __init__(self, into: Path):
        self.into = into
        self.keys: list[str] = []

    def upload_file(self, path: str, bucket: str, key: str) -> None:
        target = self.into / key.replace("/", "__")
        target.write_bytes(Path(path).read_bytes())
        self.keys.append(key)


def _rows(n: int) -> list[tuple]:
    ts = datetime(2025, 3, 1, tzinfo=UTC)
    return [(f"tenant-{i:06d}-" + "x" * 40, ts, ts) for i in range(n)]


def _write(tmp_path: Path, rows_per_file: int, max_bytes: int, batches: list[int]) -> tuple[list[dict], _FakeS3]:
    spec = export.EXPORTS[0]  # tenants: three columns
    s3 = _FakeS3(tmp_path / "s3")
    s3.into.mkdir(exist_ok=True)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    meta = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC), "run", "e1", datetime.now(UTC))
    with ThreadPoolExecutor(2) as pool:
        writer = export._PartWriter(work, spec, s3, "b", "warehouse/tenants/x/", rows_per_file, max_bytes, pool)
        for n in batches:
            writer.write(export._record_batch(spec, writer.schema, _rows(n), meta))
        files = writer.finish()
    return files, s3


def test_files_split_on_rows(tmp_path):
    files, s3 = _write(tmp_path, rows_per_file=4, max_bytes=10**9, batches=[3, 3, 5])
    assert [f["rows"] for f in files] == [4, 4, 3]
    assert [f["key"] for f in files] == [f"warehouse/tenants/x/part-0000{i}.parquet" for i in range(3)]
    assert sorted(s3.keys) == [f["key"] for f in files]
    table = pq.read_table(s3.into / files[0]["key"].replace("/", "__"))
    assert table.column_names[-5:] == ["_interval_start", "_interval_end", "_run_id", "_export_id", "_loaded_at"]
    assert table.column("_export_id").to_pylist() == ["e1"] * 4
    assert not list((tmp_path / "work").iterdir())  # local files are removed once uploaded


def test_files_split_on_size_after_a_row_group(tmp_path):
    files, _ = _write(tmp_path, rows_per_file=10**6, max_bytes=1, batches=[2, 2, 2])
    assert [f["rows"] for f in files] == [2, 2, 2]  # every row group crosses the (tiny) size

    files, _ = _write(tmp_path, rows_per_file=10**6, max_bytes=10**9, batches=[2, 2, 2])
    assert [f["rows"] for f in files] == [6]


def test_no_rows_no_file(tmp_path):
    files, s3 = _write(tmp_path, rows_per_file=4, max_bytes=10**9, batches=[])
    assert files == [] and s3.keys == []


def test_copy_results():
    assert load._copy_result("RAW.T", [("s3://b/p0", "LOADED", 3, 3, 1, 0, None, None, None, None),
                                        ("s3://b/p1", "LOAD_SKIPPED", 0, 0, None, 1, "loaded before", None, None, None)]) == (3, 1)  # fmt: skip
    assert load._copy_result("RAW.T", [("Copy executed with 0 files processed.",)]) == (0, 0)
    with pytest.raises(load.WarehouseLoadError, match="LOAD_FAILED"):
        load._copy_result("RAW.T", [("s3://b/p0", "LOAD_FAILED", 3, 0, 1, 1, "bad", 1, 1, "X")])


class _FakeConn:
    """Answers INFORMATION_SCHEMA.COLUMNS; records everything else."""

    def __init__(self, columns: list[tuple[str, str, str]]):
        self.columns = columns

    def cursor(self):
        conn = self

        class _Cur:
            rowcount = None

            def execute(self, sql, params=None):
                assert "INFORMATION_SCHEMA.COLUMNS" in sql
                self.rows = conn.columns

            def fetchall(self):
                return self.rows

            def close(self):
                pass

        return _Cur()


def test_missing_columns_are_added_nullable():
    create = (
        "CREATE TABLE IF NOT EXISTS CURATED.T (A VARCHAR NOT NULL COMMENT 'a', B ARRAY COMMENT 'b', "
        "C NUMBER(5, 4) NOT NULL COMMENT 'c') COMMENT = 'x'"
    )
    existing = _FakeConn([("CURATED", "T", "A")])
    statements = sqlfiles.missing_column_statements(existing, [create])
    assert len(statements) == 2
    assert statements[0].startswith("ALTER TABLE CURATED.T ADD COLUMN B ARRAY")
    assert statements[1].startswith("ALTER TABLE CURATED.T ADD COLUMN C DECIMAL(5, 4)") or statements[1].startswith(
        "ALTER TABLE CURATED.T ADD COLUMN C NUMBER(5, 4)"
    )
    assert all("NOT NULL" not in s and "COMMENT" in s for s in statements)
    assert sqlfiles.missing_column_statements(_FakeConn([]), [create]) == []  # a new table: nothing to migrate


def test_reconciliation_summary():
    ok = {"source": 3, "target": 3, "source_checksum": "a" * 32, "target_checksum": "a" * 32, "differing_buckets": [],
          "ok": True}  # fmt: skip
    bad = {**ok, "target": 2, "target_checksum": "b" * 32, "differing_buckets": ["0f"], "ok": False}
    text = reconciliation.describe({"interval_start": "s", "interval_end": "e", "ok": False,
                                    "tables": {"dim_tenant": ok, "fct_document": bad}})  # fmt: skip
    assert "MISMATCH" in text.splitlines()[0]
    assert "dim_tenant: Postgres 3 rows, Snowflake 3 rows" in text and ": ok" in text
    assert "fct_document: Postgres 3 rows, Snowflake 2 rows" in text and "1 of 256 key buckets differ" in text
    one = reconciliation._combine({"0f": (1, "x"), "a1": (2, "y")})
    assert one == reconciliation._combine({"a1": (2, "y"), "0f": (1, "x")}) != reconciliation._combine({"0f": (1, "x")})


def test_bench_sample_and_ratio():
    tables = {"RAW.A": (["X"], [(i,) for i in range(900)]), "RAW.B": (["X"], [(i,) for i in range(100)])}
    sample = bench._sample(tables, 100)
    assert [len(r) for _, r in sample.values()] == [90, 10]
    assert bench._sample(tables, None) is tables and bench._sample(tables, 5000) is tables
    result = bench.BenchResult(documents=1, rows=1000, bulk_seconds={"export": 1, "copy": 1, "merge": 2},
                               insert_rows_rows=100, insert_rows_seconds=10)  # fmt: skip
    assert (result.bulk_rows_per_s, result.insert_rows_rows_per_s, result.ratio) == (250, 10, 25)
