"""`docpipe bench stores`: bulk writes to Postgres and DynamoDB, side by side with the Airflow hooks'.

Postgres: generated documents (default 10,000 x 20 fields, with moderation and PII rows) written by
`docpipe.storage.postgres.write_batch`, then the same rows by `PostgresHook.insert_rows(...,
replace=True, replace_index=...)`, both logged in as the pipeline's role (docpipe_writer, under
row-level security), in a database of their own (`docpipe_bench_stores`, dropped afterwards). Each
method is called once per pipeline batch (DOCPIPE_BATCH_SIZE documents, a connection per batch as a
batch task has) and once for all documents. DynamoDB: the same documents as read-model items written
by `docpipe.storage.dynamodb.write_items` (conditional puts) and by `DynamoDBHook.write_batch_data`
(unconditional batch writes) into tables of their own on the stack's moto server, deleted afterwards.
Nothing of the demo's data is read or written.

Prints rows per second for each method and the ratios; `--json` prints only
{"postgres_rows_per_s", "postgres_ratio_vs_insert_rows", "dynamodb_items_per_s",
"dynamodb_ratio_vs_write_batch_data"}, the Postgres figures from the per-batch calls. Rows per
second count document_fields rows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

GROUP = "bench"
NAME = "stores"
HELP = "Postgres write_batch vs PostgresHook.insert_rows, DynamoDB conditional puts vs write_batch_data"

BENCH_DB = "docpipe_bench_stores"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docs", type=int, default=10_000, help="documents (default 10,000)")
    parser.add_argument("--fields", type=int, default=20, help="fields per document (default 20)")
    parser.add_argument("--batch-docs", type=int, help="documents per write_batch call (default: DOCPIPE_BATCH_SIZE)")
    parser.add_argument(
        "--passes", type=int, default=1, choices=(1, 2),
        help="2: then write a newer version of every document (the replace path)",
    )  # fmt: skip
    parser.add_argument(
        "--shape", choices=("batch", "single", "both"), default="both",
        help="Postgres: call both methods once per pipeline batch, once for all documents, or both (default)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=32, help="DynamoDB requests in flight (default 32)")
    parser.add_argument(
        "--designs", action="store_true",
        help="also measure the DynamoDB designs not chosen (puts at other concurrencies, transactions, batch writes)",
    )  # fmt: skip
    parser.add_argument(
        "--floor", action="store_true",
        help="Postgres: also time the one statement any design must run (inserting the field rows into "
             "document_fields) with the table's constraints and with them removed",
    )  # fmt: skip
    parser.add_argument("--only", choices=("postgres", "dynamodb"))
    parser.add_argument("--json", action="store_true", help="print the four headline figures as JSON")


# ------------------------------------------------------------------------------------------ Postgres


def _insert_rows_tables(docs: Sequence[Any], run_id: str) -> list[tuple[str, list[str], list[str], list[tuple]]]:
    """The same rows write_batch writes, shaped for insert_rows: (table, columns, conflict key, rows)."""
    from docpipe.storage import postgres as pg

    return [
        ("docpipe.tenants", ["tenant_id"], ["tenant_id"], [(t,) for t in sorted({d.ref.tenant_id for d in docs})]),
        ("docpipe.documents", list(pg.DOCUMENT_COLUMNS), ["document_id"], [pg._document_row(d, run_id) for d in docs]),
        ("docpipe.document_fields", list(pg.FIELD_COLUMNS), ["document_id", "ordinal"],
         [r for d in docs for r in pg.field_rows(d)]),
        ("docpipe.moderation_results", list(pg.MODERATION_COLUMNS), ["document_id"], [pg._moderation_row(d) for d in docs]),
        ("docpipe.pii_findings", list(pg.PII_COLUMNS), ["document_id", "ordinal"],
         [(d.ref.document_id, d.ref.tenant_id, i, p.pii_type, p.start, p.end)
          for d in docs for i, p in enumerate(d.moderation.pii)]),
    ]  # fmt: skip


def _chunks(seq: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


# What `--floor` takes away from document_fields: variant n runs with the statements of variants 1..n
# applied (in a transaction rolled back afterwards).
_FLOOR_VARIANTS = (
    ("as shipped: primary key, foreign key to documents, updated_at index", None),
    ("without the foreign key", "ALTER TABLE docpipe.document_fields DROP CONSTRAINT document_fields_document_tenant_fkey"),
    ("without the foreign key and the updated_at index", "DROP INDEX docpipe.document_fields_updated_at_idx"),
    ("without any key, constraint or index (a heap insert)",
     "ALTER TABLE docpipe.document_fields DROP CONSTRAINT document_fields_pkey"),
)  # fmt: skip


def field_insert_floor(db_dsn: str) -> list[dict[str, Any]]:
    """Seconds the server takes for the statement no design can skip: putting the field rows now in
    document_fields into an empty document_fields, as the pipeline's role, from a table already in
    the server. Timed with the table as shipped and with its constraints removed one by one; each
    variant runs in a transaction that is rolled back, so the database is left as it was."""
    import psycopg

    from docpipe.storage.postgres import FIELD_COLUMNS

    cols = ", ".join(FIELD_COLUMNS)
    ddl = [statement for _, statement in _FLOOR_VARIANTS if statement]
    out = []
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TEMP TABLE floor_stage AS SELECT {cols} FROM docpipe.document_fields "
                     "ORDER BY document_id, ordinal")  # fmt: skip
        conn.execute("GRANT SELECT ON floor_stage TO docpipe_writer")
        for n, (label, _) in enumerate(_FLOOR_VARIANTS):
            with conn.transaction(force_rollback=True):
                for statement in ddl[:n]:
                    conn.execute(statement)
                conn.execute("TRUNCATE docpipe.document_fields")
                conn.execute("SET LOCAL ROLE docpipe_writer")
                started = time.perf_counter()
                cur = conn.execute(f"INSERT INTO docpipe.document_fields ({cols}) SELECT {cols} FROM floor_stage")
                out.append({"variant": label, "rows": cur.rowcount, "seconds": time.perf_counter() - started})
    return out


def bench_postgres(
    admin_dsn_for: Callable[[str], str], passes: list[list[Any]], batch_docs: int, shapes: Sequence[str],
    floor: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Time write_batch and insert_rows on the same documents in a fresh database, called once per
    pipeline batch (each batch on a connection of its own, as a batch task does) and/or once for
    all documents; returns the figures per shape (and with `floor`, `field_insert_floor`'s)."""
    import psycopg
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from docpipe.storage import migrations, postgres, synthetic

    with psycopg.connect(admin_dsn_for("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    out: dict[str, Any] = {"field_rows": sum(len(d.extraction.entities) for docs in passes for d in docs),
                           "documents": sum(len(docs) for docs in passes)}  # fmt: skip
    try:
        db_dsn = admin_dsn_for(BENCH_DB)
        migrations.upgrade(db_dsn)
        # Both methods log in as the pipeline's role, so both pay for row-level security alike.
        writer_uri = db_dsn + ("&" if "?" in db_dsn else "?") + "options=" + quote("-c role=docpipe_writer")
        os.environ["AIRFLOW_CONN_DOCPIPE_BENCH_POSTGRES"] = writer_uri
        hook = PostgresHook(postgres_conn_id="docpipe_bench_postgres")

        def truncate() -> None:
            with psycopg.connect(db_dsn, autocommit=True) as conn:
                conn.execute("TRUNCATE docpipe.tenants, docpipe.documents CASCADE")

        def run_ours(docs_passes: list[list[Any]], size: int) -> float:
            started = time.perf_counter()
            for n, docs in enumerate(docs_passes):
                for chunk in _chunks(docs, size):
                    with psycopg.connect(writer_uri, autocommit=True) as conn:
                        postgres.write_batch(conn, chunk, [], f"bench-{n}")
            return time.perf_counter() - started

        def run_hook(docs_passes: list[list[Any]], size: int) -> float:
            started = time.perf_counter()
            for n, docs in enumerate(docs_passes):
                for chunk in _chunks(docs, size):
                    for table, columns, key, rows in _insert_rows_tables(chunk, f"bench-{n}"):
                        hook.insert_rows(table, rows, target_fields=columns, replace=True, replace_index=key)
            return time.perf_counter() - started

        def counts() -> tuple[int, int]:
            with psycopg.connect(db_dsn) as conn:
                docs = conn.execute("SELECT count(*) FROM docpipe.documents").fetchone()
                fields = conn.execute("SELECT count(*) FROM docpipe.document_fields").fetchone()
                return (docs[0] if docs else 0, fields[0] if fields else 0)

        # Warm both paths up (imports, connections, catalog caches) on a few documents of their own.
        warm = [synthetic.processed_documents(20, fields=2, tenants=("warmup",), prefix="warmup")]
        run_ours(warm, 20)
        run_hook(warm, 20)
        for shape in shapes:
            size = batch_docs if shape == "batch" else max(len(docs) for docs in passes)
            truncate()
            ours = run_ours(passes, size)
            ours_counts = counts()
            truncate()
            theirs = run_hook(passes, size)
            out[shape] = {
                "batch_docs": size,
                "write_batch_s": ours,
                "insert_rows_s": theirs,
                "write_batch_rows_per_s": out["field_rows"] / ours,
                "insert_rows_rows_per_s": out["field_rows"] / theirs,
                "ratio": theirs / ours,
                "same_rows": ours_counts == counts(),
            }
        if floor:
            truncate()
            run_ours(passes[-1:], max(len(docs) for docs in passes))
            out["floor"] = field_insert_floor(db_dsn)
    finally:
        with psycopg.connect(admin_dsn_for("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    return out


# ------------------------------------------------------------------------------------------ DynamoDB


def _count(client: Any, table: str) -> int:
    pages = client.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    return sum(p["Count"] for p in pages)


def _drop(client: Any, table: str) -> None:
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName=table)


def bench_dynamodb(docs: Sequence[Any], workers: int, designs: bool) -> dict[str, Any]:
    """Time conditional puts and DynamoDBHook.write_batch_data on the same items; returns the figures."""
    from airflow.providers.amazon.aws.hooks.dynamodb import DynamoDBHook
    from boto3.dynamodb.types import TypeDeserializer

    from docpipe.connections import aws_client
    from docpipe.storage import dynamodb

    client = aws_client("dynamodb")
    run = uuid.uuid4().hex[:8]
    ours_table, hook_table = f"docpipe-bench-{run}-conditional", f"docpipe-bench-{run}-hook"
    items = [dynamodb.processed_item(d) for d in docs]
    deserialize = TypeDeserializer().deserialize
    plain_items = [{k: deserialize(v) for k, v in it.items()} for it in items]  # the hook takes plain Python
    warm_items = [dynamodb.processed_item(d) for d in _warmup_docs()]
    created: list[str] = []
    out: dict[str, Any] = {"items": len(items)}
    try:
        for table in (ours_table, hook_table):
            dynamodb.ensure_table(client, table)
            created.append(table)
        hook = DynamoDBHook(table_name=hook_table, table_keys=["tenant_id", "document_id"])
        hook.write_batch_data([{k: deserialize(v) for k, v in it.items()} for it in warm_items])
        dynamodb.write_items(client, ours_table, warm_items, workers=workers)

        started = time.perf_counter()
        hook.write_batch_data(plain_items)
        out["write_batch_data_s"] = time.perf_counter() - started
        started = time.perf_counter()
        result = dynamodb.write_items(client, ours_table, items, workers=workers)
        out["conditional_s"] = time.perf_counter() - started
        out["conditional_written"] = result.written
        out["same_items"] = _count(client, ours_table) == _count(client, hook_table) == len(items) + len(warm_items)
        out["items_per_s"] = len(items) / out["conditional_s"]
        out["write_batch_data_items_per_s"] = len(items) / out["write_batch_data_s"]
        out["ratio"] = out["write_batch_data_s"] / out["conditional_s"]
    finally:
        for table in created:
            _drop(client, table)
    if designs:
        out["designs"] = _designs_on_scratch_moto(items, run)
    return out


def _designs_on_scratch_moto(items: Sequence[dict[str, Any]], run: str) -> list[dict[str, Any]]:
    """The design sweep runs on a moto server of its own, stopped afterwards: moto keeps every object
    it ever created (transactions copy whole tables), which would stay in the stack's server."""
    import socket
    import tempfile
    from pathlib import Path

    import boto3
    from botocore.config import Config

    from docpipe import localstack

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-moto-") as tmp:
        localstack.start_moto(Path(tmp), port)
        try:
            client = boto3.client(
                "dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                config=Config(max_pool_connections=32, retries={"mode": "adaptive", "max_attempts": 8}),
            )  # fmt: skip
            return _designs(client, items, run, [])
        finally:
            localstack.stop_moto(Path(tmp))


def _warmup_docs() -> list[Any]:
    from docpipe.storage import synthetic

    return synthetic.processed_documents(25, fields=2, tenants=("warmup",), prefix="warmup")


def _designs(client: Any, items: Sequence[dict[str, Any]], run: str, created: list[str]) -> list[dict[str, Any]]:
    """The write designs considered for the read model, each on a fresh table."""
    from concurrent.futures import ThreadPoolExecutor

    from docpipe.storage import dynamodb

    def fresh(name: str) -> str:
        table = f"docpipe-bench-{run}-{name}"
        dynamodb.ensure_table(client, table)
        created.append(table)
        return table

    def timed(label: str, conditional: bool, subset: Sequence[dict[str, Any]], fn: Callable[[], object]) -> dict:
        started = time.perf_counter()
        fn()
        seconds = time.perf_counter() - started
        return {"design": label, "version_condition": conditional, "items": len(subset), "seconds": seconds,
                "items_per_s": len(subset) / seconds}  # fmt: skip

    # A sample is enough to rank the designs, and keeps the sweep to minutes on moto.
    items = items[:1000]
    rows = []
    for w in (1, 4, 8, 16, 32):
        table = fresh(f"put{w}")

        def put(t: str = table, w: int = w) -> None:
            dynamodb.write_items(client, t, items, workers=w)

        rows.append(timed(f"PutItem, conditional, {w} in flight", True, items, put))

    def batch_write(table: str, subset: Sequence[dict[str, Any]], workers: int) -> None:
        def one(chunk: Sequence[dict[str, Any]]) -> None:
            client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": it}} for it in chunk]})

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, _chunks(subset, 25)))

    table = fresh("batch8")
    rows.append(timed("BatchWriteItem, 25 per request, 8 in flight", False, items,
                      lambda: batch_write(table, items, 8)))  # fmt: skip

    # moto copies the whole table for every item of a transaction: a smaller sample says enough.
    sample = items[:300]

    def transact(table: str, workers: int) -> None:
        def one(chunk: Sequence[dict[str, Any]]) -> None:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": it, "ConditionExpression": dynamodb._CONDITION,
                         "ExpressionAttributeNames": {"#v": "version"},
                         "ExpressionAttributeValues": {":v": it["version"]}}}
                for it in chunk
            ])  # fmt: skip

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, _chunks(sample, 100)))

    table = fresh("txn")
    rows.append(timed("TransactWriteItems, 100 per request, 4 in flight", True, sample, lambda: transact(table, 4)))
    return rows


# ------------------------------------------------------------------------------------------ command


def _admin_dsn_for() -> Callable[[str], str]:
    from docpipe.cli import CliError

    admin = os.environ.get("DOCPIPE_PG_ADMIN_DSN")
    if admin:
        base = admin.rsplit("/", 1)[0]
        return lambda db: f"{base}/{db}"
    if os.environ.get("DOCPIPE_LOCAL_STACK", "1") == "0":
        raise CliError("set DOCPIPE_PG_ADMIN_DSN to a Postgres URI allowed to create a database")
    from docpipe import localstack
    from docpipe.localstack.postgres import ensure_server

    return ensure_server(localstack.home()).dsn


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from docpipe.cli import _stack, console
    from docpipe.config import Settings
    from docpipe.storage import synthetic

    # insert_rows logs every 1,000 rows it loads; Airflow configures its levels from this at import.
    os.environ.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", "airflow.task.hooks=warning")
    _stack(start=True, airflow_db=False)
    batch_docs = args.batch_docs or Settings.from_env().batch_size
    passes = [synthetic.processed_documents(args.docs, fields=args.fields, version=v + 1) for v in range(args.passes)]
    pg: dict[str, Any] = {}
    ddb: dict[str, Any] = {}
    status = console.status("benchmarking (several minutes on a busy machine)...") if not args.json else None
    if status:
        status.start()
    try:
        if args.only in (None, "postgres"):
            shapes = ("batch", "single") if args.shape == "both" else (args.shape,)
            pg = bench_postgres(_admin_dsn_for(), passes, batch_docs, shapes, floor=args.floor)
        if args.only in (None, "dynamodb"):
            ddb = bench_dynamodb(passes[-1], args.workers, args.designs)
    finally:
        if status:
            status.stop()
    load = os.getloadavg()[0]

    if args.json:
        headline = pg.get("batch") or pg.get("single") if pg else None
        print(json.dumps({
            "postgres_rows_per_s": round(headline["write_batch_rows_per_s"]) if headline else None,
            "postgres_ratio_vs_insert_rows": round(headline["ratio"], 2) if headline else None,
            "dynamodb_items_per_s": round(ddb["items_per_s"]) if ddb else None,
            "dynamodb_ratio_vs_write_batch_data": round(ddb["ratio"], 2) if ddb else None,
            **({"postgres_field_insert_floor_s": {f["variant"]: round(f["seconds"], 3) for f in pg["floor"]}}
               if "floor" in pg else {}),
        }))  # fmt: skip
        return 0

    t = Table(title=f"bulk writes (load average {load:.1f} on {os.cpu_count()} cores when done)")
    for c in ("store", "method", "what it enforces", "rows", "seconds", "rows/s"):
        t.add_column(c, justify="right" if c in ("rows", "seconds", "rows/s") else "left")
    for shape in ("batch", "single"):
        if shape not in pg:
            continue
        r, n = pg[shape], f"{pg['field_rows']:,}"
        how = f"per batch of {r['batch_docs']:,} docs" if shape == "batch" else "one call for all documents"
        t.add_row("Postgres", f"write_batch, {how}", "newest version wins, children replaced as a unit, "
                  "one transaction per batch", n, f"{r['write_batch_s']:.1f}", f"{r['write_batch_rows_per_s']:,.0f}")  # fmt: skip
        t.add_row("Postgres", f"PostgresHook.insert_rows(replace=True), {how}", "last write wins, row by row", n,
                  f"{r['insert_rows_s']:.1f}", f"{r['insert_rows_rows_per_s']:,.0f}")  # fmt: skip
    if ddb:
        n = f"{ddb['items']:,}"
        t.add_row("DynamoDB (moto)", f"conditional PutItem, {args.workers} in flight", "newest version wins", n,
                  f"{ddb['conditional_s']:.1f}", f"{ddb['items_per_s']:,.0f}")  # fmt: skip
        t.add_row("DynamoDB (moto)", "DynamoDBHook.write_batch_data", "nothing (last write wins)", n,
                  f"{ddb['write_batch_data_s']:.1f}", f"{ddb['write_batch_data_items_per_s']:,.0f}")  # fmt: skip
        for d in ddb.get("designs", []):
            t.add_row("DynamoDB (moto)", d["design"], "newest version wins" if d["version_condition"] else "nothing",
                      f"{d['items']:,}", f"{d['seconds']:.1f}", f"{d['items_per_s']:,.0f}")  # fmt: skip
    console.print(t)
    for shape in ("batch", "single"):
        if shape in pg:
            r = pg[shape]
            console.print(f"Postgres, {'per batch' if shape == 'batch' else 'one call'}: {r['ratio']:.1f}x insert_rows "
                          f"({pg['documents']:,} documents in {len(passes)} pass(es); same rows left: {r['same_rows']})")  # fmt: skip
    if ddb:
        console.print(
            f"DynamoDB: {ddb['ratio']:.2f}x write_batch_data (both tables hold every item: {ddb['same_items']})"
        )
    if "floor" in pg:
        _print_floor(pg)
    console.print("Rows are document_fields rows; figures from a shared machine are noisy: compare within a run.")
    return 0


def _print_floor(pg: dict[str, Any]) -> None:
    """The floor next to what the goals leave for the whole write of the same rows."""
    from rich.table import Table

    from docpipe.cli import console

    rows = pg["floor"][0]["rows"]
    t = Table(title=f"the field insert alone: {rows:,} rows into document_fields, as docpipe_writer, from the server")
    t.add_column("document_fields", justify="left")
    t.add_column("seconds", justify="right")
    t.add_column("rows/s", justify="right")
    for f in pg["floor"]:
        t.add_row(f["variant"], f"{f['seconds']:.2f}", f"{f['rows'] / f['seconds']:,.0f}")
    console.print(t)
    budgets = [f"50,000 rows/s leaves {rows / 50_000:.2f} s"]
    if r := pg.get("batch") or pg.get("single"):
        budgets.insert(0, f"10x insert_rows leaves {r['insert_rows_s'] / 10 * rows / pg['field_rows']:.2f} s")
    console.print(
        "For the whole write of these rows (documents, children, staging, client work): " + "; ".join(budgets) + "."
    )
