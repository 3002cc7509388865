"""The DynamoDB read model: one item per document with its latest status, type, key fields and
moderation decision.

Writes are PutItem calls conditional on the version (`attribute_not_exists(document_id) OR
version <= :v`), several in flight at once: an older version never replaces a newer one, even when
two runs write the same document at the same moment, and writing the same version again is
harmless. BatchWriteItem cannot carry a condition and TransactWriteItems costs twice the write
capacity and cancels a whole group for one stale item; docs/stores.md has the measurements.

Throttling and transient server errors that outlast botocore's own retries are retried here with
capped exponential backoff and full jitter, per item, keeping the condition on every attempt.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from docpipe.models import ObjectRef, ProcessedDocument, QuarantinedDocument

STATUS_INDEX = "tenant_status_updated"

# The fields an application shows in a document list, copied onto the item.
KEY_FIELDS = (
    "invoice_id", "invoice_date", "receipt_date", "supplier_name", "customer_name", "total_amount", "currency",
)  # fmt: skip


def ensure_table(client: Any, table_name: str) -> None:
    """Create the table and its status index if they are missing (idempotent)."""
    try:
        client.describe_table(TableName=table_name)
        return
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "tenant_id", "AttributeType": "S"},
            {"AttributeName": "document_id", "AttributeType": "S"},
            {"AttributeName": "tenant_status", "AttributeType": "S"},
            {"AttributeName": "uploaded_at", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "tenant_id", "KeyType": "HASH"},
            {"AttributeName": "document_id", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": "tenant_status", "KeyType": "HASH"},
                    {"AttributeName": "uploaded_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    client.get_waiter("table_exists").wait(TableName=table_name)


def version_of(ref: ObjectRef) -> int:
    """Versions order by upload time (S3 LastModified, in milliseconds)."""
    return int(ref.last_modified.timestamp() * 1000)


def _base_item(ref: ObjectRef, status: str) -> dict[str, Any]:
    return {
        "tenant_id": {"S": ref.tenant_id},
        "document_id": {"S": ref.document_id},
        "tenant_status": {"S": f"{ref.tenant_id}#{status}"},
        "status": {"S": status},
        "object_key": {"S": ref.key},
        "uploaded_at": {"S": ref.last_modified.isoformat()},
        "version": {"N": str(version_of(ref))},
        "size_bytes": {"N": str(ref.size)},
    }


def processed_item(d: ProcessedDocument) -> dict[str, Any]:
    item = _base_item(d.ref, "processed")
    ex = d.extraction
    fields: dict[str, Any] = {}
    for e in ex.entities:
        if e.type in KEY_FIELDS and e.type not in fields:
            value = (e.normalized_value or {}).get("text") or e.mention_text
            fields[e.type] = {
                "M": {"value": {"S": str(value)}, "confidence": {"N": str(Decimal(str(round(e.confidence, 4))))}}
            }
    item.update(
        {
            "content_sha256": {"S": d.content_sha256},
            "document_type": {"S": ex.document_type},
            "page_count": {"N": str(ex.page_count)},
            "engine_version": {"S": ex.engine_version},
            "moderation_decision": {"S": d.moderation.decision},
            "result_uri": {"S": d.result_uri},
            "fields": {"M": fields},
        }
    )
    return item


def quarantined_item(q: QuarantinedDocument) -> dict[str, Any]:
    item = _base_item(q.ref, "quarantined")
    item["error_reason"] = {"S": q.reason}
    if q.content_sha256:
        item["content_sha256"] = {"S": q.content_sha256}
    return item


# Errors worth another try: capacity and request-rate limits, and DynamoDB's transient 500s.
RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)

_CONDITION = "attribute_not_exists(document_id) OR #v <= :v"

T = TypeVar("T")


class DynamoWriteError(RuntimeError):
    """DynamoDB kept refusing a write (throttled or failing) after every retry."""


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter: try n waits uniform(0, min(cap, base * 2**n)).

    `attempts` counts tries on top of the ones botocore already made inside each call."""

    attempts: int = 8
    base: float = 0.05
    cap: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0.0, min(self.cap, self.base * 2**attempt))

    def call(self, fn: Callable[[], T]) -> T:
        """fn(), tried again after a retryable error; raises DynamoWriteError when the tries run out."""
        tries = max(1, self.attempts)
        for attempt in range(tries):
            try:
                return fn()
            except ClientError as e:
                code = e.response.get("Error", {}).get("Code", "")
                if code not in RETRYABLE_ERRORS:
                    raise
                if attempt == tries - 1:
                    raise DynamoWriteError(f"DynamoDB still answers {code} after {tries} tries") from e
                self.sleep(self.delay(attempt))
        raise AssertionError("unreachable")


@dataclass(frozen=True)
class DynamoWriteResult:
    written: int
    stale: int  # a newer version was already there


def put_if_newer(client: Any, table_name: str, item: dict[str, Any], backoff: Backoff | None = None) -> bool:
    """One conditional put; False when the table already holds a newer version of the document."""

    def put() -> bool:
        try:
            client.put_item(
                TableName=table_name,
                Item=item,
                ConditionExpression=_CONDITION,
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": item["version"]},
            )
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise

    return (backoff or Backoff()).call(put)


def newest_items(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per document, its highest version: two puts of one key in flight would only race."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for it in items:
        key = (it["tenant_id"]["S"], it["document_id"]["S"])
        if key not in best or int(it["version"]["N"]) > int(best[key]["version"]["N"]):
            best[key] = it
    return list(best.values())


def write_items(
    client: Any, table_name: str, items: Sequence[dict[str, Any]], *, workers: int = 32,
    backoff: Backoff | None = None,
) -> DynamoWriteResult:  # fmt: skip
    """Conditional puts of low-level items, `workers` requests in flight."""
    items = newest_items(items)
    if not items:
        return DynamoWriteResult(0, 0)
    backoff = backoff or Backoff()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        results = list(pool.map(lambda it: put_if_newer(client, table_name, it, backoff), items))
    written = sum(results)
    return DynamoWriteResult(written, len(results) - written)


def write_documents(
    client: Any,
    table_name: str,
    processed: Sequence[ProcessedDocument],
    quarantined: Sequence[QuarantinedDocument],
    *,
    workers: int = 32,
    backoff: Backoff | None = None,
) -> DynamoWriteResult:
    """Write a batch's documents to the read model; returns how many were written and how many
    were skipped because a newer version was already there.

    The client's pool must hold `workers` connections (docpipe.connections sets 32)."""
    items = [processed_item(d) for d in processed] + [quarantined_item(q) for q in quarantined]
    return write_items(client, table_name, items, workers=workers, backoff=backoff)
