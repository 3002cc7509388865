"""The warehouse's SQL lives in .sql files (sql/snowflake, sql/analytics): find, split and run them.

Statements are split with the Snowflake connector's own splitter (the one `execute_string` uses) and run
one by one on a DB-API cursor, with client-side `%(name)s` binding (the connector's default pyformat
paramstyle, which fakesnow mirrors). A statement gets the parameters only when it contains a placeholder,
so files without parameters may contain a literal `%`.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def sql_root() -> Path:
    """The repository's `sql/` folder (override with DOCPIPE_SQL_DIR, e.g. in an image without the repo)."""
    if env := os.environ.get("DOCPIPE_SQL_DIR"):
        return Path(env)
    return Path(__file__).resolve().parents[3] / "sql"


def snowflake_dir() -> Path:
    return sql_root() / "snowflake"


def analytics_dir() -> Path:
    return sql_root() / "analytics"


def ddl_files() -> list[Path]:
    """DDL applied locally and in production, in order (security/ and merge/ excluded)."""
    return sorted(snowflake_dir().glob("*.sql"))


def merge_files() -> list[Path]:
    return sorted((snowflake_dir() / "merge").glob("*.sql"))


def security_files() -> list[Path]:
    """Snowflake-only DDL (roles, grants, masking policies): parsed by tests, never run on fakesnow."""
    return sorted((snowflake_dir() / "security").glob("*.sql"))


def split_statements(sql_text: str) -> list[str]:
    """Statements of a script without comments, split like `SnowflakeConnection.execute_string` does."""
    from snowflake.connector.util_text import split_statements as _split

    out = []
    for statement, _is_put_get in _split(io.StringIO(sql_text), remove_comments=True):
        statement = statement.strip().rstrip(";").strip()
        if statement:
            out.append(statement)
    return out


def placeholders(statement: str) -> set[str]:
    return set(_PLACEHOLDER.findall(statement))


def iter_statements(path: Path) -> Iterator[str]:
    yield from split_statements(path.read_text())


def execute_statement(sf_conn: Any, statement: str, params: Mapping[str, Any] | None = None) -> tuple[int, list]:
    """Run one statement; returns (rowcount, rows). Binds only statements that contain placeholders."""
    needed = placeholders(statement)
    missing = needed - set(params or {})
    if missing:
        raise KeyError(f"SQL parameter(s) not supplied: {sorted(missing)} in: {statement[:120]}")
    cur = sf_conn.cursor()
    try:
        if needed:
            cur.execute(statement, {k: v for k, v in (params or {}).items() if k in needed})
        else:
            cur.execute(statement)
        try:
            rows = cur.fetchall()
        except Exception:  # noqa: BLE001 - statements without a result set
            rows = []
        return (cur.rowcount if cur.rowcount is not None else len(rows)), rows
    finally:
        cur.close()


def execute_file(sf_conn: Any, path: Path, params: Mapping[str, Any] | None = None) -> list[tuple[str, int]]:
    """Run every statement of a file; returns (statement, rowcount) per statement."""
    results = []
    for statement in iter_statements(path):
        rowcount, _ = execute_statement(sf_conn, statement, params)
        results.append((statement, rowcount))
    return results


def stage_url_for(staging_bucket: str, prefix: str = "warehouse") -> str:
    """The external stage URL for the staging bucket: s3://<bucket>/warehouse/."""
    return f"s3://{staging_bucket}/{prefix.strip('/')}/"


STAGE_FILE = "0040_stage.sql"


def apply_ddl(sf_conn: Any, stage_url: str | None = None, *, staging_bucket: str | None = None) -> list[str]:
    """Create database, schemas, RAW and CURATED tables, DIM_DATE's calendar, the STAGING and CURATED views,
    and the file format and external stage when `stage_url` (or `staging_bucket`, giving
    s3://<bucket>/warehouse/) is given.

    Idempotent (CREATE ... IF NOT EXISTS, CREATE OR REPLACE VIEW, MERGE ... WHEN NOT MATCHED), and converging:
    a column that a table's DDL declares but the existing table lacks is added (nullable) right after the
    file that declares it, before the views that read it. Type changes and dropped columns are not
    migrated. Returns the file names applied.
    """
    if stage_url is None and staging_bucket:
        stage_url = stage_url_for(staging_bucket)
    applied = []
    for path in ddl_files():
        if path.name == STAGE_FILE and stage_url is None:
            continue
        params = {"stage_url": stage_url} if stage_url else None
        creates = []
        for statement in iter_statements(path):
            execute_statement(sf_conn, statement, params)
            if re.match(r"CREATE\s+TABLE\b", statement, re.I):
                creates.append(statement)
        for statement in missing_column_statements(sf_conn, creates):
            execute_statement(sf_conn, statement)
        applied.append(path.name)
    return applied


def missing_column_statements(sf_conn: Any, create_statements: list[str]) -> list[str]:
    """ALTER TABLE ... ADD COLUMN for every column the CREATE TABLE statements declare that the existing
    tables lack. NOT NULL is left out: it cannot be added to a table that already has rows."""
    import sqlglot
    from sqlglot import exp

    declared: dict[tuple[str, str], list[exp.ColumnDef]] = {}
    for statement in create_statements:
        tree = sqlglot.parse_one(statement, read="snowflake")
        if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema):
            table = tree.this.this
            declared[(table.db.upper(), table.name.upper())] = [
                c for c in tree.this.expressions if isinstance(c, exp.ColumnDef)
            ]
    if not declared:
        return []
    schemas = sorted({s for s, _ in declared})
    _, rows = execute_statement(
        sf_conn,
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA IN ("
        + ", ".join(f"'{s}'" for s in schemas)
        + ")",
    )
    existing: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        existing.setdefault((str(schema).upper(), str(table).upper()), set()).add(str(column).upper())
    out = []
    for (schema, table), columns in declared.items():
        have = existing.get((schema, table))
        if not have:  # just created (or not visible): nothing to migrate
            continue
        for column in columns:
            if column.name.upper() in have:
                continue
            column = column.copy()
            column.set(
                "constraints",
                [
                    c
                    for c in column.args.get("constraints") or []
                    if not isinstance(c.kind, exp.NotNullColumnConstraint)
                ],
            )
            out.append(f"ALTER TABLE {schema}.{table} ADD COLUMN {column.sql(dialect='snowflake')}")
    return out


def ensure_stage(sf_conn: Any, stage_url: str) -> None:
    """Create the Parquet file format and the external stage if missing.

    Needed on every fakesnow connection (it keeps stages and file formats in memory only); a no-op on
    Snowflake once deployed.
    """
    execute_file(sf_conn, snowflake_dir() / STAGE_FILE, {"stage_url": stage_url})
