"""Google Document AI as an extraction backend, producing the same `ExtractionResult` as the local engine.

Reads: the document bytes; the processors from `DOCPIPE_DOCUMENTAI_PROCESSORS` (JSON, see
`DocumentAIConfig.from_env`); credentials from the Airflow Google connection (`google_cloud_default`,
keyfile in the connection). Calls `DocumentProcessorService.process_document` (online), one request per
chunk of at most 15 pages (30 in imageless mode). Returns the merged Document as JSON with the entity
names of the local engine's schemas, the document type, and the pages billed and their estimated cost
under `document["engine"]`.

Quota errors (RESOURCE_EXHAUSTED / HTTP 429) and UNAVAILABLE are retried with exponential backoff and full
jitter, which the client does not do by default; when the retries run out `DocumentAIUnavailable` is
raised, an infrastructure error (the batch should fail and be retried by Airflow, not quarantine the
document). Documents Google rejects as invalid raise the typed `DocumentError`s the ingest quarantines.
Concurrency against the project's quota is held by the Airflow pool `document_ai` on the batch task.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from docpipe.models import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    Entity,
    ExtractionResult,
    TooManyPages,
    UnsupportedDocument,
)

from . import BackendUnavailable
from .sniff import SUPPORTED, describe, sniff

log = logging.getLogger(__name__)

ONLINE_PAGE_LIMIT = 15
ONLINE_PAGE_LIMIT_IMAGELESS = 30
ONLINE_MAX_BYTES = 40 * 1024 * 1024  # the online request's document size limit

# USD per page, list prices of the processor families (cloud.google.com/document-ai/pricing, first
# volume tier). They change and vary by contract: set DOCPIPE_DOCUMENTAI_PRICES to your own.
DEFAULT_PRICES = {
    "default": 0.0015,  # Enterprise Document OCR, $1.50 per 1,000 pages
    "form": 0.03,  # Form Parser, $30 per 1,000 pages
    "invoice": 0.01,  # Invoice Parser, $0.10 per 10 pages
    "receipt": 0.01,  # Expense Parser, $0.10 per 10 pages
    "classifier": 0.005,  # Custom Classifier
}

# Document AI's entity names -> the names the local engine's schemas use, so downstream code never
# needs to know which backend ran.
ENTITY_NAMES = {
    "total_tax_amount": "tax_amount",
    "receiver_name": "customer_name",
    "purchase_date": "receipt_date",  # older Expense Parser versions
}
SCALAR_TYPES = frozenset(
    ("invoice_id", "invoice_date", "due_date", "receipt_date", "supplier_name", "supplier_address", "customer_name",
     "total_amount", "net_amount", "tax_amount", "currency")
)  # fmt: skip
MIME_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}
_PROCESSOR_RX = re.compile(
    r"^projects/[^/]+/locations/(?P<location>[^/]+)/processors/[^/]+(?:/processorVersions/[^/]+)?$"
)
# Ask only for what the result needs: page images (base64) would multiply the response size.
FIELD_MASK = "text,entities,pages.pageNumber,pages.dimension,pages.layout,pages.lines,pages.formFields,mimeType"


class DocumentAIUnavailable(BackendUnavailable):
    """Document AI kept answering RESOURCE_EXHAUSTED or UNAVAILABLE after every retry: a transient
    infrastructure failure, not a property of the document."""


@dataclass(frozen=True)
class DocumentAIConfig:
    """Where and how to call Document AI.

    `processors` maps a document type ("invoice", "receipt", "form"), "default" (required: used when the
    type is unknown or has no processor of its own, typically the OCR processor) and optionally
    "classifier" to a processor resource name, `projects/P/locations/L/processors/ID`, optionally with
    `/processorVersions/V` (pin versions: the engine version derives from these names).
    """

    processors: dict[str, str]
    gcp_conn_id: str = "google_cloud_default"
    api_endpoint: str | None = None  # default: the processor's regional endpoint, L-documentai.googleapis.com
    transport: str = "grpc"
    imageless: bool = False
    prices: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    max_attempts: int = 6
    backoff_initial: float = 1.0
    backoff_max: float = 32.0
    timeout: float = 120.0
    max_pages: int = 200

    def __post_init__(self) -> None:
        from docpipe.config import ConfigError

        if "default" not in self.processors:
            raise ConfigError(
                'DOCPIPE_DOCUMENTAI_PROCESSORS needs a "default" processor (e.g. your Enterprise Document OCR '
                'processor): {"default": "projects/P/locations/eu/processors/ID", "invoice": "...", ...}'
            )
        for key, name in self.processors.items():
            if not _PROCESSOR_RX.match(name):
                raise ConfigError(
                    f"DOCPIPE_DOCUMENTAI_PROCESSORS[{key!r}]={name!r} is not a processor resource name "
                    "(projects/PROJECT/locations/LOCATION/processors/ID[/processorVersions/VERSION])"
                )
        if self.transport not in ("grpc", "rest"):
            raise ConfigError(f"DOCPIPE_DOCUMENTAI_TRANSPORT={self.transport!r} must be grpc or rest")

    @property
    def page_limit(self) -> int:
        return ONLINE_PAGE_LIMIT_IMAGELESS if self.imageless else ONLINE_PAGE_LIMIT

    @classmethod
    def from_env(cls) -> DocumentAIConfig:
        """DOCPIPE_DOCUMENTAI_PROCESSORS (JSON, required), DOCPIPE_DOCUMENTAI_PRICES (JSON, USD per page by
        the same keys), DOCPIPE_DOCUMENTAI_GCP_CONN_ID, DOCPIPE_DOCUMENTAI_ENDPOINT,
        DOCPIPE_DOCUMENTAI_TRANSPORT (grpc|rest), DOCPIPE_DOCUMENTAI_IMAGELESS (1 for 30-page requests),
        DOCPIPE_DOCUMENTAI_MAX_ATTEMPTS, DOCPIPE_MAX_PAGES."""
        from docpipe.config import ConfigError

        env = os.environ.get

        def parse(name: str, default: str) -> Any:
            raw = env(name) or default
            try:
                return json.loads(raw)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{name} is not valid JSON ({e})") from None

        processors = parse("DOCPIPE_DOCUMENTAI_PROCESSORS", "null")
        if not isinstance(processors, dict) or not processors:
            raise ConfigError(
                "the google extraction backend needs DOCPIPE_DOCUMENTAI_PROCESSORS, a JSON object from document "
                'type to processor, e.g. {"default": "projects/P/locations/eu/processors/OCR_ID", '
                '"invoice": "projects/P/locations/eu/processors/INVOICE_ID"}'
            )
        prices = {**DEFAULT_PRICES, **parse("DOCPIPE_DOCUMENTAI_PRICES", "{}")}
        try:
            max_attempts = int(env("DOCPIPE_DOCUMENTAI_MAX_ATTEMPTS") or 6)
            max_pages = int(env("DOCPIPE_MAX_PAGES") or 200)
            prices = {k: float(v) for k, v in prices.items()}
        except ValueError as e:
            raise ConfigError(f"invalid Document AI setting: {e}") from None
        return cls(
            processors={str(k): str(v) for k, v in processors.items()},
            gcp_conn_id=env("DOCPIPE_DOCUMENTAI_GCP_CONN_ID") or "google_cloud_default",
            api_endpoint=env("DOCPIPE_DOCUMENTAI_ENDPOINT") or None,
            transport=env("DOCPIPE_DOCUMENTAI_TRANSPORT") or "grpc",
            imageless=(env("DOCPIPE_DOCUMENTAI_IMAGELESS") or "").lower() in ("1", "true", "yes"),
            prices=prices,
            max_attempts=max_attempts,
            max_pages=max_pages,
        )


@dataclass
class _Usage:
    pages: int = 0  # pages billed, over every processor called (a classifier's pages included)
    cost: float = 0.0
    requests: int = 0
    retries: int = 0
    processors: list[str] = field(default_factory=list)


class GoogleDocumentAIBackend:
    """`process_document` per chunk of pages, merged into one Document-AI-shaped result."""

    name = "google"

    def __init__(
        self,
        config: DocumentAIConfig | None = None,
        *,
        credentials: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.config = config or DocumentAIConfig.from_env()
        self._credentials = credentials
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._sleep = sleep
        self._rng = rng or random.Random()
        pinned = json.dumps(sorted(self.config.processors.items())) + f"|imageless={self.config.imageless}"
        # which processors (and versions) produced a result: changing them re-extracts stored documents
        self.version = "documentai-v1-" + hashlib.sha256(pinned.encode()).hexdigest()[:10]

    # ------------------------------------------------------------------------------------------ public

    def extract(self, data: bytes, *, filename: str) -> ExtractionResult:
        if not data:
            raise EmptyDocument(f"{filename} is empty (0 bytes)")
        kind = sniff(data)
        if kind is None:
            raise UnsupportedDocument(f"{filename} is {describe(data)}, not a {SUPPORTED} file")
        usage = _Usage()
        pages, pre_type = _inspect(data, kind, filename, self.config.max_pages)
        # parts are cut one at a time: a long document is never held in memory as all its parts at once
        chunks = _chunks(data, kind, pages, self.config.page_limit, filename)
        first = next(chunks)

        doc_type = pre_type
        type_conf = 0.0
        if "classifier" in self.config.processors:
            classified = self._process("classifier", first[1], kind, first[2], filename, usage)
            doc_type, type_conf = _classifier_type(classified)
        key = doc_type if doc_type in self.config.processors else "default"

        docs, starts = [], []
        for start, chunk, n in itertools.chain([first], chunks):
            docs.append(self._process(key, chunk, kind, n, filename, usage))
            starts.append(start)
        document = merge_documents(docs, starts)
        entities = _entities(document)
        if key in ("invoice", "receipt", "form"):
            doc_type, type_conf = key, max(type_conf, 0.95)  # a specialised processor was chosen for this type
        elif doc_type is None or type_conf == 0.0:
            doc_type, type_conf = _classify_text(document, sum(e.type == "form_field" for e, _ in entities))
        document["mimeType"] = MIME_TYPES[kind]
        document["documentType"] = {"type": doc_type, "confidence": round(type_conf, 4)}
        document["entities"] = [_entity_json(e, span) for e, span in entities]
        document["engine"] = {
            "name": self.name,
            "version": self.version,
            "processors": usage.processors,
            "pagesBilled": usage.pages,
            "estimatedCostUsd": round(usage.cost, 6),
            "requests": usage.requests,
            "retries": usage.retries,
            "ocrPages": [],
        }
        return ExtractionResult(
            document=document,
            document_type=doc_type,
            type_confidence=round(type_conf, 4),
            page_count=pages,
            entities=[e for e, _ in entities],
            engine=self.name,
            engine_version=self.version,
            ocr_pages=pages if kind != "pdf" else 0,
        )

    # ------------------------------------------------------------------------------------------ calls

    def _client(self, processor: str) -> Any:
        from google.api_core.client_options import ClientOptions
        from google.cloud import documentai_v1 as documentai

        m = _PROCESSOR_RX.match(processor)
        assert m is not None  # validated with the configuration
        endpoint = self.config.api_endpoint or f"{m['location']}-documentai.googleapis.com"
        with self._lock:
            if endpoint not in self._clients:
                self._clients[endpoint] = documentai.DocumentProcessorServiceClient(
                    credentials=self._get_credentials(),
                    transport=self.config.transport,
                    client_options=ClientOptions(api_endpoint=endpoint),
                )
            return self._clients[endpoint]

    def _get_credentials(self) -> Any:
        if self._credentials is None:
            from airflow.providers.google.common.hooks.base_google import GoogleBaseHook

            self._credentials = GoogleBaseHook(gcp_conn_id=self.config.gcp_conn_id).get_credentials()
        return self._credentials

    def _process(self, key: str, chunk: bytes, kind: str, pages: int, filename: str, usage: _Usage) -> dict[str, Any]:
        from google.api_core import exceptions as gexc
        from google.cloud import documentai_v1 as documentai

        processor = self.config.processors[key]
        if len(chunk) > ONLINE_MAX_BYTES:
            raise DocumentTooLarge(
                f"{filename}: a {pages}-page request is {len(chunk) / 1e6:.1f} MB, over Document AI's "
                f"{ONLINE_MAX_BYTES / 1e6:.0f} MB online limit"
            )
        request = documentai.ProcessRequest(
            name=processor,
            raw_document=documentai.RawDocument(content=chunk, mime_type=MIME_TYPES[kind]),
            field_mask=FIELD_MASK,
            imageless_mode=self.config.imageless,
        )
        client = self._client(processor)
        retryable = (gexc.ResourceExhausted, gexc.TooManyRequests, gexc.ServiceUnavailable)
        for attempt in range(1, self.config.max_attempts + 1):
            usage.requests += 1
            try:
                response = client.process_document(request=request, timeout=self.config.timeout, retry=None)
                break
            except retryable as e:
                if attempt == self.config.max_attempts:
                    raise DocumentAIUnavailable(
                        f"Document AI answered {type(e).__name__} {self.config.max_attempts} times for {filename}: {e}"
                    ) from e
                delay = self.backoff(attempt)
                usage.retries += 1
                log.warning("Document AI %s on %s (attempt %d), retrying in %.1fs", type(e).__name__, filename,
                            attempt, delay)  # fmt: skip
                self._sleep(delay)
            except gexc.FailedPrecondition as e:
                raise DocumentError(f"Document AI cannot process {filename}: {e.message}") from None
            except gexc.BadRequest as e:  # INVALID_ARGUMENT (gRPC) / HTTP 400 (REST): the document itself
                raise CorruptDocument(f"Document AI rejected {filename} as invalid: {e.message}") from None
        usage.pages += pages
        usage.cost += pages * self.config.prices.get(key, self.config.prices.get("default", 0.0))
        usage.processors.append(processor)
        return json.loads(type(response.document).to_json(response.document, indent=None))

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry `attempt` (1-based): exponential, capped, with full jitter so that
        many workers hitting the quota together do not retry in lockstep."""
        ceiling = min(self.config.backoff_max, self.config.backoff_initial * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._rng.random())


# ---------------------------------------------------------------------------------------------- input


def _inspect(data: bytes, kind: str, filename: str, max_pages: int) -> tuple[int, str | None]:
    """(page count, document type guessed from a PDF's text layer or None) without sending anything."""
    if kind in ("png", "jpeg"):
        return 1, None
    if kind == "tiff":
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as im:
                n = getattr(im, "n_frames", 1)
        except (UnidentifiedImageError, OSError, ValueError, EOFError, Image.DecompressionBombError) as e:
            raise CorruptDocument(f"{filename} starts like a TIFF image but is damaged ({e})") from None
        if n > max_pages:
            raise TooManyPages(f"{filename} has {n} pages, over the {max_pages}-page limit")
        return n, None
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    from .layout import PDFIUM_LOCK, PageText, read_text_layer

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as e:
            if getattr(e, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise EncryptedDocument(
                    f"{filename} is a password-protected PDF; upload it without a password"
                ) from None
            raise CorruptDocument(
                f"{filename} is damaged or truncated: it starts like a PDF but cannot be parsed"
            ) from None
        try:
            n = len(pdf)
            if n == 0:
                raise CorruptDocument(f"{filename} is a PDF without any pages")
            if n > max_pages:
                raise TooManyPages(f"{filename} has {n} pages, over the {max_pages}-page limit")
            # a born-digital PDF says what it is for free: route it to its processor without a classifier
            pages, chars = [], 0
            for i in range(min(n, 3)):
                page = pdf[i]
                try:
                    w, h = page.get_size()
                    rows, nonspace = read_text_layer(page, i)
                finally:
                    page.close()
                chars += nonspace
                pages.append(PageText(i + 1, w, h, "points", rows, False))
        except pdfium.PdfiumError:
            raise CorruptDocument(f"{filename} has a damaged page") from None
        finally:
            pdf.close()
    if chars < 50:
        return n, None
    from .fields import Layout, classify, form_pairs

    text = "\n".join(" ".join(s.text for s in row) for p in pages for row in p.rows)
    doc_type, conf, _ = classify(pages, text, len(form_pairs(Layout(pages))))
    return n, doc_type if conf >= 0.6 and doc_type != "other" else None


def _chunks(data: bytes, kind: str, pages: int, limit: int, filename: str) -> Iterator[tuple[int, bytes, int]]:
    """(first page index, bytes, page count) per request: the document itself when it fits, else parts
    of at most `limit` pages in the same format."""
    if pages <= limit:
        yield 0, data, pages
        return
    starts = range(0, pages, limit)
    if kind == "pdf":
        import pypdfium2 as pdfium

        from .layout import PDFIUM_LOCK

        for start in starts:
            stop = min(start + limit, pages)
            with PDFIUM_LOCK:
                src = pdfium.PdfDocument(data)
                part = pdfium.PdfDocument.new()
                try:
                    part.import_pages(src, list(range(start, stop)))
                    buf = io.BytesIO()
                    part.save(buf)
                finally:
                    part.close()
                    src.close()
            yield start, buf.getvalue(), stop - start
        return
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        for start in starts:
            stop = min(start + limit, pages)
            frames = []
            for i in range(start, stop):
                im.seek(i)
                frames.append(im.copy())
            buf = io.BytesIO()
            frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
            yield start, buf.getvalue(), stop - start


# ---------------------------------------------------------------------------------------------- output


def _index(v: Any) -> int:
    return int(v or 0)  # int64 fields arrive as strings, and are omitted when 0


def _shift(node: Any, text_offset: int, page_offset: int) -> Any:
    """Move every text anchor by `text_offset` characters and every page reference by `page_offset`."""
    if isinstance(node, list):
        return [_shift(x, text_offset, page_offset) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k == "textSegments":
            out[k] = [
                {
                    "startIndex": _index(s.get("startIndex")) + text_offset,
                    "endIndex": _index(s.get("endIndex")) + text_offset,
                }
                for s in v
            ]
        elif k == "pageRefs":
            out[k] = [
                {**_shift(r, text_offset, page_offset), "page": str(_index(r.get("page")) + page_offset)} for r in v
            ]
        else:
            out[k] = _shift(v, text_offset, page_offset)
    return out


def merge_documents(docs: list[dict[str, Any]], first_pages: list[int]) -> dict[str, Any]:
    """One Document from the Documents of consecutive page chunks: texts concatenated, anchors and page
    numbers moved to match. A one-chunk document comes out with its anchors as plain integers."""
    text_parts: list[str] = []
    pages: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    for doc, first in zip(docs, first_pages, strict=True):
        text = doc.get("text", "")
        for p in doc.get("pages", []):
            p = _shift(p, offset, first)
            p["pageNumber"] = _index(p.get("pageNumber")) + first
            pages.append(p)
        entities.extend(_shift(e, offset, first) for e in doc.get("entities", []))
        text_parts.append(text)
        offset += len(text)
    return {"text": "".join(text_parts), "pages": pages, "entities": entities}


def _norm_vertices(poly: dict[str, Any] | None) -> list[float] | None:
    pts = (poly or {}).get("normalizedVertices") or []
    if not pts:
        return None
    xs = [float(p.get("x", 0.0)) for p in pts]
    ys = [float(p.get("y", 0.0)) for p in pts]
    return [min(xs), min(ys), max(xs), max(ys)]


def _normalized(e: dict[str, Any]) -> dict[str, Any] | None:
    """Document AI's normalizedValue with `text` rewritten the local engine's way (ISO dates, plain
    decimal amounts), so stores and comparisons see one format whichever backend ran."""
    nv = e.get("normalizedValue")
    if not nv:
        return None
    out = dict(nv)
    if mv := nv.get("moneyValue"):
        from decimal import Decimal

        amount = Decimal(str(mv.get("units", "0"))) + Decimal(int(mv.get("nanos", 0))) / Decimal(10**9)
        out["text"] = f"{amount:.2f}"
    elif dv := nv.get("dateValue"):
        with contextlib.suppress(KeyError, ValueError):
            out["text"] = f"{int(dv['year']):04d}-{int(dv['month']):02d}-{int(dv['day']):02d}"
    return out


def _entities(document: dict[str, Any]) -> list[tuple[Entity, dict[str, Any]]]:
    """Entities in the local engine's names: one per scalar field (the most confident across chunks),
    every repeated one (line items), and a `form_field` per form key-value pair."""
    found: list[tuple[Entity, dict[str, Any]]] = []
    best: dict[str, int] = {}
    for raw in document.get("entities", []):
        etype = ENTITY_NAMES.get(raw.get("type", ""), raw.get("type", ""))
        refs = (raw.get("pageAnchor") or {}).get("pageRefs") or [{}]
        e = Entity(
            type=etype,
            mention_text=raw.get("mentionText", ""),
            confidence=float(raw.get("confidence", 0.0)),
            page=_index(refs[0].get("page")),
            normalized_value=_normalized(raw) or {"text": raw.get("mentionText", "")},
            bbox=_norm_vertices(refs[0].get("boundingPoly")),
        )
        anchor = raw.get("textAnchor") or {}
        if etype in SCALAR_TYPES:
            if etype in best:
                if found[best[etype]][0].confidence >= e.confidence:
                    continue
                found[best[etype]] = (e, anchor)
                continue
            best[etype] = len(found)
        found.append((e, anchor))
    text = document.get("text", "")
    for p in document.get("pages", []):
        for ff in p.get("formFields", []):
            name, value = ff.get("fieldName") or {}, ff.get("fieldValue") or {}
            key = " ".join(_anchor_text(text, name.get("textAnchor")).split()).rstrip(":")
            val = " ".join(_anchor_text(text, value.get("textAnchor")).split())
            e = Entity(
                type="form_field",
                mention_text=val,
                confidence=float(value.get("confidence", 0.0)),
                page=_index(p.get("pageNumber")) - 1,
                normalized_value={"text": val, "key": key},
                bbox=_norm_vertices(value.get("boundingPoly")),
            )
            found.append((e, value.get("textAnchor") or {}))
    return found


def _anchor_text(text: str, anchor: dict[str, Any] | None) -> str:
    return "".join(
        text[_index(s.get("startIndex")) : _index(s.get("endIndex"))] for s in (anchor or {}).get("textSegments", [])
    )


def _entity_json(e: Entity, anchor: dict[str, Any]) -> dict[str, Any]:
    d = e.to_docai()
    d["textAnchor"] = anchor
    return d


def _classifier_type(doc: dict[str, Any]) -> tuple[str | None, float]:
    """The classifier's most confident label, as one of the local engine's document types."""
    ents = doc.get("entities", [])
    if not ents:
        return None, 0.0
    top = max(ents, key=lambda e: float(e.get("confidence", 0.0)))
    label = str(top.get("type", "")).lower()
    for t in ("invoice", "receipt", "form"):
        if t in label:
            return t, float(top.get("confidence", 0.0))
    return "other", float(top.get("confidence", 0.0))


def _classify_text(document: dict[str, Any], form_fields: int) -> tuple[str, float]:
    """The local engine's classification rules over the text Google read."""
    from .fields import classify
    from .layout import PageText

    pages = [
        PageText(_index(p.get("pageNumber")), float(p.get("dimension", {}).get("width", 1.0)),
                 float(p.get("dimension", {}).get("height", 1.0)), "pixels", [], True)
        for p in document.get("pages", [])
    ]  # fmt: skip
    doc_type, conf, _ = classify(pages, document.get("text", ""), form_fields)
    return doc_type, conf
