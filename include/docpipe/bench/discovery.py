"""The hourly run's listing cost against the size of the bucket.

On a scratch moto server: one hour of uploads, then `older` tiny objects spread over earlier hour
partitions of the same tenants. Discovery (`docpipe.ingest.discovery.discover`: a delimiter listing of
the tenants, then one prefix listing per tenant and hour) is timed before and after, beside what a user
would otherwise write: `S3Hook.list_keys` over the whole uploads prefix, keeping the hour's keys.

Besides seconds, every S3 request is counted with the keys it returned: that is what S3 charges for
and what its latency scales with. moto scans every key of the bucket on every list request, so its
seconds grow with the bucket even for a prefix listing that S3 answers from its index.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from docpipe.bench.figures import median

BUCKET = "docpipe-bench-discovery"
PREFIX = "uploads"
TENANTS = ("acme", "globex", "initech")
CONN_ID = "docpipe_bench_discovery_s3"


class RequestCounter:
    """Counts list requests and the keys they returned, through botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.requests = 0
        self.keys = 0
        client.meta.events.register("after-call.s3.ListObjectsV2", self._after)

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        self.requests += 1
        self.keys += len(parsed.get("Contents", [])) + len(parsed.get("CommonPrefixes", []))

    def reset(self) -> None:
        self.requests = self.keys = 0


def older_keys(hour: datetime, count: int, per_partition: int = 40) -> list[str]:
    """`count` keys in hour partitions before `hour`, round-robin over the tenants, `per_partition`
    objects per tenant and hour."""
    keys = []
    for i in range(count):
        tenant = TENANTS[i % len(TENANTS)]
        slot = i // len(TENANTS)
        h = hour - timedelta(hours=1 + slot // per_partition)
        keys.append(f"{PREFIX}/{tenant}/{h:%Y/%m/%d/%H}/old-{i:07d}.pdf")
    return keys


def hour_keys(hour: datetime, count: int) -> list[str]:
    return [f"{PREFIX}/{TENANTS[i % len(TENANTS)]}/{hour:%Y/%m/%d/%H}/doc-{i:06d}.pdf" for i in range(count)]


def put_all(client: Any, keys: list[str], workers: int = 32, progress: Callable[[int], None] | None = None) -> None:
    """Tiny objects, `workers` puts in flight."""

    def put(key: str) -> None:
        client.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-1.4 bench")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i, _ in enumerate(pool.map(put, keys), 1):
            if progress and i % 500 == 0:
                progress(500)
    if progress:
        progress(len(keys) % 500)


def _timed(fn: Callable[[], Any], counter: RequestCounter, repeats: int) -> dict[str, Any]:
    seconds, result = [], None
    for _ in range(repeats):
        counter.reset()
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return {"seconds": median(seconds), "requests": counter.requests, "keys_read": counter.keys,
            "found": len(result or [])}  # fmt: skip


def measure(client: Any, hour: datetime, repeats: int, alt_repeats: int) -> dict[str, Any]:
    """Discovery and the list-everything alternative on the bucket as it is now."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    from docpipe.ingest import discovery

    counter = RequestCounter(client)
    hook = S3Hook(aws_conn_id=CONN_ID)
    hook_client = hook.get_conn()
    hook_counter = RequestCounter(hook_client)
    wanted = f"/{hour:%Y/%m/%d/%H}/"

    def ours() -> list[Any]:
        return discovery.discover(client, BUCKET, PREFIX, hour, hour + timedelta(hours=1))

    def theirs() -> list[str]:
        return [k for k in hook.list_keys(bucket_name=BUCKET, prefix=f"{PREFIX}/") if wanted in k]

    # One empty-prefix request: what moto charges per request for merely holding the bucket.
    def one_empty() -> list[Any]:
        return client.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/nobody/").get("Contents", [])

    return {
        "discovery": _timed(ours, counter, repeats),
        "list_keys_whole_prefix": _timed(theirs, hook_counter, alt_repeats),
        "one_empty_list_request_s": _timed(one_empty, counter, repeats)["seconds"],
    }


def run(hour: datetime, hour_docs: int, older: int, repeats: int = 5, alt_repeats: int = 3,
        progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """The whole benchmark on a scratch moto server (started here, stopped afterwards)."""
    import boto3
    from botocore.config import Config

    from docpipe import localstack
    from docpipe.bench.stack import free_port

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(
        {"conn_type": "aws", "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
    )
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "docpipe-local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "docpipe-local")
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-discovery-") as tmp:
        localstack.start_moto(Path(tmp), port)
        try:
            client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                  config=Config(max_pool_connections=32))  # fmt: skip
            client.create_bucket(Bucket=BUCKET)
            keys = hour_keys(hour, hour_docs)
            put_all(
                client, keys, progress=(lambda k: progress("the hour's uploads", k, hour_docs)) if progress else None
            )
            before = measure(client, hour, repeats, alt_repeats)
            started = time.perf_counter()
            put_all(client, older_keys(hour, older),
                    progress=(lambda k: progress("older objects", k, older)) if progress else None)  # fmt: skip
            seed_s = time.perf_counter() - started
            after = measure(client, hour, repeats, alt_repeats)
        finally:
            localstack.stop_moto(Path(tmp))
    return {"hour_documents": hour_docs, "older_objects": older, "seed_puts_per_s": older / seed_s if seed_s else None,
            "before": before, "after": after}  # fmt: skip
