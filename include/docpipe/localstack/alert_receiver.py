"""The local stand-in for the alert channels and for Sentry: a small HTTP server that logs everything
it receives as JSON lines.

- `POST /alerts` (or any path but Sentry's): one alert (docpipe's webhook channel, or anything else
  that posts JSON) -> a line in `<dir>/alerts.jsonl`;
- `POST /api/<project>/envelope/` and `/api/<project>/store/`: a Sentry event, as sent by sentry-sdk to
  a DSN `http://<key>@127.0.0.1:<port>/<project>` -> a line in `<dir>/sentry.jsonl` with the decoded
  envelope items;
- `GET /alerts`, `GET /sentry`: what was received, as a JSON list; `GET /health`: "ok".

Run it in the foreground with `python -m docpipe.localstack.alert_receiver --port 5056 --dir DIR`,
in the background with `start(workdir, port)` (pid file `<workdir>/alert_receiver.pid`), or in a
thread with `AlertReceiver(dir).start()` (tests). `stack_env(port)` is the environment that points
docpipe's alerts and Airflow's Sentry integration at it.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEFAULT_PORT = 5056
ALERTS_FILE = "alerts.jsonl"
SENTRY_FILE = "sentry.jsonl"
WEBHOOK_CONN_ID = "docpipe_alerts_webhook"


def receiver_port() -> int:
    return int(os.environ.get("DOCPIPE_ALERT_RECEIVER_PORT", DEFAULT_PORT))


def stack_env(port: int | None = None, *, sentry: bool = True) -> dict[str, str]:
    """Environment for Airflow and docpipe: alerts go to the receiver's webhook, Sentry events to its
    Sentry endpoint (scrubbed by docpipe.alerts.sentry.before_send)."""
    port = port or receiver_port()
    env = {
        "DOCPIPE_ALERT_RECEIVER_PORT": str(port),
        "DOCPIPE_ALERT_CHANNELS": "webhook",
        "DOCPIPE_ALERT_WEBHOOK_CONN_ID": WEBHOOK_CONN_ID,
        "DOCPIPE_ALERT_WEBHOOK_ENDPOINT": "/alerts",
        f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}": json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http"}
        ),
    }
    if sentry:
        env |= {
            "AIRFLOW__SENTRY__SENTRY_ON": "True",
            "AIRFLOW__SENTRY__SENTRY_DSN": f"http://docpipe-local@127.0.0.1:{port}/1",
            "AIRFLOW__SENTRY__BEFORE_SEND": "docpipe.alerts.sentry.before_send",
            # Otherwise sentry-sdk imports every library it has an integration for (openai, celery,
            # flask, ...) in every task process: seconds of CPU per task, for nothing.
            "AIRFLOW__SENTRY__AUTO_ENABLING_INTEGRATIONS": "False",
        }
    return env


def parse_envelope(body: bytes) -> list[dict[str, Any]]:
    """Sentry envelope -> [{"type": ..., "payload": <json or text>}] (items after the header line)."""
    items: list[dict[str, Any]] = []
    header_end = body.find(b"\n")
    if header_end < 0:
        return items
    pos = header_end + 1
    while pos < len(body):
        nl = body.find(b"\n", pos)
        if nl < 0:
            break
        item_header = json.loads(body[pos:nl] or b"{}")
        pos = nl + 1
        length = item_header.get("length")
        if length is None:
            end = body.find(b"\n", pos)
            end = len(body) if end < 0 else end
            raw, pos = body[pos:end], end + 1
        else:
            raw, pos = body[pos : pos + length], pos + length + 1
        try:
            payload: Any = json.loads(raw)
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        items.append({"type": item_header.get("type"), "payload": payload})
    return items


def _decode(body: bytes, encoding: str) -> bytes:
    encoding = (encoding or "").lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found]  # sentry-sdk only uses br when brotli is installed

        return brotli.decompress(body)
    return body


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the JSONL files are the log

    def _reply(self, status: int, body: Any) -> None:
        data = (body if isinstance(body, str) else json.dumps(body, default=str)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?")[0].rstrip("/")
        if path == "/health":
            return self._reply(200, "ok")
        if path in ("/alerts", "/sentry"):
            return self._reply(
                200, read_jsonl(self.server.directory / (ALERTS_FILE if path == "/alerts" else SENTRY_FILE))
            )
        return self._reply(404, {"error": "GET /alerts, /sentry or /health"})

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        record: dict[str, Any] = {"received_at": datetime.now(UTC).isoformat(), "path": path}
        try:
            body = _decode(body, self.headers.get("Content-Encoding", ""))
            if path.startswith("/api/") and path.rstrip("/").endswith(("/envelope", "/store")):
                record["project"] = path.split("/")[2]
                if path.rstrip("/").endswith("/store"):
                    record["items"] = [{"type": "event", "payload": json.loads(body)}]
                else:
                    record["items"] = parse_envelope(body)
                target = SENTRY_FILE
            else:
                try:
                    record["body"] = json.loads(body)
                except ValueError:
                    record["body"] = body.decode("utf-8", "replace")
                target = ALERTS_FILE
        except Exception as e:  # keep what arrived even when it cannot be decoded
            record["error"] = f"{type(e).__name__}: {e}"
            record["raw"] = body[:10000].decode("utf-8", "replace")
            target = ALERTS_FILE
        self.server.append(target, record)
        self._reply(200, {"id": record["received_at"]})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], directory: Path) -> None:
        super().__init__(address, _Handler)
        self.directory = directory
        self.lock = threading.Lock()

    def append(self, name: str, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str, sort_keys=True)
        with self.lock, open(self.directory / name, "a") as fh:
            fh.write(line + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class AlertReceiver:
    """The receiver in a background thread of this process (tests)."""

    def __init__(self, directory: Path, port: int = 0, host: str = "127.0.0.1") -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._server = _Server((host, port), self.directory)
        self._thread = threading.Thread(target=self._server.serve_forever, name="alert-receiver", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AlertReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def alerts(self) -> list[dict[str, Any]]:
        return read_jsonl(self.directory / ALERTS_FILE)

    def sentry_events(self) -> list[dict[str, Any]]:
        """The `event` items of every envelope received (one dict per Sentry event)."""
        return [
            item["payload"]
            for record in read_jsonl(self.directory / SENTRY_FILE)
            for item in record.get("items", [])
            if item.get("type") == "event" and isinstance(item.get("payload"), dict)
        ]


# ---------------------------------------------------------------- background process (docpipe stack up)


def log_dir(workdir: Path) -> Path:
    return workdir / "alerts"


def running(port: int | None = None) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port or receiver_port()}/health", timeout=2) as r:
            return r.status == 200 and r.read() == b"ok"
    except OSError:
        return False


def start(workdir: Path, port: int | None = None) -> int:
    """Start the receiver in the background unless it already answers; returns its port."""
    port = port or receiver_port()
    if running(port):
        return port
    directory = log_dir(workdir)
    directory.mkdir(parents=True, exist_ok=True)
    with open(workdir / "alert_receiver.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "docpipe.localstack.alert_receiver", "--port", str(port), "--dir", str(directory)],
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
    (workdir / "alert_receiver.pid").write_text(str(proc.pid))
    for _ in range(50):
        if running(port):
            return port
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"the alert receiver did not start on port {port}; see {workdir / 'alert_receiver.log'}")


def stop(workdir: Path) -> bool:
    pidfile = workdir / "alert_receiver.pid"
    if not pidfile.exists():
        return False
    with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
        os.killpg(int(pidfile.read_text()), signal.SIGTERM)
    pidfile.unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Log every alert and Sentry event posted to this server as JSON lines.")
    p.add_argument("--port", type=int, default=receiver_port())
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--dir", type=Path, required=True, help="folder for alerts.jsonl and sentry.jsonl")
    args = p.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    server = _Server((args.host, args.port), args.dir)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"alert receiver on http://{args.host}:{args.port}, logging to {args.dir}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
