"""Login users for the database roles that migration 0002 creates.

The migrations create three NOLOGIN group roles (docpipe_app, docpipe_writer, docpipe_reporting)
and grant them what each may do; people and services log in as members of one of them. Creating a
login role needs CREATEROLE (a superuser locally, the RDS master user in production), so this runs
with an administrator's connection, like the migrations, and never from a DAG task.
"""

from __future__ import annotations

import contextlib

import psycopg
from psycopg import sql

APP_ROLE = "docpipe_app"
WRITER_ROLE = "docpipe_writer"
REPORTING_ROLE = "docpipe_reporting"
GROUP_ROLES = (APP_ROLE, WRITER_ROLE, REPORTING_ROLE)

# The login users the local stack and the docs use.
PIPELINE_USER = "docpipe_pipeline"  # member of docpipe_writer: Airflow's docpipe_postgres connection
REPORTING_USER = "docpipe_reporter"  # member of docpipe_reporting: read-only exports and analysts


class RoleError(RuntimeError):
    """A login role cannot be set up safely (missing group, or attributes that bypass the policies)."""


def ensure_login(admin_dsn: str, user: str, group: str, *, password: str | None = None) -> bool:
    """Make `user` a LOGIN role that is a member of `group`; returns True if it was created now.

    Idempotent and safe when several processes run it at once (roles are cluster-wide, so test
    sessions and the demo share them). A password is set only when given; without one the user can
    log in only where the server trusts the connection (the local stack) or through IAM auth."""
    if group not in GROUP_ROLES:
        raise RoleError(f"{group!r} is not one of {', '.join(GROUP_ROLES)}")
    created = False
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone():
            raise RoleError(f"role {group} does not exist yet: apply the migrations first (`docpipe db upgrade`)")
        row = conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
        if row is None:
            try:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(user)))
                created = True
            except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                pass  # another process created it a moment ago
        elif row[0]:
            raise RoleError(f"role {user} is SUPERUSER or BYPASSRLS: row-level security would not apply to it")
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(user)))
        if password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(user), sql.Literal(password)))
        with contextlib.suppress(psycopg.errors.UniqueViolation):  # granted concurrently
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(user)))
    return created


def dsn_for(admin_dsn: str, user: str, password: str | None = None) -> str:
    """The same server and database as `admin_dsn`, logging in as `user`."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(admin_dsn)
    params["user"] = user
    params.pop("password", None)
    if password is not None:
        params["password"] = password
    return make_conninfo("", **params)
