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
    """Create database, schemas, RAW and CURATED tables, views, and the file format and external stage
    when `stage_url` (or `staging_bucket`, giving s3://<bucket>/warehouse/) is given.

    Idempotent (CREATE ... IF NOT EXISTS / CREATE OR REPLACE VIEW). Returns the file names applied.
    """
    if stage_url is None and staging_bucket:
        stage_url = stage_url_for(staging_bucket)
    applied = []
    for path in ddl_files():
        if path.name == STAGE_FILE and stage_url is None:
            continue
        execute_file(sf_conn, path, {"stage_url": stage_url} if stage_url else None)
        applied.append(path.name)
    return applied


def ensure_stage(sf_conn: Any, stage_url: str) -> None:
    """Create the Parquet file format and the external stage if missing.

    Needed on every fakesnow connection (it keeps stages and file formats in memory only); a no-op on
    Snowflake once deployed.
    """
    execute_file(sf_conn, snowflake_dir() / STAGE_FILE, {"stage_url": stage_url})
