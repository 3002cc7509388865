"""Late-arrival sweep: objects uploaded into hour partitions whose run already happened.

Each hourly run lists only its own hour, so an object that lands in an earlier hour's partition
after that hour ran is never seen again. The sweep lists the `lookback_hours` partitions before the
run's interval and keeps only the objects the store does not hold at that version (no row, or a
different ETag). Cost: one LIST per tenant and hour plus one Postgres lookup for the listed ids;
nothing is downloaded for objects already stored.

Reads: S3 listings of the uploads bucket, `docpipe.documents` (id, ETag). Returns ObjectRefs to add to
the run's batches; the batch code processes them like any other new object (idempotent writes, so a
concurrent rerun of the same hour converges).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from docpipe.ingest.discovery import discover
from docpipe.models import ObjectRef
from docpipe.storage.postgres import fetch_existing


def late_arrivals(
    s3: Any,
    pg: Any,
    bucket: str,
    prefix: str,
    start: datetime,
    lookback_hours: int,
    tenants: Sequence[str] | None = None,
) -> list[ObjectRef]:
    """Objects in the `lookback_hours` hours before `start` that are missing from the store or changed."""
    if lookback_hours <= 0:
        return []
    refs = discover(s3, bucket, prefix, start - timedelta(hours=lookback_hours), start, tenants)
    existing = fetch_existing(pg, [r.document_id for r in refs])
    return [r for r in refs if (e := existing.get(r.document_id)) is None or e.s3_etag != r.etag]
