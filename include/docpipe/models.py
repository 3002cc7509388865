"""The contracts that cross module boundaries: an object to process, what extraction and
moderation return, and what a batch reports back to its run."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

DocumentStatus = Literal["processed", "quarantined"]
Decision = Literal["allow", "review", "block"]

# What a tenant id may be: the same rule as the CHECK on docpipe.tenants.tenant_id. Tenant ids become
# Postgres values, DynamoDB partition keys and S3 path segments, so nothing else is ever written.
TENANT_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def is_valid_tenant_id(tenant_id: str) -> bool:
    return TENANT_ID_RE.fullmatch(tenant_id) is not None


def document_id_for(tenant_id: str, bucket: str, key: str) -> str:
    """Stable identity of an S3 object: the same tenant, bucket and key always map to the same id."""
    return hashlib.sha256(f"{tenant_id}\x1f{bucket}\x1f{key}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ObjectRef:
    """One listed S3 object, as the manifest records it (no bytes read yet)."""

    tenant_id: str
    bucket: str
    key: str
    size: int
    etag: str
    last_modified: datetime

    @property
    def document_id(self) -> str:
        return document_id_for(self.tenant_id, self.bucket, self.key)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["last_modified"] = self.last_modified.isoformat()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ObjectRef:
        return cls(**{**d, "last_modified": datetime.fromisoformat(d["last_modified"])})


@dataclass
class Entity:
    """One extracted field, shaped after Document AI's `Document.Entity`."""

    type: str
    mention_text: str
    confidence: float
    page: int = 0  # zero-based, as Document AI's pageAnchor
    normalized_value: dict[str, Any] | None = None  # {"text": ...} plus dateValue / moneyValue / floatValue
    bbox: list[float] | None = None  # normalised [x0, y0, x1, y1]
    # What produced the field: the field selector's model tag ("fs-" and its hash), "rules" for the
    # hand-written rules, None when the engine does not say (Google Document AI).
    extractor: str | None = None

    def to_docai(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "mentionText": self.mention_text,
            "confidence": round(self.confidence, 4),
            "pageAnchor": {"pageRefs": [{"page": str(self.page)}]},
        }
        if self.bbox:
            x0, y0, x1, y1 = self.bbox
            out["pageAnchor"]["pageRefs"][0]["boundingPoly"] = {
                "normalizedVertices": [{"x": x0, "y": y0}, {"x": x1, "y": y0}, {"x": x1, "y": y1}, {"x": x0, "y": y1}]
            }
        if self.normalized_value is not None:
            out["normalizedValue"] = self.normalized_value
        if self.extractor is not None:
            out["extractor"] = self.extractor
        return out


@dataclass
class ExtractionResult:
    """What an extraction backend returns for one document.

    `document` is the Document-AI-shaped JSON (text, pages, entities, ...); the typed attributes
    beside it are what the stores need without walking that JSON.
    """

    document: dict[str, Any]
    document_type: str
    type_confidence: float
    page_count: int
    entities: list[Entity]
    engine: str
    engine_version: str
    ocr_pages: int = 0

    @property
    def text(self) -> str:
        return str(self.document.get("text", ""))

    def without_document(self) -> ExtractionResult:
        """This result without its Document-AI JSON (pages, tokens, text), once that is stored: what the
        Postgres and DynamoDB writers read are the typed attributes."""
        return replace(self, document={})


@dataclass
class PiiFinding:
    pii_type: str  # email | phone | payment_card | iban | national_id
    start: int
    end: int


@dataclass
class ModerationVerdict:
    """Moderation of one document's text: a confidence per category, PII positions and a decision."""

    decision: Decision
    categories: dict[str, float]
    pii: list[PiiFinding]
    engine: str
    engine_version: str
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ProcessedDocument:
    """A document that went through extraction and moderation, ready for the stores."""

    ref: ObjectRef
    content_sha256: str
    extraction: ExtractionResult
    moderation: ModerationVerdict
    result_uri: str
    extract_ms: int
    moderate_ms: int


@dataclass
class QuarantinedDocument:
    """A document that could not be processed, with the typed reason it was set aside."""

    ref: ObjectRef
    content_sha256: str | None
    reason: str  # a DocumentError.reason code
    message: str
    quarantine_uri: str | None


@dataclass
class BatchOutcome:
    """What one batch task reports to the run's accounting."""

    batch_index: int
    listed: int = 0
    processed: int = 0
    quarantined: int = 0
    unchanged: int = 0
    pages: int = 0
    ocr_pages: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class DocumentError(Exception):
    """A document cannot be processed. `reason` is the typed code stored with its quarantine row."""

    reason = "unprocessable"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnsupportedDocument(DocumentError):
    reason = "unsupported_type"


class EmptyDocument(DocumentError):
    reason = "empty_file"


class DocumentTooLarge(DocumentError):
    reason = "too_large"


class TooManyPages(DocumentError):
    reason = "too_many_pages"


class EncryptedDocument(DocumentError):
    reason = "encrypted"


class CorruptDocument(DocumentError):
    reason = "corrupt"


class ObjectVanished(DocumentError):
    reason = "object_missing"


class InvalidTenant(DocumentError):
    """The upload sits under a folder that is not a tenant id: it is set aside on S3 and counted, but no
    row or item is written for it (a store would otherwise gain a tenant by that name)."""

    reason = "invalid_tenant"


class EngineFailure(DocumentError):
    """The extraction engine failed on this document in a way it does not name (an engine bug)."""

    reason = "engine_error"
