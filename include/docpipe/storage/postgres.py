"""Bulk, idempotent writes of a batch's results to the Postgres application store.

A batch is written in one transaction: its rows are COPYed into temporary tables, documents are
upserted on identity keeping the newest version, and the child rows (fields, moderation, PII,
errors) of every document whose row changed are replaced as a unit. Writing the same batch again
changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
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

# A rerun that produces the same content must not touch the row (its updated_at included).
_CONTENT_COLUMNS = (
    "content_sha256", "s3_etag", "status", "document_type", "page_count", "engine_version",
    "moderation_decision", "result_uri",
)  # fmt: skip

FIELD_COLUMNS = (
    "document_id", "ordinal", "content_sha256", "field_type", "mention_text", "value_text",
    "value_number", "value_date", "currency", "confidence", "page", "bbox",
)  # fmt: skip


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


def _field_values(e: Entity) -> tuple[str | None, Decimal | None, str | None, str | None]:
    nv = e.normalized_value or {}
    text = nv.get("text")
    number = currency = date = None
    if money := nv.get("moneyValue"):
        try:
            number = Decimal(str(money.get("units", "0"))) + Decimal(int(money.get("nanos", 0))) / Decimal(10**9)
        except (InvalidOperation, ValueError):
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
        except (KeyError, ValueError):
            date = None
    return text, number, date, currency


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


def _copy(cur: psycopg.Cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def write_batch(
    conn: psycopg.Connection,
    processed: Sequence[ProcessedDocument],
    quarantined: Sequence[QuarantinedDocument],
    run_id: str,
) -> WriteResult:
    """Upsert a batch in one transaction. Older versions never overwrite newer ones."""
    if not processed and not quarantined:
        return WriteResult(0, 0, 0)
    with conn.transaction(), conn.cursor() as cur:
        tenants = sorted({d.ref.tenant_id for d in processed} | {q.ref.tenant_id for q in quarantined})
        cur.execute(
            "INSERT INTO docpipe.tenants (tenant_id) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING", (tenants,)
        )

        cur.execute("CREATE TEMP TABLE tmp_documents (LIKE docpipe.documents INCLUDING DEFAULTS) ON COMMIT DROP")
        _copy(
            cur,
            "tmp_documents",
            DOCUMENT_COLUMNS,
            [_document_row(d, run_id) for d in processed] + [_quarantine_row(q, run_id) for q in quarantined],
        )
        cols = ", ".join(DOCUMENT_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in DOCUMENT_COLUMNS if c != "document_id")
        changed_content = " OR ".join(f"d.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _CONTENT_COLUMNS)
        cur.execute(
            f"""INSERT INTO docpipe.documents AS d ({cols})
                SELECT {cols} FROM tmp_documents
                ON CONFLICT (document_id) DO UPDATE SET {updates}, updated_at = now()
                WHERE d.uploaded_at < EXCLUDED.uploaded_at
                   OR (d.uploaded_at = EXCLUDED.uploaded_at AND ({changed_content}))
                RETURNING document_id"""
        )
        changed = {r[0] for r in cur.fetchall()}
        if not changed:
            return WriteResult(0, 0, 0)

        ids = sorted(changed)
        for table in ("document_fields", "moderation_results", "pii_findings", "processing_errors"):
            cur.execute(f"DELETE FROM docpipe.{table} WHERE document_id = ANY(%s)", (ids,))

        field_rows: list[tuple[Any, ...]] = []
        moderation_rows: list[tuple[Any, ...]] = []
        pii_rows: list[tuple[Any, ...]] = []
        for d in processed:
            doc_id = d.ref.document_id
            if doc_id not in changed:
                continue
            for i, e in enumerate(d.extraction.entities):
                text, number, date, currency = _field_values(e)
                field_rows.append(
                    (doc_id, i, d.content_sha256, e.type, e.mention_text, text, number, date, currency,
                     round(min(max(e.confidence, 0.0), 1.0), 4), e.page, e.bbox)
                )  # fmt: skip
            m = d.moderation
            moderation_rows.append(
                (doc_id, d.content_sha256, m.decision, json.dumps(m.categories, sort_keys=True), m.reasons,
                 len(m.pii), m.engine, m.engine_version)
            )  # fmt: skip
            pii_rows.extend((doc_id, i, p.pii_type, p.start, p.end) for i, p in enumerate(m.pii))

        _copy(cur, "docpipe.document_fields", FIELD_COLUMNS, field_rows)
        _copy(
            cur,
            "docpipe.moderation_results",
            ("document_id", "content_sha256", "decision", "categories", "reasons", "pii_count", "engine",
             "engine_version"),
            moderation_rows,
        )  # fmt: skip
        _copy(cur, "docpipe.pii_findings", ("document_id", "ordinal", "pii_type", "start_offset", "end_offset"),
              pii_rows)  # fmt: skip
        error_rows = [
            (q.ref.document_id, q.ref.tenant_id, q.ref.key, q.content_sha256, q.reason, q.message[:2000],
             q.quarantine_uri, run_id)
            for q in quarantined
            if q.ref.document_id in changed
        ]  # fmt: skip
        _copy(
            cur,
            "docpipe.processing_errors",
            ("document_id", "tenant_id", "object_key", "content_sha256", "reason", "message", "quarantine_uri",
             "run_id"),
            error_rows,
        )  # fmt: skip
    return WriteResult(len(changed), len(field_rows), len(error_rows))


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
