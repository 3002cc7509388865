"""The CURATED model's contract in code: each table's unique key and the checks that must hold on it.

Snowflake does not enforce keys, so they are tested: the nightly DAG runs `table_checks(t)` with
common-sql's SQLTableCheckOperator (one task per table), and the tests run the same statements. The
keys here must match the "Key:" stated in each table's COMMENT (tests/unit/test_snowflake_sql.py checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docpipe.warehouse.sqlfiles import execute_statement


@dataclass(frozen=True)
class CuratedTable:
    name: str  # table name in schema CURATED
    key: tuple[str, ...]
    checks: dict[str, str] = field(default_factory=dict)  # name -> aggregate expression, true when it holds

    @property
    def qualified(self) -> str:
        return f"CURATED.{self.name}"


def _in_unit_range(column: str) -> str:
    return f"COUNT_IF({column} < 0 OR {column} > 1) = 0"


CURATED_TABLES: tuple[CuratedTable, ...] = (
    CuratedTable(
        "DIM_DATE",
        ("DATE_DAY",),
        {"calendar_has_no_gaps": "COUNT(*) = DATEDIFF('day', MIN(DATE_DAY), MAX(DATE_DAY)) + 1"},
    ),
    CuratedTable("DIM_TENANT", ("TENANT_ID",)),
    CuratedTable(
        "DIM_DOCUMENT_TYPE",
        ("DOCUMENT_TYPE",),
        {"expected_field_count_matches": "COUNT_IF(EXPECTED_FIELD_COUNT <> ARRAY_SIZE(EXPECTED_FIELDS)) = 0"},
    ),
    CuratedTable(
        "FCT_DOCUMENT",
        ("DOCUMENT_VERSION_KEY",),
        {
            "one_current_version_per_document": "COUNT_IF(IS_CURRENT) = COUNT(DISTINCT DOCUMENT_ID)",
            "status_is_known": "COUNT_IF(STATUS NOT IN ('processed', 'quarantined')) = 0",
            "completeness_in_0_1": _in_unit_range("FIELD_COMPLETENESS"),
            "found_at_most_expected": "COUNT_IF(EXPECTED_FIELDS_FOUND > EXPECTED_FIELD_COUNT) = 0",
        },
    ),
    CuratedTable(
        "FCT_DOCUMENT_FIELD",
        ("DOCUMENT_ID", "ORDINAL"),
        {"confidence_in_0_1": _in_unit_range("CONFIDENCE")},
    ),
    CuratedTable(
        "FCT_MODERATION",
        ("DOCUMENT_ID", "CATEGORY"),
        {
            "confidence_in_0_1": _in_unit_range("CONFIDENCE"),
            "one_top_category_per_document": "COUNT_IF(CATEGORY_RANK = 1) = COUNT(DISTINCT DOCUMENT_ID)",
        },
    ),
    CuratedTable(
        "FCT_PIPELINE_RUN",
        ("DAG_ID", "RUN_ID"),
        {
            "successful_runs_account_for_every_object": (
                "COUNT_IF(STATUS = 'success' AND LISTED <> PROCESSED + QUARANTINED + UNCHANGED) = 0"
            ),
        },
    ),
)

TABLES_BY_NAME = {t.name: t for t in CURATED_TABLES}


def table_checks(table: CuratedTable) -> dict[str, dict[str, str]]:
    """The `checks` argument of SQLTableCheckOperator for a table: key unique and not NULL, plus its own."""
    keys = ", ".join(table.key)
    checks = {
        "key_is_unique": f"COUNT(*) = COUNT(DISTINCT {keys})",
        "key_is_not_null": f"COUNT_IF({' OR '.join(f'{k} IS NULL' for k in table.key)}) = 0",
        **table.checks,
    }
    return {name: {"check_statement": statement} for name, statement in checks.items()}


def duplicate_keys_sql(table: CuratedTable) -> str:
    """Keys held by more than one row (the test query per table)."""
    keys = ", ".join(table.key)
    return f"SELECT {keys}, COUNT(*) AS N FROM {table.qualified} GROUP BY {keys} HAVING COUNT(*) > 1"


def run_checks(sf_conn: Any, tables: tuple[CuratedTable, ...] = CURATED_TABLES) -> dict[str, dict[str, bool]]:
    """Evaluate every table's checks on a connection, as SQLTableCheckOperator would: {table: {check: ok}}."""
    results: dict[str, dict[str, bool]] = {}
    for table in tables:
        results[table.name] = {}
        for name, check in table_checks(table).items():
            sql = f"SELECT CASE WHEN {check['check_statement']} THEN 1 ELSE 0 END FROM {table.qualified}"
            _, rows = execute_statement(sf_conn, sql)
            results[table.name][name] = bool(rows) and int(rows[0][0]) == 1
    return results


def failed_checks(results: dict[str, dict[str, bool]]) -> list[str]:
    return [f"{table}.{check}" for table, checks in results.items() for check, ok in checks.items() if not ok]
