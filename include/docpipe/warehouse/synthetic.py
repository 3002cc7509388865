"""Synthetic facts in the Postgres store, for the warehouse's volume test and benchmark.

`insert_facts` writes N documents' worth of rows straight into `docpipe.*` (tenants, documents, their
fields, moderation results and the hourly pipeline runs that "processed" them), as the ingest pipeline
would, without running extraction: the warehouse load only reads these tables. Deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from docpipe.extraction.fields import SCHEMAS
from docpipe.models import document_id_for

TENANTS = ("acme", "globex", "initech", "umbrella")
TYPES = ("invoice", "receipt", "form", "other")
TYPE_WEIGHTS = (0.45, 0.35, 0.12, 0.08)
# what produced a field (document_fields.extractor): a field-selection model's tag, the rules, or unsaid.
# Taken in turn, not drawn, so the other columns' random draws stay what they were.
EXTRACTORS = ("fs-1a2b3c4d5e", "fs-1a2b3c4d5e", "rules", None)
CATEGORIES = ("Toxic", "Insult", "Profanity", "Derogatory", "Sexual", "Death, Harm & Tragedy", "Violent",
              "Firearms & Weapons", "Public Safety", "Health", "Religion & Belief", "Illicit Drugs",
              "War & Conflict", "Politics", "Finance", "Legal")  # fmt: skip


@dataclass(frozen=True)
class SyntheticCounts:
    documents: int
    fields: int
    moderation: int
    runs: int
    tenants: int

    @property
    def rows(self) -> int:
        return self.documents + self.fields + self.moderation + self.runs + self.tenants


def insert_facts(
    pg_conn: Any,
    documents: int,
    *,
    start: datetime,
    end: datetime,
    seed: int = 7,
    quarantined_share: float = 0.03,
    prefix: str = "synthetic",
) -> SyntheticCounts:
    """Insert `documents` documents processed in [start, end) with their fields and moderation results,
    plus one pipeline run per hour of the window. `pg_conn` is a psycopg 3 connection; one transaction."""
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    docs: list[tuple[Any, ...]] = []
    fields: list[tuple[Any, ...]] = []
    moderation: list[tuple[Any, ...]] = []
    for i in range(documents):
        tenant = TENANTS[i % len(TENANTS)]
        key = f"{prefix}/{i:07d}.pdf"
        doc_id = document_id_for(tenant, "docpipe-uploads", key)
        updated = start + timedelta(seconds=rng.random() * span * 0.999)
        uploaded = updated - timedelta(minutes=rng.randint(1, 50))
        hour = uploaded.replace(minute=0, second=0, microsecond=0)
        run_id = f"scheduled__{hour + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}+00:00"
        if rng.random() < quarantined_share:
            docs.append((doc_id, tenant, "docpipe-uploads", key, None, f"etag{i}", rng.randint(10, 10_000),
                         uploaded, hour, "quarantined", None, None, None, None, None, None, None, None, None,
                         None, run_id, updated, updated))  # fmt: skip
            continue
        sha = hashlib.sha256(f"{prefix}{i}".encode()).hexdigest()
        dtype = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        pages = rng.randint(1, 4)
        ocr = pages if rng.random() < 0.2 else 0
        scores = {c: round(rng.random() ** 6, 4) for c in CATEGORIES}
        top = max(scores.values())
        decision = "block" if top >= 0.9 else "review" if top >= 0.6 else "allow"
        docs.append((doc_id, tenant, "docpipe-uploads", key, sha, f"etag{i}", rng.randint(20_000, 900_000),
                     uploaded, hour, "processed", dtype, round(rng.uniform(0.6, 1.0), 4), pages, ocr, "local",
                     "1.0", decision, rng.randint(50, 2_500), rng.randint(2, 80), f"s3://docpipe-processed/{tenant}/"
                     f"{doc_id}/{sha}.json", run_id, updated, updated))  # fmt: skip
        # forms repeat their one field type; other types have no schema but may still yield a field
        wanted = SCHEMAS.get(dtype, ()) * (3 if dtype == "form" else 1) or ("supplier_name",)
        for ordinal, ftype in enumerate(f for f in wanted if rng.random() < 0.9):
            amount = ftype.endswith("amount")
            date = ftype.endswith("date")
            fields.append((doc_id, ordinal, sha, ftype, f"{ftype} {i}", None if amount or date else f"{ftype} {i}",
                           Decimal(rng.randint(100, 999_999)) / 100 if amount else None,
                           (start - timedelta(days=rng.randint(0, 60))).date() if date else None,
                           "EUR" if amount else None, round(rng.betavariate(5, 1.5), 4), rng.randint(0, pages - 1),
                           [0.1, 0.1, 0.5, 0.2], EXTRACTORS[(i + ordinal) % len(EXTRACTORS)], updated))  # fmt: skip
        reasons = [f"{c} {s}" for c, s in scores.items() if s >= 0.6]
        moderation.append((doc_id, sha, decision, json.dumps(scores, sort_keys=True), reasons,
                           rng.randint(0, 3), "local", "1.0", updated))  # fmt: skip
    runs: list[tuple[Any, ...]] = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        finished = hour + timedelta(hours=1, minutes=rng.randint(2, 70))
        runs.append((f"scheduled__{hour + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}+00:00", "document_ingest", hour,
                     hour + timedelta(hours=1), 10, 9, 1, 0, 0, 1, 20, 2, json.dumps({"batches": [10]}), "success",
                     hour + timedelta(hours=1), finished, min(finished, end - timedelta(seconds=1))))  # fmt: skip
        hour += timedelta(hours=1)
    tenants = sorted({d[1] for d in docs})
    with pg_conn.transaction(), pg_conn.cursor() as cur:
        with cur.copy("COPY docpipe.tenants (tenant_id, created_at, updated_at) FROM STDIN") as cp:
            for t in tenants:
                cp.write_row((t, start, start))
        with cur.copy(
            "COPY docpipe.documents (document_id, tenant_id, bucket, object_key, content_sha256, s3_etag, size_bytes, "
            "uploaded_at, source_hour, status, document_type, type_confidence, page_count, ocr_page_count, engine, "
            "engine_version, moderation_decision, extract_ms, moderate_ms, result_uri, run_id, created_at, "
            "updated_at) FROM STDIN"
        ) as cp:
            for doc in docs:
                cp.write_row(doc)
        with cur.copy(
            "COPY docpipe.document_fields (document_id, ordinal, content_sha256, field_type, mention_text, value_text, "
            "value_number, value_date, currency, confidence, page, bbox, extractor, updated_at) FROM STDIN"
        ) as cp:
            for f in fields:
                cp.write_row(f)
        with cur.copy(
            "COPY docpipe.moderation_results (document_id, content_sha256, decision, categories, reasons, pii_count, "
            "engine, engine_version, updated_at) FROM STDIN"
        ) as cp:
            for m in moderation:
                cp.write_row(m)
        with cur.copy(
            "COPY docpipe.pipeline_runs (run_id, dag_id, interval_start, interval_end, listed, processed, quarantined, "
            "unchanged, missing, batches, pages, ocr_pages, details, status, started_at, finished_at, updated_at) "
            "FROM STDIN"
        ) as cp:
            for r in runs:
                cp.write_row(r)
    return SyntheticCounts(len(docs), len(fields), len(moderation), len(runs), len(tenants))
