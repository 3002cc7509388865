"""Put sample documents into the uploads bucket under the app's key contract, and keep their truth.

Keys follow `uploads/<tenant>/<YYYY>/<MM>/<DD>/<HH>/<filename>`; documents are spread round-robin
over the given UTC hours so that each hourly run finds its own partition.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .generator import SampleDocument


@dataclass(frozen=True)
class UploadedSample:
    """Where a sample document landed and what the pipeline should find in it (its bytes are not kept)."""

    bucket: str
    key: str
    tenant_id: str
    kind: str
    scanned: bool
    truth: dict[str, Any]
    size: int = 0
    content_type: str = ""

    @property
    def tenant(self) -> str:
        return self.tenant_id

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> UploadedSample:
        return cls(**d)


def upload_key(tenant_id: str, hour: datetime, filename: str, prefix: str = "uploads") -> str:
    """The object key for a document uploaded by `tenant_id` in `hour` (a UTC datetime)."""
    if hour.tzinfo is not None:
        hour = hour.astimezone(UTC)
    if not tenant_id or "/" in tenant_id:
        raise ValueError(f"tenant id must be non-empty and contain no '/': {tenant_id!r}")
    if not filename or "/" in filename:
        raise ValueError(f"filename must be non-empty and contain no '/': {filename!r}")
    return f"{prefix.strip('/')}/{tenant_id}/{hour:%Y/%m/%d/%H}/{filename}"


def upload_documents(
    s3_client: Any,
    bucket: str,
    docs: Iterable[SampleDocument],
    *,
    hours: list[datetime],
    prefix: str = "uploads",
    workers: int = 16,
    progress: Callable[[int], None] | None = None,
) -> list[UploadedSample]:
    """Upload `docs` concurrently; return one record per document, in input order.

    Document i goes to hour `hours[i % len(hours)]`. At most `2 * workers` documents are held in memory
    at once, so a generator of 100k documents streams through. `progress`, if given, is called with the
    number of documents just uploaded (1 per completed put, ready for a progress bar's `advance`).
    The first failed put is re-raised.
    """
    if not hours:
        raise ValueError("hours must name at least one UTC hour")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    records: list[UploadedSample] = []

    def put(doc: SampleDocument, key: str) -> None:
        s3_client.put_object(Bucket=bucket, Key=key, Body=doc.data, ContentType=doc.content_type)

    def finished(fut: Future[None]) -> None:
        fut.result()
        if progress is not None:
            progress(1)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sample-upload") as pool:
        pending: set[Future[None]] = set()
        for i, doc in enumerate(docs):
            key = upload_key(doc.tenant_id, hours[i % len(hours)], doc.filename, prefix)
            records.append(
                UploadedSample(
                    bucket, key, doc.tenant_id, doc.kind, doc.scanned, doc.truth, len(doc.data), doc.content_type
                )
            )
            pending.add(pool.submit(put, doc, key))
            if len(pending) >= 2 * workers:
                completed, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in completed:
                    finished(fut)
        for fut in pending:
            finished(fut)
    return records


def write_truth(path: str | Path, uploaded: Iterable[UploadedSample]) -> int:
    """Write the truth manifest as JSON Lines (one uploaded document per line); return the line count."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for rec in uploaded:
            f.write(json.dumps(rec.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


def read_truth(path: str | Path) -> list[UploadedSample]:
    """Read a manifest written by `write_truth`."""
    with open(path, encoding="utf-8") as f:
        return [UploadedSample.from_json(json.loads(line)) for line in f if line.strip()]
