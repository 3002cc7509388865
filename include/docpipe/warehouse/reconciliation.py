"""Step 4 of the warehouse load: does CURATED hold what Postgres holds for the load interval?

Per CURATED table, the same selection is made on both sides for [interval_start, interval_end) (no
lookback): in Postgres, what the export selects now; in CURATED, the rows whose source timestamps fall in
the interval (not which load wrote them), so that reconciling an old interval after newer ones were loaded
still compares like with like. Both sides give a row count and a checksum of the rows' keys: the keys are
spread over 256 buckets by the first two hex digits of their MD5, and each bucket's checksum is the MD5 of
its keys sorted and joined (MD5, LISTAGG/string_agg and byte-order sorting agree between Postgres,
Snowflake and the DuckDB stand-in; Snowflake's HASH_AGG has no Postgres twin). Buckets keep every
aggregated string small (a bucket of a 10M-key table is ~3 MB, far below Snowflake's 16 MB limit) and say
where a difference lies. The keys include the version and status, so a stale version counts as a
difference, not just a missing row.

A row updated in Postgres between the export and this check shows up as a difference (the next night's
load resolves it): run it right after the merge. Moderation results with no categories have no CURATED row
to carry their timestamp (a document changed only that way is not matched).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docpipe.warehouse.export import CHANGED_CTE, Snapshot, as_utc
from docpipe.warehouse.sqlfiles import execute_statement


@dataclass(frozen=True)
class _Side:
    pg_from: str  # FROM ... (+ WHERE) in Postgres: yields rows with a column `k` (the key as text)
    pg_key: str
    sf_from: str
    sf_key: str


# Postgres: the export's selection for the interval (documents changed: the row, a field or moderation).
_PG_TENANTS = """docpipe.tenants t
WHERE (t.updated_at >= %(start)s AND t.updated_at < %(end)s)
   OR t.tenant_id IN (SELECT d.tenant_id FROM docpipe.documents d JOIN changed c ON c.document_id = d.document_id)"""

# CURATED: current document versions changed in the interval, by the source timestamps the facts carry.
_SF_CHANGED = """(
    SELECT DOCUMENT_ID, TENANT_ID
    FROM CURATED.FCT_DOCUMENT
    WHERE IS_CURRENT AND (
        (PROCESSED_AT >= %(start)s::TIMESTAMP_TZ AND PROCESSED_AT < %(end)s::TIMESTAMP_TZ)
        OR DOCUMENT_ID IN (
            SELECT DOCUMENT_ID FROM CURATED.FCT_DOCUMENT_FIELD
            WHERE UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND UPDATED_AT < %(end)s::TIMESTAMP_TZ
        )
        OR DOCUMENT_ID IN (
            SELECT DOCUMENT_ID FROM CURATED.FCT_MODERATION
            WHERE UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND UPDATED_AT < %(end)s::TIMESTAMP_TZ
        )
    )
)"""

SIDES: dict[str, _Side] = {
    "fct_document": _Side(
        "docpipe.documents d JOIN changed c ON c.document_id = d.document_id",
        "d.document_id || ':' || coalesce(d.content_sha256, '-') || ':' || d.status",
        f"CURATED.FCT_DOCUMENT AS d WHERE d.IS_CURRENT AND d.DOCUMENT_ID IN (SELECT DOCUMENT_ID FROM {_SF_CHANGED})",
        "d.DOCUMENT_ID || ':' || COALESCE(d.CONTENT_SHA256, '-') || ':' || d.STATUS",
    ),
    "fct_document_field": _Side(
        "docpipe.document_fields f JOIN changed c ON c.document_id = f.document_id",
        "f.document_id || ':' || f.ordinal::text || ':' || f.content_sha256",
        f"CURATED.FCT_DOCUMENT_FIELD AS f WHERE f.DOCUMENT_ID IN (SELECT DOCUMENT_ID FROM {_SF_CHANGED})",
        "f.DOCUMENT_ID || ':' || f.ORDINAL::VARCHAR || ':' || f.CONTENT_SHA256",
    ),
    "fct_moderation": _Side(
        "docpipe.moderation_results m JOIN changed c ON c.document_id = m.document_id, "
        "jsonb_object_keys(m.categories) AS cat(name)",
        "m.document_id || ':' || cat.name || ':' || m.content_sha256",
        f"CURATED.FCT_MODERATION AS m WHERE m.DOCUMENT_ID IN (SELECT DOCUMENT_ID FROM {_SF_CHANGED})",
        "m.DOCUMENT_ID || ':' || m.CATEGORY || ':' || m.CONTENT_SHA256",
    ),
    "fct_pipeline_run": _Side(
        "docpipe.pipeline_runs r WHERE r.updated_at >= %(start)s AND r.updated_at < %(end)s",
        "r.dag_id || ':' || r.run_id || ':' || r.status",
        "CURATED.FCT_PIPELINE_RUN AS r "
        "WHERE r.UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND r.UPDATED_AT < %(end)s::TIMESTAMP_TZ",
        "r.DAG_ID || ':' || r.RUN_ID || ':' || r.STATUS",
    ),
    "dim_tenant": _Side(
        _PG_TENANTS,
        "t.tenant_id",
        "CURATED.DIM_TENANT AS t "
        "WHERE (t.UPDATED_AT >= %(start)s::TIMESTAMP_TZ AND t.UPDATED_AT < %(end)s::TIMESTAMP_TZ) "
        f"OR t.TENANT_ID IN (SELECT TENANT_ID FROM {_SF_CHANGED})",
        "t.TENANT_ID",
    ),
}


def pg_checksum_sql(side: _Side) -> str:
    # COLLATE "C": byte order, as Snowflake and DuckDB sort; the database's locale may order punctuation differently
    return (
        f"{CHANGED_CTE}, keys AS (SELECT {side.pg_key} AS k FROM {side.pg_from})\n"
        "SELECT left(md5(k), 2) AS bucket, count(*), md5(string_agg(k, ',' ORDER BY k COLLATE \"C\"))\n"
        "FROM keys GROUP BY 1"
    )


def sf_checksum_sql(side: _Side) -> str:
    return (
        f"WITH keys AS (SELECT {side.sf_key} AS K FROM {side.sf_from})\n"
        "SELECT LEFT(MD5(K), 2) AS BUCKET, COUNT(*), MD5(LISTAGG(K, ',') WITHIN GROUP (ORDER BY K))\n"
        "FROM keys GROUP BY 1"
    )


def _combine(buckets: dict[str, tuple[int, str]]) -> str:
    """One checksum for the whole key set (for logs and alerts): MD5 over the sorted bucket checksums."""
    return hashlib.md5(
        ",".join(f"{b}:{n}:{h}" for b, (n, h) in sorted(buckets.items())).encode(), usedforsecurity=False
    ).hexdigest()


def reconcile(
    pg_conn: Any, sf_conn: Any, interval_start: datetime | str, interval_end: datetime | str
) -> dict[str, Any]:
    """Compare Postgres with CURATED for the interval: row counts and key checksums per table.

    Returns {"interval_start", "interval_end", "ok",
             "tables": {table: {"source", "target", "source_checksum", "target_checksum",
                                "differing_buckets", "ok"}}}.
    """
    start, end = as_utc(interval_start), as_utc(interval_end)
    pg_params = {"start": start, "end": end}
    sf_params = {"start": start.isoformat(), "end": end.isoformat()}
    tables: dict[str, Any] = {}
    with Snapshot(pg_conn):
        for name, side in SIDES.items():
            with pg_conn.cursor() as cur:
                cur.execute(pg_checksum_sql(side), pg_params)
                src = {str(b): (int(n), str(h)) for b, n, h in cur.fetchall()}
            _, rows = execute_statement(sf_conn, sf_checksum_sql(side), sf_params)
            tgt = {str(b): (int(n), str(h)) for b, n, h in rows}
            differing = sorted(b for b in set(src) | set(tgt) if src.get(b) != tgt.get(b))
            entry = {
                "source": sum(n for n, _ in src.values()),
                "target": sum(n for n, _ in tgt.values()),
                "source_checksum": _combine(src),
                "target_checksum": _combine(tgt),
                "differing_buckets": differing,
            }
            entry["ok"] = entry["source"] == entry["target"] and not differing
            tables[name] = entry
    return {
        "interval_start": start.isoformat(),
        "interval_end": end.isoformat(),
        "tables": tables,
        "ok": all(t["ok"] for t in tables.values()),
    }


def describe(result: dict[str, Any]) -> str:
    """A reconciliation result as a few readable lines (for the failure message and logs)."""
    lines = [f"reconciliation of [{result['interval_start']}, {result['interval_end']}): "
             f"{'OK' if result['ok'] else 'MISMATCH'}"]  # fmt: skip
    for name, t in result["tables"].items():
        state = "ok" if t["ok"] else "MISMATCH"
        extra = "" if t["ok"] else f", {len(t['differing_buckets'])} of 256 key buckets differ"
        lines.append(f"  {name}: Postgres {t['source']} rows, Snowflake {t['target']} rows, "
                     f"checksum {t['source_checksum'][:12]} vs {t['target_checksum'][:12]}: {state}{extra}")  # fmt: skip
    return "\n".join(lines)
