"""Every .sql file of the warehouse parses as Snowflake SQL (sqlglot), and hangs together.

Statements are split exactly as at run time (the connector's splitter, comments removed) and their
`%(name)s` placeholders are bound with sample literals first. The Snowflake-only files in
sql/snowflake/security/ (roles, grants, masking policies) are never executed locally: sqlglot parses
some of their statements only as opaque commands, so those get structural checks on top.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from docpipe.warehouse import export, load, model, reconciliation
from docpipe.warehouse.sqlfiles import (
    analytics_dir,
    ddl_files,
    merge_files,
    placeholders,
    security_files,
    snowflake_dir,
    split_statements,
)

SAMPLE_PARAMS = {
    "interval_start": "'2025-03-01T00:00:00+00:00'",
    "stage_url": "'s3://docpipe-staging/warehouse/'",
    "document_type_schemas": '\'{"invoice": ["invoice_id", "total_amount"]}\'',
    "sla_targets": "'{\"document_ingest\": 2700}'",
    "start": "'2025-03-01T00:00:00+00:00'",
    "end": "'2025-03-02T00:00:00+00:00'",
    "export_id": "'20250302T020000000000Z'",
}
SQL_FILES = sorted(snowflake_dir().rglob("*.sql")) + sorted(analytics_dir().glob("*.sql"))
NON_SECURITY = [p for p in SQL_FILES if "security" not in p.parts]


def _bind(statement: str) -> str:
    return re.sub(r"%\((\w+)\)s", lambda m: SAMPLE_PARAMS[m.group(1)], statement)


def _parse(statement: str) -> exp.Expr:
    return sqlglot.parse_one(_bind(statement), read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)


def _rel(path: Path) -> str:
    return str(path.relative_to(snowflake_dir().parent))


def _ddl_tables() -> dict[str, list[str]]:
    """Table/view name (SCHEMA.NAME) -> column names, from the DDL files."""
    tables: dict[str, list[str]] = {}
    for path in ddl_files():
        for statement in split_statements(path.read_text()):
            tree = _parse(statement)
            if isinstance(tree, exp.Create) and tree.kind in {"TABLE", "VIEW"}:
                table = tree.find(exp.Table)
                assert table is not None
                name = f"{table.db}.{table.name}".upper()
                schema = tree.this if isinstance(tree.this, exp.Schema) else None
                cols = [c.name.upper() for c in schema.expressions if isinstance(c, exp.ColumnDef)] if schema else []
                tables[name] = cols
    return tables


def test_sql_files_exist():
    names = {_rel(p) for p in SQL_FILES}
    assert "snowflake/0001_database.sql" in names
    assert "analytics/documents_by_tenant_and_type.sql" in names
    assert "analytics/moderation_decisions.sql" in names
    assert len(merge_files()) >= 6 and len(security_files()) >= 3


@pytest.mark.parametrize("path", SQL_FILES, ids=_rel)
def test_every_statement_parses(path: Path):
    statements = split_statements(path.read_text())
    assert statements, f"{path} has no statements"
    for statement in statements:
        assert placeholders(statement) <= set(SAMPLE_PARAMS), statement
        tree = _parse(statement)
        assert tree is not None
        if path in NON_SECURITY:
            # everything the pipeline runs must be understood by sqlglot, not passed through as a command
            assert not isinstance(tree, exp.Command), f"{_rel(path)}: unparsed statement: {statement[:80]}"


def test_ddl_is_idempotent_by_construction():
    for path in ddl_files():
        for statement in split_statements(path.read_text()):
            tree = _parse(statement)
            if isinstance(tree, exp.Create):
                assert tree.args.get("exists") or tree.args.get("replace"), f"{_rel(path)}: {statement[:80]}"
                if tree.kind in {"TABLE", "SCHEMA", "DATABASE"}:
                    assert tree.args.get("exists"), f"{_rel(path)}: use IF NOT EXISTS: {statement[:80]}"
            elif isinstance(tree, exp.Merge):
                # seeding a static table: only inserts what is missing, so a rerun is a no-op
                whens = tree.args["whens"].expressions
                assert all(not w.args.get("matched") for w in whens), f"{_rel(path)}: MERGE must only insert"
            else:
                assert isinstance(tree, exp.Use), f"{_rel(path)}: unexpected DDL {statement[:80]}"


def _creates() -> list[tuple[Path, str, exp.Create]]:
    out = []
    for path in ddl_files():
        for statement in split_statements(path.read_text()):
            tree = _parse(statement)
            if isinstance(tree, exp.Create):
                out.append((path, statement, tree))
    return out


def _comment(tree: exp.Create) -> str | None:
    props = tree.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.SchemaCommentProperty):
            return prop.this.name
    return None


def _column_comments(tree: exp.Create) -> dict[str, str | None]:
    schema = tree.this if isinstance(tree.this, exp.Schema) else None
    out = {}
    for col in schema.expressions if schema else []:
        if isinstance(col, exp.ColumnDef):
            comments = [c.kind.this.name for c in col.args.get("constraints") or []
                        if isinstance(c.kind, exp.CommentColumnConstraint)]  # fmt: skip
            out[col.name.upper()] = comments[0] if comments else None
    return out


def test_every_object_and_column_is_commented():
    for path, statement, tree in _creates():
        if tree.kind in {"TABLE", "VIEW", "SCHEMA", "STAGE", "FILE FORMAT", "DATABASE"}:
            assert "COMMENT" in statement.upper(), f"{_rel(path)}: no COMMENT on {statement[:60]}"
        if tree.kind in {"TABLE", "VIEW"}:
            name = tree.find(exp.Table).sql()
            comment = _comment(tree) or ""
            assert "Grain:" in comment and "Key:" in comment, f"{name}: state grain and key in the COMMENT"
            columns = _column_comments(tree)
            assert columns or "columns as in" in comment, f"{name}: comment every column"
            for column, text in columns.items():
                assert text and len(text) >= 5, f"{name}.{column} has no comment"


def _stated_key(tree: exp.Create) -> tuple[str, ...]:
    m = re.search(r"Key: ([A-Z_, ]+)$", _comment(tree) or "")
    assert m, tree.sql()[:80]
    return tuple(k.strip() for k in m.group(1).split(","))


def test_curated_keys_in_code_match_the_table_comments():
    stated = {tree.this.this.name.upper(): _stated_key(tree) for _, _, tree in _creates()
              if tree.kind == "TABLE" and tree.this.this.db.upper() == "CURATED"}  # fmt: skip
    assert stated == {t.name: t.key for t in model.CURATED_TABLES}


def test_quality_checks_parse_and_cover_every_key():
    for table in model.CURATED_TABLES:
        checks = model.table_checks(table)
        assert {"key_is_unique", "key_is_not_null"} <= set(checks)
        for check in checks.values():
            sql = f"SELECT CASE WHEN {check['check_statement']} THEN 1 ELSE 0 END FROM {table.qualified}"
            _parse(sql)
        tree = _parse(model.duplicate_keys_sql(table))
        assert isinstance(tree, exp.Select) and tree.args.get("having") is not None


def test_raw_tables_mirror_the_export_and_carry_load_metadata():
    tables = _ddl_tables()
    for spec in export.EXPORTS:
        raw = tables[f"RAW.{spec.table.upper()}"]
        exported = [name.upper() for name in spec.schema().names]
        assert raw == exported, spec.table
        assert raw[-5:] == ["_INTERVAL_START", "_INTERVAL_END", "_RUN_ID", "_EXPORT_ID", "_LOADED_AT"]


def test_curated_tables_have_the_agreed_columns():
    tables = _ddl_tables()
    required = {
        "CURATED.FCT_DOCUMENT": "DOCUMENT_ID CONTENT_SHA256 TENANT_ID DOCUMENT_TYPE PAGE_COUNT OCR_PAGE_COUNT ENGINE "
        "ENGINE_VERSION STATUS MODERATION_DECISION MODERATION_CATEGORIES EXTRACT_MS MODERATE_MS FIELD_COUNT "
        "MEAN_FIELD_CONFIDENCE FIELD_COMPLETENESS MISSING_FIELDS UPLOADED_AT UPLOADED_DATE SOURCE_HOUR PROCESSED_AT",
        "CURATED.FCT_DOCUMENT_FIELD": "DOCUMENT_ID ORDINAL CONTENT_SHA256 FIELD_TYPE VALUE_TEXT VALUE_NUMBER VALUE_DATE "
        "NORMALIZED_VALUE CONFIDENCE PAGE EXTRACTOR",
        "CURATED.FCT_MODERATION": "DOCUMENT_ID CATEGORY CONFIDENCE DECISION MODERATED_DATE",
        "CURATED.FCT_PIPELINE_RUN": "DAG_ID RUN_ID STATUS LISTED PROCESSED QUARANTINED UNCHANGED DURATION_SECONDS "
        "LATENCY_SECONDS SLA_TARGET_SECONDS DEADLINE_MISSED SLA_MET",
        "CURATED.DIM_TENANT": "TENANT_ID",
        "CURATED.DIM_DOCUMENT_TYPE": "DOCUMENT_TYPE EXPECTED_FIELDS EXPECTED_FIELD_COUNT",
        "CURATED.DIM_DATE": "DATE_DAY YEAR MONTH WEEK_START IS_WEEKEND",
    }
    for table, columns in required.items():
        assert set(columns.split()) <= set(tables[table]), table


@pytest.mark.parametrize("path", merge_files() + sorted(analytics_dir().glob("*.sql")), ids=_rel)
def test_referenced_tables_and_written_columns_exist(path: Path):
    tables = _ddl_tables()
    for statement in split_statements(path.read_text()):
        tree = _parse(statement)
        ctes = {c.alias_or_name.upper() for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not table.name or table.name.upper() in ctes or isinstance(table.this, exp.Anonymous):
                continue
            if table.name.upper() == "FLATTEN" or not table.db:
                continue
            assert f"{table.db}.{table.name}".upper() in tables, f"{_rel(path)}: unknown table {table.sql()}"
        # columns named in INSERT lists and UPDATE SET must exist in the target
        if isinstance(tree, (exp.Insert, exp.Merge)):
            target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            target_cols = set(tables[f"{target.db}.{target.name}".upper()])
            for schema in tree.find_all(exp.Schema):
                for col in schema.expressions:
                    assert col.name.upper() in target_cols, f"{_rel(path)}: {target.name}.{col.name}"
            for eq in (e for upd in tree.find_all(exp.Update) for e in upd.expressions):
                assert eq.this.name.upper() in target_cols, f"{_rel(path)}: {target.name}.{eq.this.name}"


def test_merge_files_are_bound_to_the_interval():
    for path in merge_files():
        statements = split_statements(path.read_text())
        assert all("interval_start" in placeholders(s) for s in statements), _rel(path)


def test_load_statements_parse():
    path = export.export_path("documents", datetime(2025, 3, 1, tzinfo=UTC), "scheduled__2025-03-02T00:00:00+00:00",
                              "20250302T020000000000Z")  # fmt: skip
    for table in export.TABLES:
        for force in (False, True):
            statement = load.copy_statement(path.replace("documents", table), table, force=force)
            copy = _parse(statement)
            assert isinstance(copy, exp.Copy)
            assert ("FORCE = TRUE" in statement) is force
            assert "interval=20250301T000000Z/run=scheduled__2025-03-02T00-00-00-00-00/export=" in statement
        for sql in (
            load._delete_other_exports_sql(table),
            load._delete_export_sql(table),
            load._count_export_sql(table),
        ):
            _parse(_bind(sql))


def test_reconciliation_queries_parse_on_both_sides():
    for side in reconciliation.SIDES.values():
        sf = _parse(_bind(reconciliation.sf_checksum_sql(side)))
        assert isinstance(sf, exp.Select)
        pg = sqlglot.parse_one(_bind(reconciliation.pg_checksum_sql(side)), read="postgres",
                               error_level=sqlglot.ErrorLevel.RAISE)  # fmt: skip
        assert isinstance(pg, exp.Select)
        # the same key, the same bucketing and the same ordering on both sides
        assert "md5(k), 2" in reconciliation.pg_checksum_sql(side) and "MD5(K), 2" in reconciliation.sf_checksum_sql(
            side
        )


# ---- Snowflake-only security files: sqlglot falls back to exp.Command for several statement kinds,
# ---- which accepts anything, so check their structure explicitly.

_SECURITY_FORMS = [
    r"USE ROLE \w+",
    r"CREATE ROLE IF NOT EXISTS \w+( COMMENT = '[^']*')?",
    r"CREATE USER IF NOT EXISTS \w+( \w+ = [\w.']+)*( COMMENT = '[^']*')?",
    r"GRANT ROLE \w+ TO (ROLE|USER) \w+",
    r"GRANT [A-Z, ]+ ON (ALL|FUTURE) (TABLES|VIEWS) IN SCHEMA DOCPIPE\.\w+ TO ROLE \w+",
    r"GRANT USAGE ON (WAREHOUSE|DATABASE|SCHEMA|STAGE|FILE FORMAT|INTEGRATION) [\w.]+ TO ROLE \w+",
    r"CREATE STORAGE INTEGRATION IF NOT EXISTS \w+ .+",
    r"ALTER STAGE [\w.]+ SET STORAGE_INTEGRATION = \w+",
    r"CREATE MASKING POLICY IF NOT EXISTS [\w.]+ AS \(\w+ (STRING|VARIANT)\) RETURNS (STRING|VARIANT) -> .+",
    r"ALTER TABLE [\w.]+ MODIFY COLUMN \w+ SET MASKING POLICY [\w.]+ FORCE",
]


def _flat(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()


def _security_statements() -> list[str]:
    return [_flat(s) for p in security_files() for s in split_statements(p.read_text())]


def test_security_statements_have_known_shapes():
    for statement in _security_statements():
        assert any(re.fullmatch(form, statement) for form in _SECURITY_FORMS), f"unexpected: {statement}"
        assert statement.count("(") == statement.count(")") and statement.count("'") % 2 == 0, statement


def test_security_roles_grants_and_policies_are_consistent():
    statements = _security_statements()
    created_roles = {m.group(1) for s in statements if (m := re.match(r"CREATE ROLE IF NOT EXISTS (\w+)", s))}
    assert created_roles == {"DOCPIPE_LOADER", "DOCPIPE_TRANSFORMER", "DOCPIPE_ANALYST"}
    builtin = {"SYSADMIN", "SECURITYADMIN", "USERADMIN", "ACCOUNTADMIN"}
    for s in statements:
        for role in re.findall(r"TO ROLE (\w+)", s) + re.findall(r"^GRANT ROLE (\w+)", s):
            assert role in created_roles | builtin, s
        for role in re.findall(r"IS_ROLE_IN_SESSION\('(\w+)'\)", s):
            assert role in created_roles, s
    # analysts read CURATED but never RAW
    assert not [s for s in statements if "DOCPIPE_ANALYST" in s and "DOCPIPE.RAW" in s]
    assert any("DOCPIPE.CURATED TO ROLE DOCPIPE_ANALYST" in s and s.startswith("GRANT SELECT") for s in statements)

    # masking policies: the body is a valid expression, and every masked column exists
    tables = _ddl_tables()
    policies = {}
    for s in statements:
        if m := re.match(r"CREATE MASKING POLICY IF NOT EXISTS ([\w.]+) AS \((\w+) (\w+)\) RETURNS \3 -> (.+)", s):
            body = re.sub(r" COMMENT = '[^']*'$", "", m.group(4))
            tree = sqlglot.parse_one(body, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
            assert isinstance(tree, exp.Case)
            assert m.group(2) in {c.name for c in tree.find_all(exp.Column)}
            policies[m.group(1)] = tree
    assert policies
    masked = []
    for s in statements:
        if m := re.match(r"ALTER TABLE DOCPIPE\.(\w+\.\w+) MODIFY COLUMN (\w+) SET MASKING POLICY ([\w.]+) FORCE", s):
            assert m.group(2) in tables[m.group(1)], s
            assert m.group(3) in policies, s
            masked.append(f"{m.group(1)}.{m.group(2)}")
    assert {
        "CURATED.FCT_DOCUMENT_FIELD.VALUE_TEXT",
        "CURATED.FCT_DOCUMENT_FIELD.MENTION_TEXT",
        "CURATED.FCT_DOCUMENT_FIELD.NORMALIZED_VALUE",
        "CURATED.FCT_DOCUMENT.OBJECT_KEY",
    } <= set(masked)
    # analysts reach neither RAW nor STAGING (which expose unmasked personal data)
    assert not [s for s in statements if "DOCPIPE_ANALYST" in s and "DOCPIPE.STAGING" in s]


def test_split_statements_ignores_comments_and_percent_signs():
    text = "-- 100% of the comment %(x)s\nSELECT 1;\n/* block; */ SELECT '%(a);b' AS x;\n"
    assert split_statements(text) == ["SELECT 1", "SELECT '%(a);b' AS x"]


def test_interval_helpers():
    assert export.interval_key("2025-03-01T02:00:00+01:00") == "20250301T010000Z"
    assert export.export_path("documents", datetime(2025, 3, 1, tzinfo=UTC), "manual__2025-03-02T10:00:00.5+00:00",
                              "X") == "documents/interval=20250301T000000Z/run=manual__2025-03-02T10-00-00.5-00-00/export=X/"  # fmt: skip
    assert export.part_name(12) == "part-00012.parquet"
    with pytest.raises(ValueError):
        export.as_utc(datetime(2025, 3, 1))
    exported = {"tenants": {"rows": 0, "uri": None},
                "documents": {"rows": 1, "uri": "s3://b/warehouse/documents/interval=x/run=r/export=e/"}}  # fmt: skip
    assert export.stage_url_from_exported(exported) == "s3://b/warehouse/"


def test_export_settings_from_the_environment(monkeypatch):
    monkeypatch.delenv(export.ROWS_PER_FILE_ENV, raising=False)
    monkeypatch.delenv(export.LOOKBACK_ENV, raising=False)
    monkeypatch.delenv(export.FILE_MB_ENV, raising=False)
    assert export.rows_per_file_from_env() == export.DEFAULT_ROWS_PER_FILE
    assert export.file_mb_from_env() == export.DEFAULT_FILE_MB
    assert export.lookback_from_env() == export.DEFAULT_LOOKBACK
    monkeypatch.setenv(export.ROWS_PER_FILE_ENV, "5000")
    monkeypatch.setenv(export.LOOKBACK_ENV, "0")
    assert export.rows_per_file_from_env() == 5000
    assert export.lookback_from_env().total_seconds() == 0
    for bad in ("0", "-3", "lots"):
        monkeypatch.setenv(export.ROWS_PER_FILE_ENV, bad)
        monkeypatch.setenv(export.FILE_MB_ENV, bad)
        with pytest.raises(export.ExportConfigError, match=export.ROWS_PER_FILE_ENV):
            export.rows_per_file_from_env()
        with pytest.raises(export.ExportConfigError, match=export.FILE_MB_ENV):
            export.file_mb_from_env()


def test_merge_params(monkeypatch):
    monkeypatch.setenv("DOCPIPE_DEADLINE_INGEST_MINUTES", "30")
    monkeypatch.setenv("DOCPIPE_DEADLINE_WAREHOUSE_FINISH_BY", "05:30")
    params = load.merge_params("2025-03-01T00:00:00Z", document_type_schemas={"receipt": ["total", "date", "total"]})
    assert params["interval_start"] == "2025-03-01T00:00:00+00:00"
    assert json.loads(params["document_type_schemas"]) == {"receipt": ["date", "total"]}
    assert json.loads(params["sla_targets"]) == {"document_ingest": 1800, "warehouse_load": 3.5 * 3600}
