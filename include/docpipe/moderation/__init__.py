"""Text moderation: a confidence for each of Google's 16 moderateText categories, PII positions
and an allow / review / block decision (docpipe.models.ModerationVerdict).

    from docpipe.moderation import get_backend
    backend = get_backend("local", thresholds={"Toxic": {"block": 0.9}})
    verdicts = backend.moderate_many(texts)   # batch: much faster than one by one

Thresholds: defaults in `DEFAULT_THRESHOLDS`, overridden by env DOCPIPE_MODERATION_THRESHOLDS
(JSON), overridden by the `thresholds` argument. PII alone changes the decision only when
``pii_review=True`` (or env DOCPIPE_MODERATION_PII_REVIEW=true); the phone region comes from
``pii_region`` or env DOCPIPE_PII_REGION (default US).

Backends: "local" (the default; no network) and "google" (Cloud Natural Language moderateText,
credentials from the Airflow Google connection), chosen with env DOCPIPE_MODERATION_BACKEND.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from docpipe.models import ModerationVerdict

from .thresholds import (
    CATEGORIES,
    DEFAULT_THRESHOLDS,
    PII_REVIEW_ENV,
    THRESHOLDS_ENV,
    CategoryThreshold,
    ThresholdConfigError,
    decide,
    parse_thresholds,
    resolve_thresholds,
)


@runtime_checkable
class ModerationBackend(Protocol):
    name: str
    version: str

    def moderate(self, text: str) -> ModerationVerdict: ...

    def moderate_many(self, texts: list[str]) -> list[ModerationVerdict]: ...


BACKENDS = ("local", "google")


def get_backend(
    name: str = "local", thresholds: Mapping[str, Any] | str | None = None, **options: Any
) -> ModerationBackend:
    """A moderation backend by name. `thresholds` overrides the defaults per category
    (``{"Toxic": {"block": 0.9, "review": 0.6}}``, or the same as JSON text); `options` go to the
    backend (local: pii_region, pii_review, detect_pii, chunk_size, chunk_overlap; google: the
    keyword arguments of `docpipe.moderation.google.GoogleModerationBackend`, such as conn_id,
    api_endpoint, transport, price_per_unit, max_chunk_bytes)."""
    if name == "local":
        from .local import LocalModerationBackend

        return LocalModerationBackend(thresholds, **options)
    if name == "google":
        from .google import GoogleModerationBackend

        return GoogleModerationBackend(thresholds, **options)
    raise ValueError(f"unknown moderation backend {name!r}; available: {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "CATEGORIES",
    "DEFAULT_THRESHOLDS",
    "PII_REVIEW_ENV",
    "THRESHOLDS_ENV",
    "CategoryThreshold",
    "ModerationBackend",
    "ThresholdConfigError",
    "decide",
    "get_backend",
    "parse_thresholds",
    "resolve_thresholds",
]
