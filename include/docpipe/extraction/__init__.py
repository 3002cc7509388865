"""Document extraction behind one interface: the local engine by default, Google Document AI as
"google" (configured by `DOCPIPE_DOCUMENTAI_*`), others by name.

    backend = get_backend("local")
    result = backend.extract(data, filename="invoice.pdf")   # ExtractionResult, or raises a DocumentError

Importing this package is cheap; engines import their libraries when first used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from docpipe.models import ExtractionResult


class BackendUnavailable(RuntimeError):
    """The extraction service cannot be reached or keeps refusing (quota, outage) after its retries:
    an infrastructure failure. The batch should fail and be retried, not quarantine the document."""


@runtime_checkable
class ExtractionBackend(Protocol):
    """Turns document bytes into an `ExtractionResult`, or raises the `DocumentError` that says why not."""

    name: str

    @property
    def version(self) -> str:
        """Stored with every result; a change re-extracts stored documents."""
        ...

    def extract(self, data: bytes, *, filename: str) -> ExtractionResult: ...


def _local() -> ExtractionBackend:
    from .local import LocalExtractionBackend

    return LocalExtractionBackend()


def _google() -> ExtractionBackend:
    from .google import GoogleDocumentAIBackend

    return GoogleDocumentAIBackend()


_BACKENDS: dict[str, Callable[[], ExtractionBackend]] = {"local": _local, "google": _google}


def register_backend(name: str, factory: Callable[[], ExtractionBackend]) -> None:
    """Make another engine (e.g. Google Document AI) available to `get_backend` under `name`."""
    _BACKENDS[name] = factory


def get_backend(name: str = "local") -> ExtractionBackend:
    """The extraction engine registered as `name`."""
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown extraction backend {name!r}; known: {', '.join(sorted(_BACKENDS))}") from None
    return factory()


__all__ = ["BackendUnavailable", "ExtractionBackend", "get_backend", "register_backend"]
