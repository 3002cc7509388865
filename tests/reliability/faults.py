"""Fault injection for the local stack: an HTTP proxy in front of moto that fails, slows, drops or holds
chosen S3 and DynamoDB calls, a Postgres connection killer, and a lock on the fakesnow database.

The proxy speaks plain HTTP to the same clients the pipeline uses (boto3 through the Airflow AWS
connection, pyarrow's S3 client for the warehouse stage): point `AIRFLOW_CONN_AWS_DEFAULT`'s
`endpoint_url` and `AWS_ENDPOINT_URL` at it (`FaultProxy.environ()`), and every call goes through it.
Errors come back exactly as AWS sends them (S3 XML, DynamoDB JSON with `__type`), so botocore's own
retry rules decide what is retried.

    proxy = FaultProxy(upstream_port=moto).start()
    proxy.add(Rule("dynamodb", "PutItem", error=THROTTLED, times=5))
    proxy.add(Rule("s3", "GetObject", delay=1.5, probability=0.2))
    ...
    proxy.fired  # Counter of (service, operation, action)
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

S3_KEY_LIMIT = 1024  # bytes of UTF-8: S3 refuses longer keys (moto does not check)


@dataclass(frozen=True)
class AwsError:
    status: int
    code: str
    message: str


SLOW_DOWN = AwsError(503, "SlowDown", "Please reduce your request rate.")
S3_INTERNAL = AwsError(500, "InternalError", "We encountered an internal error. Please try again.")
S3_ACCESS_DENIED = AwsError(403, "AccessDenied", "Access Denied")
KEY_TOO_LONG = AwsError(400, "KeyTooLongError", "Your key is too long")
THROTTLED = AwsError(
    400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput was exceeded."
)
DDB_THROTTLING = AwsError(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.")
DDB_INTERNAL = AwsError(500, "InternalServerError", "Internal server error")


@dataclass
class Call:
    """One request as the proxy understood it."""

    service: str  # "s3" | "dynamodb"
    operation: str
    method: str
    bucket: str | None
    key: str | None
    headers: dict[str, str]
    body: bytes


@dataclass
class Rule:
    """A fault for the calls matching (service, operation[, when]).

    Actions: `error` (answer with an AWS error), `reset` (drop the connection without an answer), or
    forward the call after `before(call)`, after waiting for the `hold` event, after `delay` seconds.
    `times` limits how often it fires (None: always); `probability` makes it random.
    """

    service: str
    operation: str | None = None
    error: AwsError | None = None
    delay: float = 0.0
    reset: bool = False
    drop_response: bool = False  # forward the call (it takes effect), then drop the connection unanswered
    hold: threading.Event | None = None
    when: Callable[[Call], bool] | None = None
    before: Callable[[Call], None] | None = None  # runs before the call is forwarded (e.g. delete the object)
    times: int | None = None
    probability: float = 1.0
    fired: int = 0
    seen: threading.Event = field(default_factory=threading.Event)  # set when the rule first fires

    def matches(self, call: Call, rng: random.Random) -> bool:
        if self.service != call.service or (self.operation and self.operation != call.operation):
            return False
        if self.when is not None and not self.when(call):
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        return self.probability >= 1.0 or rng.random() < self.probability

    @property
    def action(self) -> str:
        if self.error:
            return self.error.code
        if self.before is not None:
            return "hook"
        if self.drop_response:
            return "drop_response"
        return "reset" if self.reset else "hold" if self.hold else "delay"


def classify(method: str, path: str, headers: dict[str, str]) -> tuple[str, str, str | None, str | None]:
    """(service, operation, bucket, key) of an HTTP request to the S3 or DynamoDB API (path-style S3)."""
    target = headers.get("x-amz-target", "")
    if target.startswith("DynamoDB_"):
        return "dynamodb", target.split(".", 1)[1], None, None
    parts = urlsplit(path)
    query = parse_qs(parts.query, keep_blank_values=True)
    segments = parts.path.lstrip("/").split("/", 1)
    bucket = unquote(segments[0]) or None
    key = unquote(segments[1]) if len(segments) > 1 and segments[1] else None
    if key is None:
        if method == "GET":
            op = "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects" if bucket else "ListBuckets"
        elif method == "POST" and "delete" in query:
            op = "DeleteObjects"
        else:
            op = {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}.get(method, method)
        return "s3", op, bucket, None
    if method == "PUT":
        op = "CopyObject" if "x-amz-copy-source" in headers else "UploadPart" if "partNumber" in query else "PutObject"
    elif method == "POST":
        op = "CompleteMultipartUpload" if "uploadId" in query else "CreateMultipartUpload"
    else:
        op = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, method)
    return "s3", op, bucket, key


def _error_response(service: str, err: AwsError) -> tuple[int, dict[str, str], bytes]:
    request_id = uuid.uuid4().hex
    if service == "dynamodb":
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{err.code}", "message": err.message}).encode()
        return err.status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": request_id}, body
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{err.code}</Code><Message>{err.message}</Message>'
        f"<RequestId>{request_id}</RequestId></Error>"
    ).encode()
    return err.status, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of the moto server, applying `rules` in order."""

    def __init__(self, upstream_port: int, *, seed: int = 0, enforce_s3_key_limit: bool = True):
        self.upstream_port = upstream_port
        self.rules: list[Rule] = []
        self.enforce_s3_key_limit = enforce_s3_key_limit
        self.fired: Counter[tuple[str, str, str]] = Counter()
        self.calls: Counter[tuple[str, str]] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --------------------------------------------------------------------------------- control

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the proxy first"
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            for r in self.rules:
                if r.hold is not None:
                    r.hold.set()  # never leave a request hanging
            self.rules = []

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment variables that route the stack's AWS clients through this proxy."""
        base = dict(os.environ if base is None else base)
        conn = json.loads(base["AIRFLOW_CONN_AWS_DEFAULT"])
        conn.setdefault("extra", {})["endpoint_url"] = self.endpoint
        return {"AIRFLOW_CONN_AWS_DEFAULT": json.dumps(conn), "AWS_ENDPOINT_URL": self.endpoint}

    @contextlib.contextmanager
    def routing(self) -> Iterator[FaultProxy]:
        """Route this process's AWS clients through the proxy for the duration of the block."""
        saved = {k: os.environ.get(k) for k in ("AIRFLOW_CONN_AWS_DEFAULT", "AWS_ENDPOINT_URL")}
        os.environ.update(self.environ())
        try:
            yield self
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

            def _body(self) -> bytes:
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                n = int(self.headers.get("content-length") or 0)
                return self.rfile.read(n) if n else b""

            def _handle(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = self._body()
                service, op, bucket, key = classify(self.command, self.path, headers)
                call = Call(service, op, self.command, bucket, key, headers, body)
                proxy.calls[(service, op)] += 1
                rule = proxy._match(call)
                if (
                    rule is None
                    and proxy.enforce_s3_key_limit
                    and op in ("PutObject", "CopyObject", "CreateMultipartUpload")
                    and len((key or "").encode()) > S3_KEY_LIMIT
                ):
                    rule = Rule("s3", error=KEY_TOO_LONG)
                if rule is not None:
                    proxy.fired[(service, op, rule.action)] += 1
                    rule.seen.set()
                    if rule.error is not None:
                        self._send(*_error_response(service, rule.error))
                        return
                    if rule.reset:
                        self.close_connection = True
                        with contextlib.suppress(OSError):
                            self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if rule.before is not None:
                        rule.before(call)
                    if rule.hold is not None:
                        rule.hold.wait(timeout=600)
                    if rule.delay:
                        time.sleep(rule.delay)
                    if rule.drop_response:
                        self._forward(headers, body, answer=False)
                        return
                self._forward(headers, body)

            def _forward(self, headers: dict[str, str], body: bytes, answer: bool = True) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                try:
                    out = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    if "transfer-encoding" in headers:
                        out["Content-Length"] = str(len(body))
                    conn.request(self.command, self.path, body=body or None, headers=out)
                    resp = conn.getresponse()
                    data = resp.read()
                    if not answer:
                        self.close_connection = True
                        with contextlib.suppress(OSError):
                            self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.send_response(resp.status, resp.reason)
                    for k, v in resp.getheaders():
                        if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length":
                            self.send_header(k, v)
                    length = resp.getheader("content-length")
                    self.send_header("Content-Length", length if self.command == "HEAD" and length else str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _match(self, call: Call) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(call, self._rng):
                    rule.fired += 1
                    return rule
        return None


# ---------------------------------------------------------------------------------------------- Postgres


class PostgresKiller:
    """Terminates the pipeline's own Postgres connection in the middle of its batch transaction.

    Wraps `psycopg.Cursor.copy`: when a COPY whose statement mentions `table` starts (the batch
    writer's transaction is open, some of its statements have run), another connection calls
    `pg_terminate_backend` on the writer's backend, exactly as an operator, a failover or an OOM
    kill of the backend would; the COPY then fails with the server's "terminating connection".
    """

    def __init__(self, admin_dsn: str, *, table: str = "document_fields", times: int = 1,
                 probability: float = 1.0, seed: int = 0):  # fmt: skip
        self.admin_dsn = admin_dsn
        self.table = table
        self.times = times
        self.probability = probability
        self.killed = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def _should_kill(self, statement: Any) -> bool:
        text = statement.as_string(None) if hasattr(statement, "as_string") else str(statement)
        if self.table not in text or not text.lstrip().upper().startswith("COPY"):
            return False
        with self._lock:
            if self.killed >= self.times or (self.probability < 1.0 and self._rng.random() >= self.probability):
                return False
            self.killed += 1
            return True

    @contextlib.contextmanager
    def armed(self) -> Iterator[PostgresKiller]:
        import psycopg

        original = psycopg.Cursor.copy
        killer = self

        def copy(cur: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
            if killer._should_kill(statement):
                pid = cur.connection.info.backend_pid
                with psycopg.connect(killer.admin_dsn, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            return original(cur, statement, *args, **kwargs)

        psycopg.Cursor.copy = copy  # type: ignore[method-assign]
        try:
            yield self
        finally:
            psycopg.Cursor.copy = original  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------- fakesnow

_LOCK_SCRIPT = """
import sys, duckdb
conns = [duckdb.connect(p) for p in sys.argv[1:]]
print("locked", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def fakesnow_locked(db_dir: Path) -> Iterator[Callable[[], None]]:
    """Another process holds DuckDB's write lock on every fakesnow database file (the Snowflake stand-in
    is unavailable) until the block ends or the yielded `release()` is called."""
    files = sorted(str(p) for p in Path(db_dir).glob("*.db"))
    if not files:
        raise FileNotFoundError(f"no fakesnow database files in {db_dir}")
    proc = subprocess.Popen([sys.executable, "-c", _LOCK_SCRIPT, *files], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdin is not None
    line = proc.stdout.readline()
    if line.strip() != "locked":
        proc.kill()
        raise RuntimeError(f"could not lock the fakesnow files {files}")

    def release() -> None:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # type: ignore[union-attr]
            proc.wait(timeout=30)

    try:
        yield release
    finally:
        release()
