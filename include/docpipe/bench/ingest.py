"""`document_ingest` over one hour of generated documents, through the real scheduler, and the same
batches through a plain Python loop without Airflow.

Everything runs on a private stack (`docpipe.bench.stack`): seed the hour, run the plain loop, empty
the stores, start `airflow standalone`, unpause the DAG, trigger the hour through the REST API, wait,
then read the task instances, the batch outcomes (XCom) and the run's accounting row.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from docpipe.bench.figures import TaskSpan
from docpipe.bench.procs import TreeSampler

DAG_ID = "document_ingest"
TENANTS = ("acme", "globex", "initech")
TERMINAL = ("success", "failed")


# ------------------------------------------------------------------------------------------ seeding


def _generate_chunk(args: tuple[int, int, bool]) -> list[Any]:
    from docpipe.samples.generator import generate_documents

    n, seed, scanned = args
    return list(generate_documents(n, tenants=list(TENANTS), seed=seed, scanned_share=1.0 if scanned else 0.0))


def generated(n: int, scanned: bool, workers: int) -> Iterator[Any]:
    """`n` sample documents (all born-digital, or all scanned), generated in `workers` processes in
    chunks of their own seed (file names carry the seed, so they never collide)."""
    chunk = 25 if scanned else 500
    jobs = [(min(chunk, n - i), 1000 + i // chunk, scanned) for i in range(0, n, chunk)]
    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            yield from _generate_chunk(job)
        return
    import multiprocessing

    # spawn: the caller's upload threads are running, and a fork would copy whatever locks they hold
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for docs in pool.map(_generate_chunk, jobs):
            yield from docs


def seed(n: int, hour: datetime, scanned: bool, progress: Callable[[int], None] | None = None) -> int:
    """Upload `n` documents into `hour`; returns their total size in bytes."""
    from docpipe.config import Settings
    from docpipe.connections import aws_client
    from docpipe.samples.upload import upload_documents

    settings = Settings.from_env()
    uploaded = upload_documents(aws_client("s3", settings), settings.uploads_bucket,
                                generated(n, scanned, os.cpu_count() or 1), hours=[hour],
                                prefix=settings.uploads_prefix, progress=progress)  # fmt: skip
    return sum(u.size for u in uploaded)


def list_hour(hour: datetime) -> list[Any]:
    from docpipe.config import Settings
    from docpipe.connections import aws_client
    from docpipe.ingest import discovery

    settings = Settings.from_env()
    return discovery.discover(aws_client("s3", settings), settings.uploads_bucket, settings.uploads_prefix,
                              hour, hour + timedelta(hours=1))  # fmt: skip


def stored_documents(admin_dsn: str) -> int:
    """Documents the application database holds (processed or quarantined): the progress of a run."""
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as pg:
        row = pg.execute("SELECT count(*) FROM docpipe.documents").fetchone()
        return int(row[0]) if row else 0


def reset_stores(admin_dsn: str) -> None:
    """Forget every result (Postgres schema, DynamoDB table, processed bucket) but keep the uploads."""
    import psycopg

    from docpipe.config import Settings
    from docpipe.connections import aws_client
    from docpipe.localstack import bootstrap_resources

    settings = Settings.from_env()
    s3 = aws_client("s3", settings)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.processed_bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=settings.processed_bucket, Delete={"Objects": keys, "Quiet": True})
    ddb = aws_client("dynamodb", settings)
    ddb.delete_table(TableName=settings.dynamodb_table)
    ddb.get_waiter("table_not_exists").wait(TableName=settings.dynamodb_table)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS docpipe CASCADE")
    bootstrap_resources(settings)


# ------------------------------------------------------------------------------------------ plain loop

_WORKER: dict[str, Any] = {}


def _loop_init(run_id: str) -> None:
    """Build what a batch needs once per worker process, as a long-running script would."""
    from setproctitle import setproctitle

    from docpipe.config import Settings
    from docpipe.connections import aws_client, postgres_connection
    from docpipe.extraction import get_backend as get_extractor
    from docpipe.ingest.process import BatchContext
    from docpipe.moderation import get_backend as get_moderator

    setproctitle("docpipe bench loop worker")
    os.dup2(2, 1)  # the workers' log lines go to stderr: stdout carries only the command's output (--json)
    settings = Settings.from_env()
    _WORKER["ctx"] = BatchContext(
        s3=aws_client("s3", settings), dynamodb=aws_client("dynamodb", settings), pg=postgres_connection(settings),
        extractor=get_extractor(settings.extraction_backend), moderator=get_moderator(settings.moderation_backend),
        processed_bucket=settings.processed_bucket, dynamodb_table=settings.dynamodb_table, run_id=run_id,
        max_document_bytes=settings.max_document_bytes,
    )  # fmt: skip


def _loop_batch(job: tuple[int, list[dict[str, Any]]]) -> dict[str, Any]:
    from docpipe.ingest.process import process_batch
    from docpipe.models import ObjectRef

    index, refs = job
    return process_batch(_WORKER["ctx"], index, [ObjectRef.from_json(r) for r in refs]).to_json()


@dataclass
class LoopResult:
    wall_s: float
    outcomes: list[dict[str, Any]]
    peak_rss_mb: float
    cpu_s: dict[str, float]
    workers: int


def plain_loop(refs: Sequence[Any], batch_size: int, workers: int, on_tick: Callable[[], None] | None = None
               ) -> LoopResult:  # fmt: skip
    """`process_batch` called directly on the same batches the DAG makes, in `workers` processes (the
    number of batch tasks Airflow runs at once), each building its clients and engines once. Wall
    time includes starting the processes and loading the engines."""
    import multiprocessing

    from docpipe.config import Settings
    from docpipe.ingest.discovery import make_batches

    batches = make_batches(refs, batch_size, Settings.from_env().batch_max_bytes, spread=workers)
    jobs = [(i, [r.to_json() for r in b]) for i, b in enumerate(batches)]
    roots = [os.getpid()]
    with TreeSampler(roots) as sampler:
        started = time.monotonic()
        ctx = multiprocessing.get_context("spawn")  # no fork of a process that holds threads and sockets
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_loop_init,
                                 initargs=(f"bench-loop-{int(time.time())}",)) as pool:  # fmt: skip
            futures = [pool.submit(_loop_batch, job) for job in jobs]
            while not all(f.done() for f in futures):
                if on_tick:
                    on_tick()
                time.sleep(1)
            outcomes = [f.result() for f in futures]
        wall = time.monotonic() - started
    if on_tick:
        on_tick()
    return LoopResult(wall, outcomes, sampler.peak_by_role.get("loop", 0.0), sampler.cpu_by_role(), workers)


# ------------------------------------------------------------------------------------------ Airflow


@dataclass
class AirflowResult:
    run: dict[str, Any]
    wall_s: float
    spans: list[TaskSpan]
    outcomes: list[dict[str, Any]]
    accounting: dict[str, Any]
    peak_rss_by_role: dict[str, float]
    peak_tree_mb: float
    cpu_s: dict[str, float]
    states: dict[str, int] = field(default_factory=dict)
    examples: dict[str, set[str]] = field(default_factory=dict)


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def _task_instances(stack: Any, run_id: str) -> list[dict[str, Any]]:
    from urllib.parse import quote

    out: list[dict[str, Any]] = []
    while True:
        page = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances"
                                f"?limit=100&offset={len(out)}")  # fmt: skip
        out.extend(page["task_instances"])
        if not page["task_instances"] or len(out) >= page["total_entries"]:
            return out


def _outcome(stack: Any, run_id: str, map_index: int) -> dict[str, Any] | None:
    from urllib.parse import quote

    try:
        entry = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/process_batch"
                                 f"/xcomEntries/return_value?map_index={map_index}")  # fmt: skip
    except RuntimeError:
        return None
    value = entry.get("value")
    return json.loads(value) if isinstance(value, str) else value


def _wait_for_scheduled_runs(stack: Any, timeout: float) -> None:
    """Unpausing makes the scheduler queue the latest interval (an empty hour here): let it finish
    first so that it does not share the measured run's machine."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if stack.api("GET", f"/dags/{DAG_ID}/dagRuns?limit=10")["dag_runs"]:
            break
        time.sleep(1)

    def settled() -> bool:
        runs = stack.api("GET", f"/dags/{DAG_ID}/dagRuns?limit=10")["dag_runs"]
        return all(r["state"] in TERMINAL for r in runs)

    from docpipe.bench.stack import wait_for

    wait_for("the scheduled run of the latest (empty) hour", settled, timeout, interval=2)


def airflow_run(stack: Any, hour: datetime, conf: dict[str, Any], timeout: float,
                on_tick: Callable[[], None] | None = None) -> AirflowResult:  # fmt: skip
    """Trigger `document_ingest` for `hour` on the stack's running Airflow and wait for it."""
    from urllib.parse import quote

    from docpipe.bench.stack import wait_for

    stack.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
    _wait_for_scheduled_runs(stack, timeout=600)
    pid = int((stack.workdir / "airflow.pid").read_text())
    moto_pid = int((stack.workdir / "moto.pid").read_text())
    with TreeSampler([pid, moto_pid]) as sampler:
        run = stack.api("POST", f"/dags/{DAG_ID}/dagRuns",
                        {"logical_date": (hour + timedelta(hours=1)).isoformat(), "conf": conf})  # fmt: skip
        run_path = f"/dags/{DAG_ID}/dagRuns/{quote(run['dag_run_id'], safe='')}"

        def finished() -> dict[str, Any] | None:
            if on_tick:
                on_tick()
            current = stack.api("GET", run_path)
            return current if current["state"] in TERMINAL else None

        run = wait_for(f"{DAG_ID} to finish the hour", finished, timeout, interval=2,
                       diagnostics=stack.airflow_log_tail)  # fmt: skip
    if on_tick:
        on_tick()
    tis = _task_instances(stack, run["dag_run_id"])
    states: dict[str, int] = {}
    spans: list[TaskSpan] = []
    outcomes: list[dict[str, Any]] = []
    for ti in tis:
        states[f"{ti['task_id']}:{ti['state']}"] = states.get(f"{ti['task_id']}:{ti['state']}", 0) + 1
        start, end = _ts(ti.get("start_date")), _ts(ti.get("end_date"))
        if start is None or end is None:
            continue  # skipped or never started
        work = None
        if ti["task_id"] == "process_batch":
            outcome = _outcome(stack, run["dag_run_id"], ti["map_index"])
            if outcome:
                outcomes.append(outcome)
                work = float(outcome.get("seconds", 0.0))
        spans.append(TaskSpan(ti["task_id"], ti["map_index"], start, end, work))
    wall = (_ts(run["end_date"]) or time.time()) - (_ts(run.get("queued_at")) or _ts(run["start_date"]) or 0.0)
    return AirflowResult(run=run, wall_s=wall, spans=spans, outcomes=outcomes,
                         accounting=pipeline_run(stack.admin_dsn, run["dag_run_id"]), peak_rss_by_role=dict(sampler.peak_by_role),
                         peak_tree_mb=sampler.peak_total_mb, cpu_s=sampler.cpu_by_role(), states=states,
                         examples=sampler.examples)  # fmt: skip


def pipeline_run(admin_dsn: str, run_id: str) -> dict[str, Any]:
    """The run's row in docpipe.pipeline_runs (what record_run wrote), or {} when it has none."""
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as pg:
        cur = pg.execute(
            """SELECT listed, processed, quarantined, unchanged, missing, status
               FROM docpipe.pipeline_runs WHERE dag_id = %s AND run_id = %s""",
            (DAG_ID, run_id),
        )
        row = cur.fetchone()
        return dict(zip([c.name for c in cur.description or []], row, strict=True)) if row else {}


def totals(outcomes: Sequence[dict[str, Any]]) -> dict[str, int]:
    keys = ("listed", "processed", "quarantined", "unchanged", "pages", "ocr_pages")
    return {k: sum(int(o.get(k, 0)) for o in outcomes) for k in keys}


def default_hour() -> datetime:
    """The same hour yesterday: a complete past hour that the scheduler's own latest run does not cover."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(days=1)
