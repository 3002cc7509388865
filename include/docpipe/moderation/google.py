"""The Google backend: Cloud Natural Language `moderateText` (language_v2) behind the same interface
as the local engine.

Reads: credentials from the Airflow Google connection (``DOCPIPE_GOOGLE_CONN_ID``, default
``google_cloud_default``: key_path / keyfile_dict / ADC, as `GoogleBaseHook` resolves them).
Sends: one ``moderate_text`` request per chunk of a text; chunks are cut on UTF-8 byte counts under
the API's 1 MB request limit (on the REST transport, on the JSON-escaped size), at whitespace where
possible. A text's category confidences are the
maximum over its chunks (a threat in chunk 3 is a threat in the document).
Returns: `ModerationVerdict`s decided with the same thresholds and decision logic as the local engine;
PII positions come from the local detector (moderateText reports none).
Records: billing units (one per started 100 characters of each request, as Google bills) and the
estimated cost in ``backend.usage`` (cumulative) and ``backend.last_usage`` (the latest call).

Quota: 600 requests per minute per project. Retries with exponential backoff and full jitter on
RESOURCE_EXHAUSTED (HTTP 429) and UNAVAILABLE (503): the client library does not retry them by default.
In Airflow the quota is held by the pool of the task that moderates (see docs/moderation.md); where
that pool is sized for another quota, ``DOCPIPE_GOOGLE_MODERATION_RPM`` paces each process.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from docpipe.models import ModerationVerdict, PiiFinding

from .pii import default_region, find_pii, validate_region
from .thresholds import CATEGORIES, PII_REVIEW_ENV, CategoryThreshold, decide, env_flag, resolve_thresholds

log = logging.getLogger(__name__)

ENGINE = "google-moderate-text"
CONN_ID_ENV = "DOCPIPE_GOOGLE_CONN_ID"
ENDPOINT_ENV = "DOCPIPE_GOOGLE_LANGUAGE_ENDPOINT"
PRICE_ENV = "DOCPIPE_GOOGLE_MODERATION_PRICE_PER_UNIT"
RPM_ENV = "DOCPIPE_GOOGLE_MODERATION_RPM"
DEFAULT_CONN_ID = "google_cloud_default"

REQUEST_LIMIT_BYTES = 1_000_000  # the API's documented limit per request
# Content per request: the limit less room for the request envelope (document type, language,
# model version, JSON framing on the REST transport).
DEFAULT_MAX_CHUNK_BYTES = 900_000
UNIT_CHARS = 100  # text moderation is billed per started 100 Unicode characters of each request
# USD per unit, list price for 50k-10M units a month (the first 50k a month are free; above 10M
# it halves). Override with DOCPIPE_GOOGLE_MODERATION_PRICE_PER_UNIT or `price_per_unit`.
DEFAULT_PRICE_PER_UNIT = 0.0005
QUOTA_REQUESTS_PER_MINUTE = 600

_GOOGLE_NAMES = {c.lower(): c for c in CATEGORIES}
_VERDICT_HAS_COST = {"billing_units", "estimated_cost_usd"} <= set(
    getattr(ModerationVerdict, "__dataclass_fields__", {})
)


class GoogleModerationError(RuntimeError):
    """moderateText failed after its retries, or answered in a shape this backend cannot read."""


@dataclass
class Usage:
    """What the backend sent: requests, billing units and the estimated cost in USD."""

    requests: int = 0
    characters: int = 0
    units: int = 0
    retries: int = 0
    estimated_cost_usd: float = 0.0

    def add(self, other: Usage) -> None:
        self.requests += other.requests
        self.characters += other.characters
        self.units += other.units
        self.retries += other.retries
        self.estimated_cost_usd = round(self.estimated_cost_usd + other.estimated_cost_usd, 6)


def billing_units(text: str) -> int:
    """Units Google bills for one request carrying `text`: every started 100 characters (code points)."""
    return max(1, math.ceil(len(text) / UNIT_CHARS))


def chunk_utf8(text: str, max_bytes: int = DEFAULT_MAX_CHUNK_BYTES, search_back: int = 2_000) -> list[str]:
    """Split `text` into pieces whose UTF-8 encoding is at most `max_bytes`, never inside a character,
    at the last whitespace within `search_back` bytes of the limit when there is one."""
    if max_bytes < 16:
        raise ValueError("max_bytes must be at least 16")
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return [text]
    out: list[str] = []
    start = 0
    n = len(data)
    while start < n:
        end = min(start + max_bytes, n)
        if end < n:
            # back off to a character boundary (continuation bytes are 0b10xxxxxx)
            while end > start and (data[end] & 0xC0) == 0x80:
                end -= 1
            lo = max(start + 1, end - search_back)
            ws = max(data.rfind(b" ", lo, end), data.rfind(b"\n", lo, end), data.rfind(b"\t", lo, end))
            if ws > start:
                end = ws + 1  # keep the whitespace with the left piece: pieces join back to the text
        out.append(data[start:end].decode("utf-8"))
        start = end
    return out


def _json_size(text: str) -> int:
    """Bytes `text` takes in a REST request body (JSON, non-ASCII escaped as \\uXXXX: up to 6x)."""
    return len(json.dumps(text))


def fit_chunks(text: str, max_bytes: int, measure: Callable[[str], int] | None = None) -> list[str]:
    """`chunk_utf8`, then pieces that still measure over `max_bytes` under `measure` (the REST
    transport's JSON escaping) split again in halves until they fit."""
    pieces = chunk_utf8(text, max_bytes)
    if measure is None:
        return pieces
    out: list[str] = []
    stack = pieces[::-1]
    while stack:
        piece = stack.pop()
        if measure(piece) <= max_bytes or len(piece) < 2:
            out.append(piece)
            continue
        halves = chunk_utf8(piece, max(16, len(piece.encode("utf-8")) // 2 + 1))
        stack.extend(halves[::-1])
    return out


def _env_price() -> float:
    raw = os.environ.get(PRICE_ENV, "").strip()
    if not raw:
        return DEFAULT_PRICE_PER_UNIT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"env {PRICE_ENV}={raw!r} is not a number (USD per 100-character unit)") from None
    if value < 0:
        raise ValueError(f"env {PRICE_ENV}={raw!r} must be >= 0")
    return value


def _env_rpm() -> float | None:
    raw = os.environ.get(RPM_ENV, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"env {RPM_ENV}={raw!r} is not a number (requests per minute for this process)") from None
    if value <= 0:
        raise ValueError(f"env {RPM_ENV}={raw!r} must be > 0")
    return value


def _retryable() -> tuple[type[BaseException], ...]:
    from google.api_core import exceptions as gexc

    # TooManyRequests is HTTP 429 on REST and the base of ResourceExhausted (gRPC RESOURCE_EXHAUSTED)
    return (gexc.TooManyRequests, gexc.ServiceUnavailable)


def credentials_from_airflow(conn_id: str) -> Any:
    """Google credentials from the Airflow connection `conn_id` (key file, key JSON or ADC)."""
    from airflow.providers.google.common.hooks.base_google import GoogleBaseHook

    return GoogleBaseHook(gcp_conn_id=conn_id).get_credentials()


def make_client(
    *,
    credentials: Any = None,
    conn_id: str | None = None,
    api_endpoint: str | None = None,
    transport: str | None = None,
) -> Any:
    """A `language_v2.LanguageServiceClient`. Credentials: as given, else from the Airflow connection.
    `api_endpoint` (or env DOCPIPE_GOOGLE_LANGUAGE_ENDPOINT) points it elsewhere, e.g. a local stand-in
    ``http://127.0.0.1:PORT`` with ``transport="rest"``."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import language_v2

    if credentials is None:
        credentials = credentials_from_airflow(conn_id or os.environ.get(CONN_ID_ENV) or DEFAULT_CONN_ID)
    endpoint = api_endpoint or os.environ.get(ENDPOINT_ENV) or None
    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    return language_v2.LanguageServiceClient(credentials=credentials, transport=transport, client_options=options)


class GoogleModerationBackend:
    """`ModerationBackend` over Google's moderateText. See the module docstring."""

    name = "google"

    def __init__(
        self,
        thresholds: Mapping[str, Any] | str | None = None,
        *,
        client: Any = None,
        credentials: Any = None,
        conn_id: str | None = None,
        api_endpoint: str | None = None,
        transport: str | None = None,
        max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES,
        price_per_unit: float | None = None,
        max_attempts: int = 6,
        requests_per_minute: float | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 32.0,
        timeout: float = 60.0,
        pii_region: str | None = None,
        pii_review: bool | None = None,
        detect_pii: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        if not 16 <= max_chunk_bytes <= REQUEST_LIMIT_BYTES:
            raise ValueError(f"max_chunk_bytes must be between 16 and {REQUEST_LIMIT_BYTES}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.thresholds: dict[str, CategoryThreshold] = resolve_thresholds(thresholds)
        self.pii_region = validate_region(pii_region or default_region())
        env_pii = env_flag(PII_REVIEW_ENV)
        self.pii_review = bool(pii_review if pii_review is not None else env_pii)
        self.detect_pii = detect_pii
        self.max_chunk_bytes = max_chunk_bytes
        self.price_per_unit = _env_price() if price_per_unit is None else float(price_per_unit)
        self.max_attempts = max_attempts
        # pacing of this process's requests, for when the batch task's pool is sized for another
        # quota (Document AI): each concurrent task then takes its share of the 600 requests/min
        rpm = _env_rpm() if requests_per_minute is None else requests_per_minute
        self.min_interval = 60.0 / rpm if rpm else 0.0
        self._next_at = 0.0
        self._clock = time.monotonic
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.timeout = timeout
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._client = client
        self._client_args = {
            "credentials": credentials,
            "conn_id": conn_id,
            "api_endpoint": api_endpoint,
            "transport": transport,
        }
        # REST bodies are JSON: non-ASCII text grows when escaped, so measure it the way it is sent
        self._measure = _json_size if transport == "rest" else None
        self._lock = threading.Lock()
        self.usage = Usage()
        self.last_usage = Usage()
        self.version = "v2"

    def __repr__(self) -> str:
        return f"GoogleModerationBackend(price_per_unit={self.price_per_unit}, max_chunk_bytes={self.max_chunk_bytes})"

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_client(**self._client_args)
        return self._client

    # -- one request -----------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, initial * 2^attempt)] (spreads the retries of many
        workers that hit the quota at the same moment)."""
        return self._rng.uniform(0.0, min(self.backoff_max, self.backoff_initial * (2**attempt)))

    def _request(self, content: str, usage: Usage) -> dict[str, float]:
        from google.cloud import language_v2

        document = language_v2.Document(content=content, type_=language_v2.Document.Type.PLAIN_TEXT)
        retryable = _retryable()
        for attempt in range(self.max_attempts):
            self._pace()
            try:
                # retry=None: this loop owns retries (the library's default would retry UNAVAILABLE
                # on its own schedule and never RESOURCE_EXHAUSTED)
                response = self.client.moderate_text(document=document, retry=None, timeout=self.timeout)
            except retryable as exc:
                if attempt + 1 >= self.max_attempts:
                    raise GoogleModerationError(
                        f"moderateText still failing after {self.max_attempts} attempts: {type(exc).__name__}"
                    ) from exc
                delay = self._backoff(attempt)
                usage.retries += 1
                log.warning("moderateText %s; retry %d in %.2fs", type(exc).__name__, attempt + 1, delay)
                self._sleep(delay)
                continue
            usage.requests += 1
            usage.characters += len(content)
            units = billing_units(content)
            usage.units += units
            usage.estimated_cost_usd = round(usage.estimated_cost_usd + units * self.price_per_unit, 6)
            return self._scores(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pace(self) -> None:
        if not self.min_interval:
            return
        with self._lock:
            now = self._clock()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + self.min_interval
        if wait > 0:
            self._sleep(wait)

    @staticmethod
    def _scores(response: Any) -> dict[str, float]:
        scores = dict.fromkeys(CATEGORIES, 0.0)
        for cat in response.moderation_categories:
            name = _GOOGLE_NAMES.get(str(cat.name).strip().lower())
            if name is None:
                # a category Google adds later: not part of the stored contract, keep the known 16
                log.debug("moderateText returned an unknown category; ignored")
                continue
            scores[name] = max(scores[name], min(1.0, max(0.0, float(cat.confidence))))
        return scores

    # -- the protocol ----------------------------------------------------------------------

    def score_many(self, texts: list[str]) -> list[dict[str, float]]:
        return [scores for scores, _ in self._score_with_usage(texts)]

    def _score_with_usage(self, texts: list[str]) -> list[tuple[dict[str, float], Usage]]:
        usage = Usage()
        out: list[tuple[dict[str, float], Usage]] = []
        try:
            for text in texts:
                if not isinstance(text, str):
                    raise TypeError(f"moderation expects str, got {type(text).__name__}")
                merged = dict.fromkeys(CATEGORIES, 0.0)
                per_text = Usage()
                if text.strip():
                    for chunk in fit_chunks(text, self.max_chunk_bytes, self._measure):
                        for cat, s in self._request(chunk, per_text).items():
                            if s > merged[cat]:
                                merged[cat] = s
                usage.add(per_text)
                out.append(({cat: round(s, 4) for cat, s in merged.items()}, per_text))
        finally:
            with self._lock:
                self.last_usage = usage
                self.usage.add(usage)
            log.info(
                "moderateText: %d requests, %d units, %d retries, estimated $%.4f",
                usage.requests, usage.units, usage.retries, usage.estimated_cost_usd,
            )  # fmt: skip
        return out

    def moderate_many(self, texts: list[str]) -> list[ModerationVerdict]:
        texts = list(texts)
        scored = self._score_with_usage(texts)
        verdicts = []
        for text, (cats, usage) in zip(texts, scored, strict=True):
            pii: list[PiiFinding] = find_pii(text, self.pii_region) if self.detect_pii else []
            decision, reasons = decide(cats, self.thresholds, pii, self.pii_review)
            verdict = ModerationVerdict(decision, cats, pii, ENGINE, self.version, reasons)
            # per-document billing, stored with the verdict where the contract has room for it
            if _VERDICT_HAS_COST:
                verdict.billing_units = usage.units  # type: ignore[attr-defined]
                verdict.estimated_cost_usd = usage.estimated_cost_usd  # type: ignore[attr-defined]
            verdicts.append(verdict)
        return verdicts

    def moderate(self, text: str) -> ModerationVerdict:
        return self.moderate_many([text])[0]


def pool_slots(requests_per_minute: int = QUOTA_REQUESTS_PER_MINUTE, seconds_per_request: float = 0.5) -> int:
    """Airflow pool size that keeps concurrent callers under a per-minute quota: each slot makes at most
    60 / seconds_per_request requests a minute."""
    return max(1, math.floor(requests_per_minute * seconds_per_request / 60))
