"""Row-level security between tenants, against a real Postgres: what each role can read and write.

Runs in a database of its own (migrated here) with login users of its own, so it neither needs nor
disturbs the session's app database; the roles it creates are dropped at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql

from docpipe.models import ObjectRef, QuarantinedDocument
from docpipe.storage import migrations, postgres, roles, synthetic

pytestmark = pytest.mark.integration

TENANT_TABLES = ("tenants", "documents", "document_fields", "moderation_results", "pii_findings", "processing_errors")
T0 = datetime(2026, 3, 14, 10, 30, tzinfo=UTC)


@dataclass
class Db:
    admin: str  # superuser, bypasses RLS: the ground truth
    app: str
    writer: str
    reporting: str


@pytest.fixture(scope="module")
def db(stack) -> Iterator[Db]:
    suffix = uuid.uuid4().hex[:8]
    name = f"{stack.app_db}_rls"
    server = stack.pg
    users = {g: f"docpipe_t{suffix}_{g.removeprefix('docpipe_')}" for g in roles.GROUP_ROLES}
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin = server.dsn(name)
    try:
        migrations.upgrade(admin)
        for group, user in users.items():
            assert roles.ensure_login(admin, user, group)
        d = Db(admin, *(roles.dsn_for(admin, users[g]) for g in roles.GROUP_ROLES))
        with psycopg.connect(d.writer, autocommit=True) as conn:  # the pipeline writes both tenants
            for tenant in ("acme", "globex"):
                docs = synthetic.processed_documents(6, fields=4, tenants=(tenant,), prefix=f"uploads-{tenant}")
                bad = QuarantinedDocument(
                    ObjectRef(tenant, "docpipe-uploads", f"uploads/{tenant}/2026/03/14/10/bad.pdf", 3, "e", T0),
                    None, "corrupt", "the file is damaged", None,
                )  # fmt: skip
                postgres.write_batch(conn, docs, [bad], f"run-{tenant}")
            postgres.record_run(conn, dag_id="document_ingest", run_id="run-1", interval_start=T0,
                                interval_end=T0.replace(hour=11), counts={"listed": 14}, details={},
                                status="success", started_at=None, finished_at=None)  # fmt: skip
        yield d
    finally:
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for user in users.values():
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))


def _counts(dsn: str, tenant: str | None = None) -> dict[str, dict[str, int]]:
    """Rows per table and tenant as `dsn` sees them (inside a tenant transaction when `tenant`)."""
    out: dict[str, dict[str, int]] = {}
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        if tenant:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        for t in (*TENANT_TABLES, "form_key_values"):
            out[t] = dict(conn.execute(f"SELECT tenant_id, count(*) FROM docpipe.{t} GROUP BY 1").fetchall())
    return out


def test_every_tenant_owned_table_is_under_forced_row_level_security(db):
    """A guard for later migrations: a table with tenant_id and no policy would leak between tenants."""
    with psycopg.connect(db.admin) as conn:
        tables = conn.execute(
            """SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                      EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid
                              AND 'docpipe_app'::regrole = ANY (p.polroles))
               FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
               WHERE c.relnamespace = 'docpipe'::regnamespace AND c.relkind IN ('r', 'p')"""
        ).fetchall()
        views = conn.execute(
            """SELECT c.relname, coalesce('security_invoker=true' = ANY (c.reloptions), false)
               FROM pg_class c WHERE c.relnamespace = 'docpipe'::regnamespace AND c.relkind = 'v'"""
        ).fetchall()
        bypass = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) AND (rolsuper OR rolbypassrls OR rolcanlogin)",
            (list(roles.GROUP_ROLES),),
        ).fetchall()
    assert {t[0] for t in tables} == set(TENANT_TABLES)
    assert all(rls and forced and app_policy for _, rls, forced, app_policy in tables), tables
    assert views and all(invoker for _, invoker in views), views  # a plain view would run as its owner
    assert bypass == []


def test_app_session_sees_only_its_own_tenant(db):
    truth = _counts(db.admin)
    for tenant, other in (("acme", "globex"), ("globex", "acme")):
        seen = _counts(db.app, tenant)
        for table, per_tenant in seen.items():
            assert set(per_tenant) == {tenant}, (table, per_tenant)  # nothing of the other tenant
            assert per_tenant[tenant] == truth[table][tenant] > 0, table  # and all of its own
            assert other not in per_tenant


def test_app_without_a_tenant_sees_nothing(db):
    assert all(not per_tenant for per_tenant in _counts(db.app).values())
    with psycopg.connect(db.app, autocommit=True) as conn:
        conn.execute("SET app.tenant_id = ''")
        assert conn.execute("SELECT count(*) FROM docpipe.documents").fetchone()[0] == 0


def _as_tenant(conn: psycopg.Connection, tenant: str, statement: str, params: tuple = ()) -> int:
    with postgres.tenant_transaction(conn, tenant):
        return conn.execute(statement, params).rowcount


def test_app_cannot_write_for_another_tenant(db):
    with psycopg.connect(db.admin) as conn:
        globex_doc = conn.execute(
            "SELECT document_id FROM docpipe.documents WHERE tenant_id = 'globex' LIMIT 1"
        ).fetchone()[0]
        acme_doc = conn.execute(
            "SELECT document_id FROM docpipe.documents WHERE tenant_id = 'acme' LIMIT 1"
        ).fetchone()[0]
    before = _counts(db.admin)
    pii = "INSERT INTO docpipe.pii_findings (document_id, tenant_id, ordinal, pii_type, start_offset, end_offset) "
    with psycopg.connect(db.app, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            _as_tenant(conn, "acme",
                       """INSERT INTO docpipe.documents (document_id, tenant_id, bucket, object_key, s3_etag, size_bytes,
                          uploaded_at, source_hour, status, run_id)
                          VALUES ('x1', 'globex', 'b', 'k', 'e', 1, now(), now(), 'quarantined', 'r')""")  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            _as_tenant(conn, "acme", pii + "VALUES (%s, 'globex', 99, 'email', 1, 2)", (globex_doc,))
        # Claiming its own tenant on another tenant's document breaks the (document_id, tenant_id) key.
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            _as_tenant(conn, "acme", pii + "VALUES (%s, 'acme', 99, 'email', 1, 2)", (globex_doc,))
        # Moving its own row to another tenant is refused too.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            _as_tenant(conn, "acme", "UPDATE docpipe.documents SET tenant_id = 'globex' WHERE document_id = %s",
                       (acme_doc,))  # fmt: skip
        assert _as_tenant(conn, "acme", "UPDATE docpipe.documents SET run_id = 'x' WHERE tenant_id = 'globex'") == 0
        assert (
            _as_tenant(conn, "acme", "DELETE FROM docpipe.document_fields WHERE document_id = %s", (globex_doc,)) == 0
        )
        assert _as_tenant(conn, "acme", "DELETE FROM docpipe.processing_errors WHERE tenant_id = 'globex'") == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _as_tenant(conn, "acme", "SELECT count(*) FROM docpipe.pipeline_runs")  # no grant: runs span tenants
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE docpipe.documents CASCADE")  # TRUNCATE would bypass the policies
    assert _counts(db.admin) == before


def test_app_writes_within_its_own_tenant(db):
    with psycopg.connect(db.app, autocommit=True) as conn, postgres.tenant_transaction(conn, "acme"):
        doc = conn.execute("SELECT document_id FROM docpipe.documents WHERE status = 'processed' LIMIT 1").fetchone()[0]
        # A row that names only its document gets the document's tenant (the compatibility trigger).
        conn.execute(
            "INSERT INTO docpipe.pii_findings (document_id, ordinal, pii_type, start_offset, end_offset) "
            "VALUES (%s, 98, 'phone', 5, 9)",
            (doc,),
        )
        assert conn.execute(
            "SELECT tenant_id FROM docpipe.pii_findings WHERE document_id = %s AND ordinal = 98", (doc,)
        ).fetchone() == ("acme",)
        conn.execute("DELETE FROM docpipe.pii_findings WHERE document_id = %s AND ordinal = 98", (doc,))


def test_reporting_reads_every_tenant_and_writes_nothing(db):
    truth = _counts(db.admin)
    assert _counts(db.reporting) == truth
    assert set(truth["documents"]) == {"acme", "globex"}
    with psycopg.connect(db.reporting, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM docpipe.pipeline_runs").fetchone()[0] == 1
        for statement in (
            "UPDATE docpipe.documents SET run_id = 'x'",
            "DELETE FROM docpipe.document_fields",
            "INSERT INTO docpipe.tenants (tenant_id) VALUES ('newco')",
            "UPDATE docpipe.pipeline_runs SET status = 'failed'",
            "TRUNCATE docpipe.pii_findings",
            "CREATE TABLE docpipe.scratch (x int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert _counts(db.admin) == truth


def test_writer_writes_every_tenant_but_changes_no_schema(db):
    with psycopg.connect(db.writer, autocommit=True) as conn:
        assert conn.execute("SELECT count(DISTINCT tenant_id) FROM docpipe.documents").fetchone()[0] == 2
        for statement in (
            "CREATE TABLE docpipe.scratch (x int)",
            "ALTER TABLE docpipe.documents ADD COLUMN x int",
            "ALTER TABLE docpipe.documents DISABLE ROW LEVEL SECURITY",
            "DROP POLICY tenant_isolation ON docpipe.documents",
            "DROP TABLE docpipe.pii_findings",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_migration_0002_runs_again_without_harm(db):
    """The file is written to be re-runnable (roles exist, columns exist, policies are replaced)."""
    before = _counts(db.admin)
    path = next(m.path for m in migrations.discover() if m.version.startswith("0002_"))
    with psycopg.connect(db.admin, autocommit=True) as conn, conn.transaction():
        conn.execute(path.read_text())
    assert _counts(db.admin) == before
    assert _counts(db.app, "acme")["documents"] == {"acme": before["documents"]["acme"]}


def test_login_roles_are_idempotent_and_refuse_bypass(db):
    user = f"docpipe_t{uuid.uuid4().hex[:8]}_bypass"
    try:
        assert roles.ensure_login(db.admin, user, roles.REPORTING_ROLE) is True
        assert roles.ensure_login(db.admin, user, roles.REPORTING_ROLE) is False
        with psycopg.connect(db.admin, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} BYPASSRLS").format(sql.Identifier(user)))
        with pytest.raises(roles.RoleError, match="BYPASSRLS"):
            roles.ensure_login(db.admin, user, roles.REPORTING_ROLE)
        with pytest.raises(roles.RoleError):
            roles.ensure_login(db.admin, user, "postgres")
    finally:
        with psycopg.connect(db.admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))


def test_the_pipeline_connection_is_the_writer_role_not_a_superuser(stack) -> None:
    """The local stack's Airflow connection logs in as a member of docpipe_writer, so row-level
    security applies to every DAG task; only migrations use the administrator's connection."""
    from docpipe.connections import postgres_connection

    with postgres_connection() as conn:
        user, superuser, bypass = conn.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        member = conn.execute("SELECT pg_has_role(current_user, 'docpipe_writer', 'MEMBER')").fetchone()[0]
    assert (user, superuser, bypass, member) == (roles.PIPELINE_USER, False, False, True)
