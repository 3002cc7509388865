"""The DynamoDB read model: one item per document with its latest status, type, key fields and
moderation decision. Writes are conditional on the version, so an older version never replaces a
newer one and writing the same version again is harmless."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


@dataclass(frozen=True)
class DynamoWriteResult:
    written: int
    stale: int  # a newer version was already there


def _put(client: Any, table_name: str, item: dict[str, Any]) -> bool:
    try:
        client.put_item(
            TableName=table_name,
            Item=item,
            ConditionExpression="attribute_not_exists(document_id) OR #v <= :v",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues={":v": item["version"]},
        )
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def write_documents(
    client: Any,
    table_name: str,
    processed: Sequence[ProcessedDocument],
    quarantined: Sequence[QuarantinedDocument],
    *,
    workers: int = 8,
) -> DynamoWriteResult:
    """Conditional puts, concurrently. botocore retries throttling with its standard backoff."""
    items = [processed_item(d) for d in processed] + [quarantined_item(q) for q in quarantined]
    if not items:
        return DynamoWriteResult(0, 0)
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        results = list(pool.map(lambda it: _put(client, table_name, it), items))
    written = sum(results)
    return DynamoWriteResult(written, len(results) - written)
