"""`docpipe db-roles`: create the login users that the pipeline, exports and the application use.

Reads an administrator's connection (`--admin-dsn`, else DOCPIPE_PG_ADMIN_DSN, else the local
stack's server); writes LOGIN roles that are members of the group roles from migration 0002.
Passwords come from environment variables, never from the command line.
"""

from __future__ import annotations

import argparse
import os

NAME = "db-roles"
HELP = "create the Postgres login users for the pipeline (writer), reporting and the application"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-dsn", help="a connection with CREATEROLE (default: DOCPIPE_PG_ADMIN_DSN or the local stack)"
    )
    parser.add_argument("--pipeline-user", default="docpipe_pipeline", help="member of docpipe_writer")
    parser.add_argument("--reporting-user", default="docpipe_reporter", help="member of docpipe_reporting")
    parser.add_argument("--app-user", help="also create this member of docpipe_app (the application)")
    parser.add_argument(
        "--password-env",
        metavar="PREFIX",
        help="set each user's password from the environment variable PREFIX_<USER> (e.g. PG_PASSWORD_DOCPIPE_PIPELINE)",
    )


def _admin_dsn(args: argparse.Namespace) -> str:
    from docpipe.cli import CliError, _stack

    if args.admin_dsn:
        return args.admin_dsn
    if os.environ.get("DOCPIPE_PG_ADMIN_DSN"):
        return os.environ["DOCPIPE_PG_ADMIN_DSN"]
    if os.environ.get("DOCPIPE_LOCAL_STACK", "1") == "0":
        raise CliError("give --admin-dsn (or DOCPIPE_PG_ADMIN_DSN): a connection allowed to create roles")
    from docpipe import localstack
    from docpipe.localstack.postgres import ensure_server

    _stack(start=False)
    return ensure_server(localstack.home()).dsn(localstack.APP_DB)


def run(args: argparse.Namespace) -> int:
    from docpipe.cli import CliError, console
    from docpipe.storage import roles

    dsn = _admin_dsn(args)
    wanted = [(args.pipeline_user, roles.WRITER_ROLE), (args.reporting_user, roles.REPORTING_ROLE)]
    if args.app_user:
        wanted.append((args.app_user, roles.APP_ROLE))
    passwords: dict[str, str | None] = {}
    for user, _ in wanted:  # all or none: check every variable before creating anyone
        passwords[user] = None
        if args.password_env:
            var = f"{args.password_env}_{user.upper()}"
            if var not in os.environ:
                raise CliError(f"{var} is not set")
            passwords[user] = os.environ[var]
    for user, group in wanted:
        try:
            created = roles.ensure_login(dsn, user, group, password=passwords[user])
        except roles.RoleError as e:
            raise CliError(str(e)) from None
        console.print(f"{user}: {'created' if created else 'exists'}, member of {group}")
    return 0
