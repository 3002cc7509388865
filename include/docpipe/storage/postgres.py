"""Bulk, idempotent writes of a batch's results to the Postgres application store.

A batch is written in one transaction: its documents are COPYed into a temporary table and upserted
on identity keeping the newest upload; the child rows (fields, moderation, PII, errors) of every
document whose row changed are COPYed into temporary tables and replaced as a unit with set-based
statements. Writing the same batch again changes nothing, and a batch cut off half-way (killed
connection, crash) leaves nothing of itself behind.

The writer stages in temporary tables rather than COPYing into the real ones because COPY FROM is
refused on tables under row-level security, and the pipeline's role (docpipe_writer) is subject to
it like every other role. Rows are sent with typed COPY (psycopg's C dumpers) and statements are
grouped so that a batch costs about a dozen round trips whatever its size; the expensive part left is
the server's index and foreign-key work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg

from docpipe.models import Entity, ProcessedDocument, QuarantinedDocument

DOCUMENT_COLUMNS = (
    "document_id", "tenant_id", "bucket", "object_key", "content_sha256", "s3_etag", "size_bytes",
    "uploaded_at", "source_hour", "status", "document_type", "type_confidence", "page_count",
    "ocr_page_count", "engine", "engine_version", "moderation_decision", "extract_ms", "moderate_ms",
    "result_uri", "run_id",
)  # fmt: skip
_DOCUMENT_TYPES = (
    "text", "text", "text", "text", "text", "text", "int8", "timestamptz", "timestamptz", "text", "text",
    "float4", "int4", "int4", "text", "text", "text", "int4", "int4", "text", "text",
)  # fmt: skip

# A rerun that produces the same content must not touch the row (its updated_at included). Field rows
# are not compared one by one: they are replaced as a unit when the document row changes, and an engine
# whose fields (confidence, extractor, ...) change for the same bytes changes its engine_version (the
# local engine's names its OCR reader and field-selection model).
_CONTENT_COLUMNS = (
    "content_sha256", "s3_etag", "status", "document_type", "page_count", "engine_version",
    "moderation_decision", "result_uri",
)  # fmt: skip

FIELD_COLUMNS = (
    "document_id", "tenant_id", "ordinal", "content_sha256", "field_type", "form_key", "mention_text",
    "value_text", "value_number", "value_date", "currency", "confidence", "page", "bbox", "extractor",
)  # fmt: skip
# Array and date values are sent as their text form ("{0.1,0.2}", "2026-03-14"): COPY's text format
# is parsed by the column's type on the server, and psycopg's Python array dumper is the slow path.
_FIELD_TYPES = (
    "text", "text", "int4", "text", "text", "text", "text", "text", "numeric", "text", "text", "float4",
    "int4", "text", "text",
)  # fmt: skip

MODERATION_COLUMNS = (
    "document_id", "tenant_id", "content_sha256", "decision", "categories", "reasons", "pii_count", "engine",
    "engine_version",
)  # fmt: skip
_MODERATION_TYPES = ("text", "text", "text", "text", "text", "text", "int4", "text", "text")

PII_COLUMNS = ("document_id", "tenant_id", "ordinal", "pii_type", "start_offset", "end_offset")
_PII_TYPES = ("text", "text", "int4", "text", "int4", "int4")

ERROR_COLUMNS = (
    "document_id", "tenant_id", "object_key", "content_sha256", "reason", "message", "quarantine_uri", "run_id",
)  # fmt: skip
_ERROR_TYPES = ("text",) * len(ERROR_COLUMNS)

_CHILD_TABLES = ("document_fields", "moderation_results", "pii_findings", "processing_errors")


@dataclass(frozen=True)
class ExistingDocument:
    document_id: str
    s3_etag: str
    status: str
    engine_version: str | None


@dataclass(frozen=True)
class WriteResult:
    documents_changed: int
    fields: int
    errors: int


def source_hour(key: str, fallback: datetime) -> datetime:
    """The upload hour encoded in a key `<prefix>/<tenant>/<YYYY>/<MM>/<DD>/<HH>/<file>`."""
    parts = key.split("/")
    try:
        y, m, d, h = (int(p) for p in parts[2:6])
        return datetime(y, m, d, h, tzinfo=UTC)
    except (ValueError, IndexError):
        return fallback.replace(minute=0, second=0, microsecond=0)


def fetch_existing(conn: psycopg.Connection, document_ids: Sequence[str]) -> dict[str, ExistingDocument]:
    """What the store already holds for these documents, in one round trip."""
    if not document_ids:
        return {}
    rows = conn.execute(
        "SELECT document_id, s3_etag, status, engine_version FROM docpipe.documents WHERE document_id = ANY(%s)",
        (list(document_ids),),
    ).fetchall()
    return {r[0]: ExistingDocument(*r) for r in rows}


@contextmanager
def tenant_transaction(conn: psycopg.Connection, tenant_id: str) -> Iterator[psycopg.Connection]:
    """A transaction that an application role (docpipe_app) runs for one tenant.

    The tenant is set with `set_config(..., is_local => true)`, so it ends with the transaction and a
    pooled connection never carries one tenant's setting into another tenant's request."""
    with conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        yield conn


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL; extracted text occasionally does.
    return text.replace("\x00", "") if "\x00" in text else text


def _field_values(e: Entity) -> tuple[str | None, str | None, Decimal | None, str | None, str | None]:
    """(value_text, form_key, value_number, value_date, currency) from an entity's normalized value."""
    nv = e.normalized_value
    if not nv:
        return None, None, None, None, None
    text = nv.get("text")
    key = nv.get("key")
    number = currency = date = None
    if money := nv.get("moneyValue"):
        try:
            number = Decimal(str(money.get("units", "0"))) + Decimal(int(money.get("nanos", 0))).scaleb(-9)
        except (InvalidOperation, ValueError, TypeError):
            number = None
        currency = money.get("currencyCode")
    elif "floatValue" in nv:
        try:
            number = Decimal(str(nv["floatValue"]))
        except InvalidOperation:
            number = None
    if dv := nv.get("dateValue"):
        try:
            date = f"{int(dv['year']):04d}-{int(dv['month']):02d}-{int(dv['day']):02d}"
        except (KeyError, ValueError, TypeError):
            date = None
    if text is not None:
        text = _clean(str(text))
    if key is not None:
        key = _clean(str(key))
    return text, key, number, date, currency


def _real_array(values: Sequence[float] | None) -> str | None:
    return None if values is None else "{" + ",".join(map(repr, map(float, values))) + "}"


def _text_array(values: Sequence[str]) -> str:
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in map(_clean, values))
    return "{" + ",".join(quoted) + "}"


def _document_row(d: ProcessedDocument, run_id: str) -> tuple[Any, ...]:
    ex, ref = d.extraction, d.ref
    return (
        ref.document_id, ref.tenant_id, ref.bucket, ref.key, d.content_sha256, ref.etag, ref.size,
        ref.last_modified, source_hour(ref.key, ref.last_modified), "processed", ex.document_type,
        round(ex.type_confidence, 4), ex.page_count, ex.ocr_pages, ex.engine, ex.engine_version,
        d.moderation.decision, d.extract_ms, d.moderate_ms, d.result_uri, run_id,
    )  # fmt: skip


def _quarantine_row(q: QuarantinedDocument, run_id: str) -> tuple[Any, ...]:
    ref = q.ref
    return (
        ref.document_id, ref.tenant_id, ref.bucket, ref.key, q.content_sha256, ref.etag, ref.size,
        ref.last_modified, source_hour(ref.key, ref.last_modified), "quarantined", None, None, None,
        None, None, None, None, None, None, None, run_id,
    )  # fmt: skip


def field_rows(d: ProcessedDocument) -> Iterator[tuple[Any, ...]]:
    """A processed document's document_fields rows, in FIELD_COLUMNS order."""
    doc_id, tenant, sha = d.ref.document_id, d.ref.tenant_id, d.content_sha256
    for i, e in enumerate(d.extraction.entities):
        text, key, number, date, currency = _field_values(e)
        c = e.confidence
        yield (doc_id, tenant, i, sha, e.type, key, _clean(e.mention_text), text, number, date, currency,
               round(0.0 if c < 0 else 1.0 if c > 1 else c, 4), e.page, _real_array(e.bbox),
               None if e.extractor is None else _clean(e.extractor))  # fmt: skip


def _moderation_row(d: ProcessedDocument) -> tuple[Any, ...]:
    m = d.moderation
    return (d.ref.document_id, d.ref.tenant_id, d.content_sha256, m.decision, json.dumps(m.categories, sort_keys=True),
            _text_array(m.reasons), len(m.pii), m.engine, m.engine_version)  # fmt: skip


def _error_row(q: QuarantinedDocument, run_id: str) -> tuple[Any, ...]:
    return (q.ref.document_id, q.ref.tenant_id, q.ref.key, q.content_sha256, q.reason, _clean(q.message[:2000]),
            q.quarantine_uri, run_id)  # fmt: skip


def _copy(
    cur: psycopg.Cursor, table: str, columns: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        cp.set_types(list(types))
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


# Staging tables live as long as the connection and are emptied at every commit, so a batch neither
# creates nor drops catalog entries (which costs more than the COPY of a small batch). They are
# shaped LIKE the real tables when first used on a connection. They are also emptied up front: on a
# connection that is not in autocommit mode, an earlier batch of the same open transaction (a
# savepoint) has not committed yet.
_STAGED = ("documents", *_CHILD_TABLES)
_STAGING_DDL = "\n".join(
    [
        "SET LOCAL client_min_messages = warning;",
        *(f"CREATE TEMP TABLE IF NOT EXISTS docpipe_stage_{t} (LIKE docpipe.{t} INCLUDING DEFAULTS) "
          "ON COMMIT DELETE ROWS;" for t in _STAGED),
        "CREATE TEMP TABLE IF NOT EXISTS docpipe_stage_changed (document_id text PRIMARY KEY, replaced boolean NOT NULL) "
        "ON COMMIT DELETE ROWS;",
        *(f"DELETE FROM docpipe_stage_{t};" for t in (*_STAGED, "changed")),
    ]
)  # fmt: skip


def _upsert_documents_sql() -> str:
    cols = ", ".join(DOCUMENT_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in DOCUMENT_COLUMNS if c != "document_id")
    changed_content = " OR ".join(f"d.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _CONTENT_COLUMNS)
    # Rows are taken in document_id order so that two batches sharing documents lock them in the same
    # order (no deadlock); a document listed twice keeps its newest upload. `xmax <> 0` tells an updated
    # row from an inserted one: a document new to the store has no children to delete.
    return f"""
        INSERT INTO docpipe.tenants (tenant_id) SELECT DISTINCT tenant_id FROM docpipe_stage_documents
        ON CONFLICT DO NOTHING;
        WITH upserted AS (
            INSERT INTO docpipe.documents AS d ({cols})
            SELECT DISTINCT ON (document_id) {cols} FROM docpipe_stage_documents
            ORDER BY document_id, uploaded_at DESC
            ON CONFLICT (document_id) DO UPDATE SET {updates}, updated_at = now()
            WHERE d.uploaded_at < EXCLUDED.uploaded_at
               OR (d.uploaded_at = EXCLUDED.uploaded_at AND ({changed_content}))
            RETURNING d.document_id, d.xmax <> 0 AS replaced
        )
        INSERT INTO docpipe_stage_changed SELECT document_id, replaced FROM upserted RETURNING document_id"""


# An array rather than a join: the planner has no statistics on a staging table and could pick a
# sequential scan of a large child table; `= ANY(array)` always probes the primary key.
_REPLACED = "SELECT document_id FROM docpipe_stage_changed WHERE replaced"


def _replace_children_sql() -> str:
    deletes = "\n".join(f"DELETE FROM docpipe.{t} WHERE document_id = ANY(ARRAY({_REPLACED}));" for t in _CHILD_TABLES)
    inserts = "\n".join(
        f"INSERT INTO docpipe.{t} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM docpipe_stage_{t};"
        for t, cols in zip(_CHILD_TABLES, (FIELD_COLUMNS, MODERATION_COLUMNS, PII_COLUMNS, ERROR_COLUMNS), strict=True)
    )
    return deletes + "\n" + inserts


_UPSERT_DOCUMENTS = _upsert_documents_sql()
_REPLACE_CHILDREN = _replace_children_sql()


def write_batch(
    conn: psycopg.Connection,
    processed: Sequence[ProcessedDocument],
    quarantined: Sequence[QuarantinedDocument],
    run_id: str,
) -> WriteResult:
    """Upsert a batch in one transaction. Older versions never overwrite newer ones.

    `conn` should be in autocommit mode (see `docpipe.connections.postgres_connection`): the batch
    then commits when this returns. Returns how many documents changed and how many field and
    error rows were written for them."""
    if not processed and not quarantined:
        return WriteResult(0, 0, 0)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_STAGING_DDL)
        _copy(cur, "docpipe_stage_documents", DOCUMENT_COLUMNS, _DOCUMENT_TYPES,
              [_document_row(d, run_id) for d in processed] + [_quarantine_row(q, run_id) for q in quarantined])  # fmt: skip
        cur.execute(_UPSERT_DOCUMENTS)
        cur.nextset()
        changed = {r[0] for r in cur.fetchall()}
        if not changed:
            return WriteResult(0, 0, 0)

        # Children of the documents that changed only, in key order (index inserts and foreign-key
        # probes then walk the b-trees instead of jumping); their old rows are deleted and these
        # inserted in one round trip once everything is staged.
        fresh = sorted((d for d in processed if d.ref.document_id in changed), key=lambda d: d.ref.document_id)
        fields = _copy(cur, "docpipe_stage_document_fields", FIELD_COLUMNS, _FIELD_TYPES,
                       (r for d in fresh for r in field_rows(d)))  # fmt: skip
        _copy(cur, "docpipe_stage_moderation_results", MODERATION_COLUMNS, _MODERATION_TYPES,
              map(_moderation_row, fresh))  # fmt: skip
        pii = [(d.ref.document_id, d.ref.tenant_id, i, p.pii_type, p.start, p.end)
               for d in fresh for i, p in enumerate(d.moderation.pii)]  # fmt: skip
        if pii:
            _copy(cur, "docpipe_stage_pii_findings", PII_COLUMNS, _PII_TYPES, pii)
        errors = [_error_row(q, run_id) for q in quarantined if q.ref.document_id in changed]
        if errors:
            _copy(cur, "docpipe_stage_processing_errors", ERROR_COLUMNS, _ERROR_TYPES, errors)
        cur.execute(_REPLACE_CHILDREN)
    return WriteResult(len(changed), fields, len(errors))


def record_run(conn: psycopg.Connection, *, dag_id: str, run_id: str, interval_start: datetime,
               interval_end: datetime, counts: dict[str, int], details: dict[str, Any], status: str,
               started_at: datetime | None, finished_at: datetime | None) -> None:  # fmt: skip
    """Insert or replace one run's accounting row."""
    keys = ("listed", "processed", "quarantined", "unchanged", "missing", "batches", "pages", "ocr_pages")
    with conn.transaction():
        conn.execute(
            f"""INSERT INTO docpipe.pipeline_runs
                    (dag_id, run_id, interval_start, interval_end, {", ".join(keys)}, details, status,
                     started_at, finished_at)
                VALUES (%s, %s, %s, %s, {", ".join(["%s"] * len(keys))}, %s, %s, %s, %s)
                ON CONFLICT (dag_id, run_id) DO UPDATE SET
                    {", ".join(f"{k} = EXCLUDED.{k}" for k in keys)}, details = EXCLUDED.details,
                    status = EXCLUDED.status, started_at = EXCLUDED.started_at,
                    finished_at = EXCLUDED.finished_at, updated_at = now()""",
            (dag_id, run_id, interval_start, interval_end, *(int(counts.get(k, 0)) for k in keys),
             json.dumps(details, sort_keys=True, default=str), status, started_at, finished_at),
        )  # fmt: skip
