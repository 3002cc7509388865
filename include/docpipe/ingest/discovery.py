"""Finds the objects uploaded in a data interval and splits them into batches.

Uploads live under `<prefix>/<tenant>/<YYYY>/<MM>/<DD>/<HH>/<file>`, so an interval is read by
listing exactly its hour partitions: the cost grows with that interval's documents and the number
of tenants, never with the size of the bucket.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from docpipe.models import ObjectRef

MAX_MAPPED_TASKS = 1024  # Airflow's [core] max_map_length


def hours_in(start: datetime, end: datetime) -> Iterator[datetime]:
    """Each whole UTC hour that starts inside [start, end)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("interval bounds must be timezone-aware")
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if hour < start:
        hour += timedelta(hours=1)
    while hour < end:
        yield hour
        hour += timedelta(hours=1)


def hour_prefix(prefix: str, tenant_id: str, hour: datetime) -> str:
    return f"{prefix}/{tenant_id}/{hour:%Y/%m/%d/%H}/"


def list_tenants(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Tenants are the first path level under the uploads prefix."""
    tenants: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/", Delimiter="/"):
        for cp in page.get("CommonPrefixes", []):
            tenants.append(cp["Prefix"][len(prefix) + 1 :].rstrip("/"))
    return sorted(tenants)


def discover(
    s3: Any,
    bucket: str,
    prefix: str,
    start: datetime,
    end: datetime,
    tenants: Sequence[str] | None = None,
) -> list[ObjectRef]:
    """Every object in the interval's hour partitions, for the given tenants (default: all)."""
    tenant_ids = list(tenants) if tenants else list_tenants(s3, bucket, prefix)
    refs: list[ObjectRef] = []
    paginator = s3.get_paginator("list_objects_v2")
    for tenant_id in tenant_ids:
        for hour in hours_in(start, end):
            for page in paginator.paginate(Bucket=bucket, Prefix=hour_prefix(prefix, tenant_id, hour)):
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith("/"):
                        continue  # a folder marker, not a document
                    refs.append(
                        ObjectRef(
                            tenant_id=tenant_id,
                            bucket=bucket,
                            key=obj["Key"],
                            size=int(obj["Size"]),
                            etag=obj["ETag"].strip('"'),
                            last_modified=obj["LastModified"].astimezone(UTC),
                        )
                    )
    return refs


def _greedy(sizes: Sequence[int], count: int, budget: float | None) -> list[int]:
    """Where consecutive batches end (exclusive indexes into `sizes`) when each closes at `count`
    documents or, with a `budget`, before its bytes would pass it (a larger document goes alone)."""
    ends: list[int] = []
    n = used = 0
    for i, size in enumerate(sizes):
        if n and (n >= count or (budget is not None and used + size > budget)):
            ends.append(i)
            n = used = 0
        n += 1
        used += size
    ends.append(len(sizes))
    return ends


def make_batches(
    refs: Sequence[ObjectRef], batch_size: int, max_bytes: int | None = None, spread: int = 1
) -> list[list[ObjectRef]]:
    """Split into consecutive batches of at most `batch_size` documents and, when `max_bytes` is given,
    at most `max_bytes` of uploads (a single larger document makes a batch of its own). Both limits grow
    if needed so that there are never more batches than Airflow maps tasks.

    The batch count is then rounded up to a multiple of `spread` (the batch tasks a run takes at once)
    and the documents shared out as evenly as the limits allow: the smallest limits, scaled down
    together, that still fit in that many batches. So every round of tasks fills its slots: 1,000
    documents make two batches of 500 for two slots (not one of 1,000), and 9,001 make ten of ~900
    (not nine of 1,000 and one of 1)."""
    if not refs:
        return []
    sizes = [r.size for r in refs]
    count = max(batch_size, math.ceil(len(refs) / MAX_MAPPED_TASKS))
    budget: float | None = max_bytes
    ends = _greedy(sizes, count, budget)
    while budget is not None and len(ends) > MAX_MAPPED_TASKS:
        budget *= 2  # too many heavy documents for the map limit: fewer, larger batches
        ends = _greedy(sizes, count, budget)
    spread = max(1, spread)
    target = min(len(refs), MAX_MAPPED_TASKS, -(-len(ends) // spread) * spread)
    low, high = 1, count  # the smallest document limit (the byte budget scaled with it) giving <= target batches
    while low < high:
        mid = (low + high) // 2
        trial = _greedy(sizes, mid, None if budget is None else budget * mid / count)
        if len(trial) <= target:
            high, ends = mid, trial
        else:
            low = mid + 1
    return [list(refs[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def manifest_key(dag_id: str, run_id: str, index: int) -> str:
    safe_run = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return f"manifests/{dag_id}/{safe_run}/batch-{index:05d}.json"


def write_manifests(s3: Any, bucket: str, dag_id: str, run_id: str, batches: list[list[ObjectRef]]) -> list[dict]:
    """Store each batch's object list in S3; return small descriptors for the mapped tasks."""
    descriptors = []
    for i, batch in enumerate(batches):
        key = manifest_key(dag_id, run_id, i)
        body = json.dumps({"batch_index": i, "objects": [r.to_json() for r in batch]}).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
        descriptors.append({"batch_index": i, "manifest_bucket": bucket, "manifest_key": key, "count": len(batch)})
    return descriptors


def read_manifest(s3: Any, bucket: str, key: str) -> tuple[int, list[ObjectRef]]:
    body = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return int(body["batch_index"]), [ObjectRef.from_json(o) for o in body["objects"]]
