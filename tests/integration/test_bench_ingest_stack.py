"""`docpipe bench ingest` end to end on a small hour: seeding, the plain loop, `airflow standalone`,
the REST-triggered run and the figures' accounting. Timings are not asserted, only that every
document is accounted for, the JSON has its shape, and the private stack leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOCS = 20
BATCH = 8  # at most 8 a batch: three batches, made four so that both of the run's batch slots stay busy


def _session_documents(stack) -> int:
    with psycopg.connect(stack.app_dsn) as conn:
        return conn.execute("SELECT count(*) FROM docpipe.documents").fetchone()[0]


def test_bench_ingest_accounts_for_every_document_and_cleans_up(stack):
    bench_id = f"t{uuid.uuid4().hex[:8]}"
    before = _session_documents(stack)
    env = {**os.environ, "DOCPIPE_BENCH_ID": bench_id}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("docpipe")), "bench", "ingest", "--docs", str(DOCS), "--batch-size",
         str(BATCH), "--json", "--timeout", "900"],
        env=env, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    fig = json.loads(proc.stdout.strip().splitlines()[-1])

    assert list(fig)[:5] == ["documents", "wall_s", "documents_per_hour", "airflow_overhead_share", "peak_rss_mb"]
    assert fig["documents"] == DOCS
    assert fig["processed"] == DOCS and fig["quarantined"] == 0
    assert fig["batches"] == 4 and fig["batch_size"] == BATCH  # 5 documents each
    assert fig["tasks"] == 4 + 2  # the batches, discover and record_run, each with Airflow's start and end
    assert 0 <= fig["airflow_overhead_share"] <= 1
    assert fig["wall_s"] > 0 and fig["documents_per_hour"] > 0
    assert fig["work_s"] > 0 and fig["slots"] == 2
    assert fig["peak_rss_mb"] > 50, "the sampler never saw a task process"
    assert "pages_per_s_per_core" not in fig
    loop = fig["plain_loop"]
    assert loop["documents"] == DOCS and loop["peak_rss_mb"] > 50

    # The private stack is gone, and the session's own stores were never touched.
    name = f"ingest_{bench_id}"
    assert not (stack.workdir / f"bench-{name}").exists()
    with psycopg.connect(stack.pg.dsn("postgres"), autocommit=True) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"%{bench_id}%",)).fetchall()
    assert left == []
    assert _session_documents(stack) == before
