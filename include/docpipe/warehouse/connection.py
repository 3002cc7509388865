"""Connections to the warehouse: real Snowflake through Airflow's SnowflakeHook, or fakesnow locally.

Environment:
    DOCPIPE_SNOWFLAKE_BACKEND   "fakesnow" (default) or "snowflake"
    DOCPIPE_FAKESNOW_PATH       directory of the fakesnow DuckDB files (default ./.docpipe/snowflake)
    DOCPIPE_FAKESNOW_LOCK_TIMEOUT  seconds to wait for another process's lock on the db file (default 60)
    AWS_ENDPOINT_URL            S3 endpoint the fakesnow COPY INTO reads stages from (e.g. moto); unset = AWS
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_DEFAULT_REGION (default us-east-1)

fakesnow stores each database in one DuckDB file that only one process may open at a time: keep
connections short-lived (one per task step), never hold one across a long computation.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

log = logging.getLogger(__name__)

BACKEND_ENV = "DOCPIPE_SNOWFLAKE_BACKEND"
FAKESNOW_PATH_ENV = "DOCPIPE_FAKESNOW_PATH"
LOCK_TIMEOUT_ENV = "DOCPIPE_FAKESNOW_LOCK_TIMEOUT"
DATABASE = "DOCPIPE"


def backend() -> str:
    value = os.environ.get(BACKEND_ENV, "fakesnow").strip().lower()
    if value not in {"fakesnow", "snowflake"}:
        raise ValueError(f"{BACKEND_ENV} must be 'fakesnow' or 'snowflake', not {value!r}")
    return value


def fakesnow_path() -> Path:
    return Path(os.environ.get(FAKESNOW_PATH_ENV) or Path.cwd() / ".docpipe" / "snowflake")


def is_fakesnow(sf_conn: Any) -> bool:
    return type(sf_conn).__module__.startswith("fakesnow")


class _PositionalReadFile(io.RawIOBase):
    """A read-only file over a pyarrow RandomAccessFile, safe to share between threads.

    DuckDB reads Parquet row groups from several threads through ONE Python file object, each doing
    seek() then read(). On fsspec's ArrowFile those calls interleave across threads and read the wrong
    ranges ("Snappy decompression failure", "don't know what type" on files of a few MB). Here the
    position is per thread and reads are positional (pyarrow's read_at is thread-safe).
    """

    def __init__(self, raw: Any):
        super().__init__()
        self._raw = raw
        self._size = raw.size()
        self._local = threading.local()

    @property
    def _pos(self) -> int:
        return getattr(self._local, "pos", 0)

    @_pos.setter
    def _pos(self, value: int) -> None:
        self._local.pos = value

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        pos = self._pos
        if size is None or size < 0:
            size = self._size - pos
        size = max(0, min(size, self._size - pos))
        data = self._raw.read_at(size, pos) if size else b""
        self._pos = pos + len(data)
        return bytes(data)

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def s3_filesystem() -> Any:
    """An fsspec filesystem (protocol s3) over pyarrow's S3 client, pointed at AWS_ENDPOINT_URL if set.

    DuckDB's httpfs extension cannot be downloaded here, and s3fs conflicts with boto3's pins: this is the
    route by which fakesnow's COPY INTO reads an S3 stage. Files open as `_PositionalReadFile`.
    """
    from fsspec.implementations.arrow import ArrowFSWrapper
    from pyarrow import fs as pafs

    class _ThreadSafeArrowFS(ArrowFSWrapper):
        def _open(self, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
            if mode == "rb":
                return _PositionalReadFile(self.fs.open_input_file(self._strip_protocol(path)))
            return super()._open(path, mode, *args, **kwargs)

    kwargs: dict[str, Any] = {
        "region": os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
    }
    if endpoint := os.environ.get("AWS_ENDPOINT_URL"):
        parsed = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
        kwargs["endpoint_override"] = parsed.netloc
        kwargs["scheme"] = parsed.scheme or "http"
    if key := os.environ.get("AWS_ACCESS_KEY_ID"):
        kwargs["access_key"] = key
        kwargs["secret_key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if token := os.environ.get("AWS_SESSION_TOKEN"):
            kwargs["session_token"] = token
    return _ThreadSafeArrowFS(pafs.S3FileSystem(**kwargs))


def _open_fakesnow(db_path: Path) -> tuple[Any, Any]:
    """Open the fakesnow instance and connect to DOCPIPE, waiting while another process holds the file."""
    import duckdb
    from fakesnow.instance import FakeSnow

    db_path.mkdir(parents=True, exist_ok=True)
    # the stand-in drops column COMMENTs (DuckDB has no place for them) and says so once per column
    # on every CREATE: that is expected here, not news
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    deadline = time.monotonic() + float(os.environ.get(LOCK_TIMEOUT_ENV, "60"))
    delay = 0.05
    while True:
        instance = FakeSnow(db_path=db_path)
        try:
            instance.duck_conn.register_filesystem(s3_filesystem())
            # a current schema is needed by fakesnow's MERGE (it creates a temporary table); every
            # Snowflake database has PUBLIC, and all docpipe SQL names its schema explicitly
            return instance, instance.connect(database=DATABASE, schema="PUBLIC")
        except duckdb.IOException as e:
            instance.duck_conn.close()
            if "lock" not in str(e).lower() or time.monotonic() > deadline:
                raise
            log.info("fakesnow db %s is locked by another process, retrying", db_path)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except BaseException:
            instance.duck_conn.close()
            raise


@contextmanager
def snowflake_connection(conn_id: str = "snowflake_default") -> Iterator[Any]:
    """A DB-API connection to the warehouse, closed on exit.

    fakesnow (the local default): an in-process fakesnow on the DuckDB files under DOCPIPE_FAKESNOW_PATH,
    connected to database DOCPIPE, with S3 stages readable through pyarrow (see `s3_filesystem`).
    snowflake: `SnowflakeHook(snowflake_conn_id=conn_id).get_conn()`; its database should be DOCPIPE.
    """
    if backend() == "fakesnow":
        instance, conn = _open_fakesnow(fakesnow_path())
        try:
            yield conn
        finally:
            try:
                conn.close()
            finally:
                # closing the instance's own DuckDB connection detaches the file and releases its lock
                instance.duck_conn.close()
    else:
        from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook

        conn = SnowflakeHook(snowflake_conn_id=conn_id).get_conn()
        try:
            yield conn
        finally:
            conn.close()
