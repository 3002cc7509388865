"""Processes one batch of listed objects: read, extract, moderate, store, or quarantine.

Bad input never stops the batch: a document that cannot be processed is quarantined with a typed
reason and the rest carry on. Infrastructure errors (S3, Postgres, DynamoDB unavailable) raise, so
Airflow retries the whole batch; every write is idempotent, so a retry converges.

Quarantine copies go to `quarantine/<upload key>` in the uploads bucket. An upload key near S3's
1,024-byte limit would not fit behind that prefix: its copy keeps as much of the key as fits and
ends in a hash of the full key (`quarantine_key`), so every rerun writes the same copy. Should S3
still refuse the copy, the document is recorded with its reason and without a copy.

Uploads under a folder that is not a tenant id (`TENANT_ID_RE`) are quarantined on S3 as
`invalid_tenant` and counted, but nothing is written to Postgres or DynamoDB under that name.

Write order: results JSON on S3, then DynamoDB, then Postgres last. Postgres is what later runs
consult to skip unchanged documents, so a batch that failed half-way is redone in full.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import psycopg
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from docpipe import metrics
from docpipe.models import (
    BatchOutcome,
    DocumentError,
    DocumentTooLarge,
    EngineFailure,
    ExtractionResult,
    InvalidTenant,
    ObjectRef,
    ObjectVanished,
    ProcessedDocument,
    QuarantinedDocument,
    is_valid_tenant_id,
)
from docpipe.storage import dynamodb, postgres

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

ReprocessMode = Literal["changed", "failed", "all"]
REPROCESS_MODES: tuple[str, ...] = ("changed", "failed", "all")
QUARANTINE_PREFIX = "quarantine"
S3_MAX_KEY_BYTES = 1024  # S3 refuses longer keys (KeyTooLongError)

# S3 answers that say "try again later" rather than "not this object": a quarantine copy refused with
# one of them fails the batch (Airflow retries it) instead of being recorded without a copy.
_TRANSIENT_S3_CODES = frozenset(
    {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "Throttling",
     "ThrottlingException", "RequestLimitExceeded", "500", "502", "503", "504"}
)  # fmt: skip


@dataclass
class BatchContext:
    """Everything a batch needs; built by the operator from Airflow connections."""

    s3: Any
    dynamodb: Any
    pg: psycopg.Connection
    extractor: Any  # docpipe.extraction.ExtractionBackend
    moderator: Any  # docpipe.moderation.ModerationBackend
    processed_bucket: str
    dynamodb_table: str
    run_id: str
    max_document_bytes: int
    reprocess: ReprocessMode = "changed"
    read_workers: int = 8


def needs_processing(
    ref: ObjectRef, existing: postgres.ExistingDocument | None, mode: str, engine_version: str
) -> bool:
    """Whether a listed object must be (re)processed, given what the store holds for it."""
    if mode not in REPROCESS_MODES:
        raise ValueError(f"reprocess mode {mode!r} is not one of {', '.join(REPROCESS_MODES)}")
    if existing is None or mode == "all":
        return True
    if existing.s3_etag != ref.etag:
        return True  # new bytes at the same key: a new version
    if existing.status == "quarantined":
        return mode == "failed"
    return existing.engine_version != engine_version  # same bytes, but an engine upgrade


def _read(s3: Any, ref: ObjectRef, max_bytes: int) -> bytes:
    if ref.size > max_bytes:
        raise DocumentTooLarge(
            f"{ref.size:,} bytes is over the {max_bytes:,}-byte limit; raise DOCPIPE_MAX_DOCUMENT_BYTES to accept it"
        )
    try:
        body = s3.get_object(Bucket=ref.bucket, Key=ref.key, IfMatch=f'"{ref.etag}"')["Body"]
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code in ("NoSuchKey", "404"):
            raise ObjectVanished("the object was deleted after it was listed") from None
        if code in ("PreconditionFailed", "412"):
            raise ObjectVanished(
                "the object was overwritten after it was listed; the next run picks up the new version"
            ) from None
        raise
    data = body.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"object grew past the {max_bytes:,}-byte limit")
    return data


def _result_key(ref: ObjectRef, sha: str) -> str:
    # tenant ids are at most 63 bytes (TENANT_ID_RE): the key stays far under S3's limit whatever the upload key
    return f"{ref.tenant_id}/{ref.document_id}/{sha}.json"


def _utf8_prefix(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` that is at most `max_bytes` bytes in UTF-8 (never half a character)."""
    return text.encode()[:max_bytes].decode("utf-8", "ignore")


def quarantine_key(upload_key: str) -> str:
    """Where the quarantine copy of `upload_key` goes: `quarantine/<upload key>` when that fits in S3's
    1,024 bytes; otherwise as much of it as fits, then `~` and a hash of the full upload key, then the
    file's extension. Deterministic (a rerun overwrites the same copy) and distinct per upload key."""
    key = f"{QUARANTINE_PREFIX}/{upload_key}"
    if len(key.encode()) <= S3_MAX_KEY_BYTES:
        return key
    name = upload_key.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    ext = name[dot:] if dot > 0 and len(name) - dot <= 10 and name[dot:].isprintable() else ""
    suffix = f"~{hashlib.sha256(upload_key.encode()).hexdigest()[:32]}{ext}"
    return _utf8_prefix(key, S3_MAX_KEY_BYTES - len(suffix.encode())) + suffix


def _transient(e: Exception) -> bool:
    """An S3 failure worth retrying the batch for (the service, not this object)."""
    if isinstance(e, BotoConnectionError):
        return True  # connection refused, reset or timed out after botocore's own retries
    if isinstance(e, ClientError):
        code = str(e.response.get("Error", {}).get("Code", ""))
        status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in _TRANSIENT_S3_CODES or status >= 500 or status == 429
    return False


def _is_infrastructure(e: Exception) -> bool:
    """An extraction failure that is not about the document: the engine's service is unavailable or
    unreachable. These fail the batch (Airflow retries it) instead of quarantining a good document."""
    from docpipe.extraction import BackendUnavailable

    return isinstance(e, BackendUnavailable) or _transient(e)


def _quarantine(ctx: BatchContext, ref: ObjectRef, sha: str | None, err: DocumentError) -> QuarantinedDocument:
    """Copy the upload under `quarantine/` with its reason in the copy's metadata, and describe it for the
    stores. A copy that S3 refuses for this object (not an outage) is logged and recorded as missing
    (`quarantine_uri` empty, the message says why): one document never fails the batch."""
    uri = None
    message = err.message
    if not isinstance(err, ObjectVanished):
        qkey = quarantine_key(ref.key)
        try:
            ctx.s3.copy_object(Bucket=ref.bucket, Key=qkey, CopySource={"Bucket": ref.bucket, "Key": ref.key},
                               MetadataDirective="REPLACE",
                               Metadata={"reason": err.reason, "document-id": ref.document_id})  # fmt: skip
            uri = f"s3://{ref.bucket}/{qkey}"
        except Exception as e:
            if _transient(e):
                raise
            if isinstance(e, ClientError) and e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                what = "the object was deleted before its quarantine copy was made"
            else:
                what = f"its quarantine copy could not be written ({_error_name(e)})"
            log.warning("no quarantine copy of %s (%s): %s", ref.key, err.reason, what)
            message = f"{message}; {what}"
    log.warning("quarantined %s (%s): %s", ref.key, err.reason, message)
    return QuarantinedDocument(ref=ref, content_sha256=sha, reason=err.reason, message=message, quarantine_uri=uri)


def _error_name(e: Exception) -> str:
    if isinstance(e, ClientError):
        return str(e.response.get("Error", {}).get("Code") or type(e).__name__)
    return type(e).__name__


def _result_json(ref: ObjectRef, sha: str, ex: ExtractionResult, moderation: dict[str, Any]) -> bytes:
    """The replayable record of one document version. Deterministic: reprocessing the same bytes with
    the same engines rewrites the same file (which run wrote it is in Postgres)."""
    return json.dumps(
        {
            "documentId": ref.document_id,
            "tenantId": ref.tenant_id,
            "source": {"bucket": ref.bucket, "key": ref.key, "etag": ref.etag, "size": ref.size,
                       "lastModified": ref.last_modified.isoformat(), "sha256": sha},
            "document": ex.document,
            "moderation": moderation,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()  # fmt: skip


# Uploads read ahead of the one being extracted: enough to hide S3's latency, few enough that a batch of
# large scans is never all in memory at once.
READ_AHEAD = 32
# Documents extracted, moderated and put to S3 together: at most CHUNK_DOCUMENTS of them, or fewer once they
# hold CHUNK_PAGES pages (an OCRed page's tokens and boxes weigh far more than a born-digital document).
# Their Document-AI JSON is dropped once stored, so a task holds at most one chunk of it, plus the batch's
# store rows, whatever the batch size.
CHUNK_DOCUMENTS = 200
CHUNK_PAGES = 16


def _read_ahead(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Sequence[T], window: int) -> Iterator[R]:
    """`pool.map(fn, items)` with at most `window` calls submitted ahead of the caller (map submits them all)."""
    pending: deque[Future[R]] = deque()
    it = iter(items)
    for item in itertools.islice(it, window):
        pending.append(pool.submit(fn, item))
    while pending:
        result = pending.popleft().result()
        for item in itertools.islice(it, 1):
            pending.append(pool.submit(fn, item))
        yield result


def process_batch(ctx: BatchContext, batch_index: int, refs: Sequence[ObjectRef]) -> BatchOutcome:
    started = time.monotonic()
    outcome = BatchOutcome(batch_index=batch_index, listed=len(refs))
    # set aside on S3 and counted, never written to a store: a row or item would create that tenant
    rejected = [
        _quarantine(ctx, r, None, InvalidTenant(
            f"the upload is under the folder {r.tenant_id!r}, which is not a tenant id (lowercase letters, "
            "digits, '-' and '_', starting with a letter or digit, at most 63 characters)"))
        for r in refs if not is_valid_tenant_id(r.tenant_id)
    ]  # fmt: skip
    refs = [r for r in refs if is_valid_tenant_id(r.tenant_id)]
    existing = postgres.fetch_existing(ctx.pg, [r.document_id for r in refs])
    todo = [r for r in refs if needs_processing(r, existing.get(r.document_id), ctx.reprocess, ctx.extractor.version)]
    outcome.unchanged = len(refs) - len(todo)

    def read(ref: ObjectRef) -> tuple[ObjectRef, bytes | DocumentError]:
        try:
            return ref, _read(ctx.s3, ref, ctx.max_document_bytes)
        except DocumentError as e:
            return ref, e

    quarantined: list[QuarantinedDocument] = []
    processed: list[ProcessedDocument] = []

    def put_result(item: tuple[tuple[ObjectRef, str, ExtractionResult, int], Any]) -> str:
        (ref, sha, result, _), verdict = item
        key = _result_key(ref, sha)
        ctx.s3.put_object(Bucket=ctx.processed_bucket, Key=key, ContentType="application/json",
                          Body=_result_json(ref, sha, result, verdict.to_json()))  # fmt: skip
        return f"s3://{ctx.processed_bucket}/{key}"

    def finish(extracted: list[tuple[ObjectRef, str, ExtractionResult, int]]) -> None:
        """Moderate a chunk, put its results JSONs, and keep only what the stores need of it."""
        if not extracted:
            return
        t0 = time.perf_counter()
        verdicts = ctx.moderator.moderate_many([r.text for _, _, r, _ in extracted])
        moderate_ms = int((time.perf_counter() - t0) * 1000 / len(extracted))
        # several PUTs at a time: one after another took ~a quarter of a born-digital batch
        uris = list(put_pool.map(put_result, zip(extracted, verdicts, strict=True)))
        processed.extend(
            ProcessedDocument(ref=ref, content_sha256=sha, extraction=result.without_document(), moderation=verdict,
                              result_uri=uri, extract_ms=extract_ms, moderate_ms=moderate_ms)
            for (ref, sha, result, extract_ms), verdict, uri in zip(extracted, verdicts, uris, strict=True)
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=ctx.read_workers) as pool, \
            ThreadPoolExecutor(max_workers=ctx.read_workers) as put_pool:  # fmt: skip
        chunk: list[tuple[ObjectRef, str, ExtractionResult, int]] = []
        chunk_pages = 0
        for ref, data in _read_ahead(pool, read, todo, READ_AHEAD):  # reads overlap with extraction
            if isinstance(data, DocumentError):
                quarantined.append(_quarantine(ctx, ref, None, data))
                continue
            sha = hashlib.sha256(data).hexdigest()
            t0 = time.perf_counter()
            try:
                result = ctx.extractor.extract(data, filename=ref.key.rsplit("/", 1)[-1])
            except DocumentError as e:
                quarantined.append(_quarantine(ctx, ref, sha, e))
                continue
            except Exception as e:  # an engine bug on one document must not sink the batch
                if _is_infrastructure(e):
                    raise
                log.exception("extraction crashed on %s", ref.key)
                quarantined.append(_quarantine(ctx, ref, sha, EngineFailure(
                    f"the extraction engine failed: {type(e).__name__}: {e}")))  # fmt: skip
                continue
            chunk.append((ref, sha, result, int((time.perf_counter() - t0) * 1000)))
            chunk_pages += result.page_count
            if len(chunk) >= CHUNK_DOCUMENTS or chunk_pages >= CHUNK_PAGES:
                finish(chunk)
                chunk, chunk_pages = [], 0
        finish(chunk)

    dynamodb.write_documents(ctx.dynamodb, ctx.dynamodb_table, processed, quarantined)
    postgres.write_batch(ctx.pg, processed, quarantined, ctx.run_id)

    _emit_batch_metrics(processed)
    outcome.processed = len(processed)
    outcome.quarantined = len(quarantined) + len(rejected)
    outcome.pages = sum(p.extraction.page_count for p in processed)
    outcome.ocr_pages = sum(p.extraction.ocr_pages for p in processed)
    for q in (*quarantined, *rejected):
        outcome.quarantine_reasons[q.reason] = outcome.quarantine_reasons.get(q.reason, 0) + 1
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome


LOW_CONFIDENCE = 0.8  # fields below this are what review routing looks at


def _emit_batch_metrics(processed: Sequence[ProcessedDocument]) -> None:
    """Per-document latencies, moderation decisions and low-confidence fields (StatsD, docpipe.metrics)."""
    decisions: dict[str, int] = {}
    for p in processed:
        metrics.timing("docpipe.extract.duration", p.extract_ms)
        metrics.timing("docpipe.moderate.duration", p.moderate_ms)
        decisions[p.moderation.decision] = decisions.get(p.moderation.decision, 0) + 1
    for decision, n in decisions.items():
        metrics.incr(f"docpipe.moderation.{decision}", n)
    metrics.incr("docpipe.fields.extracted", sum(len(p.extraction.entities) for p in processed))
    metrics.incr(
        "docpipe.fields.low_confidence",
        sum(1 for p in processed for e in p.extraction.entities if e.confidence < LOW_CONFIDENCE),
    )


def summarise(outcomes: Sequence[dict[str, Any]], listed: int) -> dict[str, Any]:
    """Add up the batches' outcomes and check that every listed object is accounted for."""
    totals = {k: 0 for k in ("processed", "quarantined", "unchanged", "pages", "ocr_pages")}
    reasons: dict[str, int] = {}
    for o in outcomes:
        for k in totals:
            totals[k] += int(o.get(k, 0))
        for reason, n in (o.get("quarantine_reasons") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + n
    accounted = totals["processed"] + totals["quarantined"] + totals["unchanged"]
    return {"listed": listed, **totals, "batches": len(outcomes), "missing": listed - accounted,
            "quarantine_reasons": reasons}  # fmt: skip
