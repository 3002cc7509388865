"""The migration files themselves: ordered, uniquely numbered, and append-only.

Databases record each applied file's checksum and refuse to start when an applied file changed, so
an edited migration breaks every existing deployment; these pins catch it before it ships."""

from __future__ import annotations

import re

from docpipe.storage import migrations

# Released migrations and their SHA-256. Add a line for each new file once it has shipped; never edit one.
RELEASED = {
    "0001_core_schema": "58c72a4586004e4818a80c0a20d0c31878a976cbaacf1dfa44326cd660758347",
}


def test_migrations_are_numbered_uniquely_and_in_order():
    found = migrations.discover()
    numbers = [m.version.split("_", 1)[0] for m in found]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers))
    assert all(re.fullmatch(r"\d{4}_[a-z0-9_]+", m.version) for m in found)
    assert numbers[:2] == ["0001", "0002"]


def test_released_migrations_are_unchanged():
    found = {m.version: m.checksum for m in migrations.discover()}
    for version, checksum in RELEASED.items():
        assert found.get(version) == checksum, f"{version} changed after release: add a new migration instead"


def test_tenant_isolation_covers_the_tenant_tables_of_the_core_schema():
    """Every table 0001 creates with a tenant, or under a document, is named in 0002's RLS loop."""
    core = next(m for m in migrations.discover() if m.version.startswith("0001_")).sql
    rls = next(m for m in migrations.discover() if m.version.startswith("0002_")).sql
    tables = re.findall(r"CREATE TABLE docpipe\.(\w+) \((.*?)\n\);", core, flags=re.S)
    owned = {name for name, body in tables if "tenant_id" in body or "REFERENCES docpipe.documents" in body}
    loop = re.search(
        r"FOREACH t IN ARRAY ARRAY\[([^\]]*)\] LOOP\s+EXECUTE format\('ALTER TABLE docpipe\.%I ENABLE", rls
    )
    assert loop, "0002 no longer enables row-level security in one loop; update this test"
    protected = set(re.findall(r"'(\w+)'", loop.group(1)))
    assert owned == protected
    assert "pipeline_runs" not in protected  # a run spans tenants: no application access at all
