"""Named analytics queries over CURATED (sql/analytics/<name>.sql)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from docpipe.warehouse.sqlfiles import analytics_dir, split_statements

_NAME = re.compile(r"^[a-z0-9_]+$")


def analytics_queries() -> list[str]:
    """Names of the available queries (file stems of sql/analytics/*.sql)."""
    return sorted(p.stem for p in analytics_dir().glob("*.sql"))


def run_analytics_query(
    sf_conn: Any, name: str, params: Mapping[str, Any] | None = None
) -> tuple[list[str], list[tuple]]:
    """Run sql/analytics/<name>.sql; returns (lower-case column names, rows as tuples)."""
    if not _NAME.match(name) or name not in analytics_queries():
        raise KeyError(f"unknown analytics query {name!r}; available: {analytics_queries()}")
    statements = split_statements((analytics_dir() / f"{name}.sql").read_text())
    if len(statements) != 1:
        raise ValueError(f"sql/analytics/{name}.sql must hold exactly one statement, found {len(statements)}")
    cur = sf_conn.cursor()
    try:
        if params:
            cur.execute(statements[0], dict(params))
        else:
            cur.execute(statements[0])
        columns = [d[0].lower() for d in cur.description]
        rows = [tuple(r) for r in cur.fetchall()]
    finally:
        cur.close()
    return columns, rows
