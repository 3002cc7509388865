"""docpipe's configuration, read from the environment in one place.

Connections (S3/DynamoDB, Postgres, Snowflake) are Airflow connections named here; everything else
is a `DOCPIPE_*` variable with a default that suits the local stack.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Documents per batch task. A task spends ~3 s starting (process, Airflow's task runner, clients, engines) and
# a born-digital document ~25 ms: at 2,500 a batch that start-up is ~5% of the task. Measured on 10,000
# born-digital documents with two batch tasks at once: 19% Airflow overhead at 1,000 a batch, 13% at 2,500.
DEFAULT_BATCH_SIZE = 2500
# A batch also closes at this many bytes of uploads, so heavy documents (scans: ~0.3-4 MB and ~1.1 CPU s a
# page) spread over several tasks, and so over the workers' cores, instead of queueing in one. Measured on
# 1,000 scans (879 MB): 16 MiB made 58 batches and 0.70 pages/s per core end to end, 64 MiB 14 batches and
# 0.78 (each task loads the OCR models and starts in ~2 s). 2,500 born-digital documents stay far under it.
DEFAULT_BATCH_MAX_BYTES = 64 * 1024 * 1024
# Batch tasks of one document_ingest run at once (read when the DAG is parsed): one per worker core the
# run may take; the rest of the slots stay free for other runs and backfills.
DEFAULT_BATCH_TASKS_PER_RUN = 2


def model_cache_dir() -> Path:
    """Where models derived from installed packages are kept (`DOCPIPE_MODEL_CACHE`): built on first use,
    shared by every process of the machine or image."""
    raw = os.environ.get("DOCPIPE_MODEL_CACHE", "").strip()
    return Path(raw).expanduser() if raw else Path.home() / ".cache" / "docpipe" / "models"


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer; unset it or give a whole number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be positive")
    return value


@dataclass(frozen=True)
class Settings:
    uploads_bucket: str
    processed_bucket: str
    staging_bucket: str
    uploads_prefix: str
    dynamodb_table: str
    aws_conn_id: str
    postgres_conn_id: str
    snowflake_conn_id: str
    extraction_backend: str
    moderation_backend: str
    batch_size: int
    batch_max_bytes: int
    batch_tasks_per_run: int
    max_document_bytes: int
    max_pages: int

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            uploads_bucket=env("DOCPIPE_UPLOADS_BUCKET", "docpipe-uploads"),
            processed_bucket=env("DOCPIPE_PROCESSED_BUCKET", "docpipe-processed"),
            staging_bucket=env("DOCPIPE_STAGING_BUCKET", "docpipe-staging"),
            uploads_prefix=env("DOCPIPE_UPLOADS_PREFIX", "uploads").strip("/"),
            dynamodb_table=env("DOCPIPE_DYNAMODB_TABLE", "docpipe-documents"),
            aws_conn_id=env("DOCPIPE_AWS_CONN_ID", "aws_default"),
            postgres_conn_id=env("DOCPIPE_POSTGRES_CONN_ID", "docpipe_postgres"),
            snowflake_conn_id=env("DOCPIPE_SNOWFLAKE_CONN_ID", "snowflake_default"),
            extraction_backend=env("DOCPIPE_EXTRACTION_BACKEND", "local"),
            moderation_backend=env("DOCPIPE_MODERATION_BACKEND", "local"),
            batch_size=_int("DOCPIPE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            batch_max_bytes=_int("DOCPIPE_BATCH_MAX_BYTES", DEFAULT_BATCH_MAX_BYTES),
            batch_tasks_per_run=_int("DOCPIPE_BATCH_TASKS_PER_RUN", DEFAULT_BATCH_TASKS_PER_RUN),
            max_document_bytes=_int("DOCPIPE_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024),
            max_pages=_int("DOCPIPE_MAX_PAGES", 200),
        )
