"""Clients for the stores, built from Airflow connections so that the same code runs against the
local stack (connections with a local endpoint) and against AWS, RDS and Snowflake."""

from __future__ import annotations

import os
from typing import Any

import psycopg

from docpipe.config import Settings


def _botocore_config() -> Any:
    from botocore.config import Config

    # Enough pooled connections for the thread pools that read and write concurrently; adaptive
    # retries back off on throttling (DynamoDB, S3 503 SlowDown).
    return Config(max_pool_connections=32, retries={"mode": "adaptive", "max_attempts": 8})


def aws_client(service: str, settings: Settings | None = None) -> Any:
    """A boto3 client for `service` from the AWS connection (endpoint_url in its extra for local)."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    settings = settings or Settings.from_env()
    return AwsBaseHook(aws_conn_id=settings.aws_conn_id, client_type=service, config=_botocore_config()).get_conn()


def aws_resource(service: str, settings: Settings | None = None) -> Any:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    settings = settings or Settings.from_env()
    return AwsBaseHook(aws_conn_id=settings.aws_conn_id, resource_type=service, config=_botocore_config()).get_conn()


def postgres_dsn(settings: Settings | None = None) -> str:
    """The application database's URI from its Airflow connection."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    settings = settings or Settings.from_env()
    uri = PostgresHook(postgres_conn_id=settings.postgres_conn_id).get_uri()
    return uri.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://", 1)


def admin_dsn(settings: Settings | None = None) -> str:
    """The connection that applies migrations and creates roles: DOCPIPE_PG_ADMIN_DSN (the local
    stack sets it; in production the RDS master user's secret), else the pipeline's own."""
    return os.environ.get("DOCPIPE_PG_ADMIN_DSN") or postgres_dsn(settings)


def postgres_connection(settings: Settings | None = None, *, autocommit: bool = True) -> psycopg.Connection:
    """Autocommit by default: every unit of work that must be atomic says so with `conn.transaction()`
    (in a non-autocommit connection that block would only be a savepoint of an uncommitted transaction)."""
    return psycopg.connect(postgres_dsn(settings), autocommit=autocommit)
