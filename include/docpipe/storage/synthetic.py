"""Generated batches of processed documents for benchmarks and tests of the stores (no extraction run).

Every document has `fields` entities cycling through the value shapes the extraction engines
produce (money, date, form key-value, plain text), one PII finding and a moderation verdict.
`version` shifts the upload time and content hash, so version 2 of a batch is a newer upload of
the same objects.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from docpipe.models import Entity, ExtractionResult, ModerationVerdict, ObjectRef, PiiFinding, ProcessedDocument

BUCKET = "docpipe-uploads"
HOUR = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
MODEL_TAG = "fs-1a2b3c4d5e"  # the extractor of a field the field-selection model chose ("rules" otherwise)


def _entity(j: int, n: int) -> Entity:
    box = [0.1, 0.1 + j / 100, 0.4, 0.12 + j / 100]
    kind = j % 4
    if kind == 0:
        units, cents = 10 + (n * 7 + j) % 9000, (n + j) % 100
        text = f"{units}.{cents:02d}"
        money = {"currencyCode": "EUR", "units": str(units), "nanos": cents * 10_000_000}
        return Entity("total_amount", text, 0.91, 0, {"text": text, "moneyValue": money}, box, MODEL_TAG)
    if kind == 1:
        value = {"text": "2026-03-14", "dateValue": {"year": 2026, "month": 3, "day": 14}}
        return Entity("invoice_date", "14/03/2026", 0.88, 0, value, box, MODEL_TAG)
    if kind == 2:
        value = {"text": f"answer {n}-{j}", "key": f"Question {j}"}
        return Entity("form_field", f"answer {n}-{j}", 0.8, 1, value, box, "rules")
    value = {"text": "Northwind Supplies Ltd"}
    return Entity("supplier_name", "Northwind Supplies Ltd", 0.95, 0, value, None, MODEL_TAG)


def processed_documents(
    count: int, *, fields: int = 20, tenants: tuple[str, ...] = ("acme", "globex", "initech"), version: int = 1,
    prefix: str = "uploads", first: int = 0,
) -> list[ProcessedDocument]:  # fmt: skip
    """`count` processed documents (numbered from `first`) spread round-robin over `tenants`."""
    uploaded = HOUR + timedelta(minutes=version)
    out = []
    for n in range(first, first + count):
        tenant = tenants[n % len(tenants)]
        key = f"{prefix}/{tenant}/{HOUR:%Y/%m/%d/%H}/doc-{n:06d}.pdf"
        sha = hashlib.sha256(f"{key}@{version}".encode()).hexdigest()
        ref = ObjectRef(tenant, BUCKET, key, 20_000 + n, f"etag-{n}-v{version}", uploaded + timedelta(seconds=n % 60))
        ex = ExtractionResult({"text": f"Invoice {n}"}, "invoice", 0.95, 2, [_entity(j, n) for j in range(fields)],
                              "local", "local-bench")  # fmt: skip
        verdict = ModerationVerdict("allow", {"Toxic": 0.01, "Finance": 0.42}, [PiiFinding("email", 10, 27)], "local",
                                    "moderation-bench", ["no category above its threshold"])  # fmt: skip
        out.append(ProcessedDocument(ref, sha, ex, verdict, f"s3://docpipe-processed/{tenant}/{ref.document_id}/{sha}.json",
                                     120, 4))  # fmt: skip
    return out
