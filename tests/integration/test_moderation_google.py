"""The Google moderation backend against a local stand-in of the moderateText REST endpoint.

The stand-in speaks the documented v2 REST shape: ``POST /v2/documents:moderateText`` with
``{"document": {"type": "PLAIN_TEXT", "content": ...}}`` answered by
``{"moderationCategories": [{"name": ..., "confidence": ...}], "languageCode": ..., "languageSupported": ...}``,
and errors as ``{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", ...}}``. The real client library
(language_v2, REST transport, anonymous credentials) talks to it over HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from docpipe.moderation import CATEGORIES, get_backend
from docpipe.moderation.google import REQUEST_LIMIT_BYTES, GoogleModerationError

pytestmark = pytest.mark.integration


class StandIn:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.body_sizes: list[int] = []
        self.paths: list[str] = []
        self.fail_with: list[tuple[int, str]] = []  # (HTTP status, gRPC status) answered before success
        self.lock = threading.Lock()

    @staticmethod
    def categories(content: str) -> list[dict]:
        lowered = content.lower()
        scores = dict.fromkeys(CATEGORIES, 0.02)
        if "kill" in lowered:
            scores.update({"Toxic": 0.91, "Violent": 0.95, "Death, Harm & Tragedy": 0.7})
        if "invoice" in lowered:
            scores["Finance"] = 0.88
        return [{"name": name, "confidence": conf, "severity": 0.0} for name, conf in scores.items()]


@pytest.fixture()
def standin() -> Iterator[tuple[StandIn, str]]:
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.paths.append(self.path.split("?")[0])
                state.body_sizes.append(len(raw))
                failure = state.fail_with.pop(0) if state.fail_with else None
            if len(raw) > REQUEST_LIMIT_BYTES:
                self._send(400, {"error": {"code": 400, "message": "Request payload size exceeds the limit",
                                           "status": "INVALID_ARGUMENT"}})  # fmt: skip
                return
            if failure:
                code, status = failure
                self._send(code, {"error": {"code": code, "message": "Quota exceeded", "status": status}})
                return
            req = json.loads(raw)
            with state.lock:
                state.requests.append(req)
            content = req["document"]["content"]
            self._send(200, {"moderationCategories": state.categories(content), "languageCode": "en",
                             "languageSupported": True})  # fmt: skip

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _backend(url: str, **kw: object):
    from google.auth.credentials import AnonymousCredentials

    sleeps: list[float] = []
    backend = get_backend(
        "google",
        credentials=AnonymousCredentials(),
        transport="rest",
        api_endpoint=url,
        sleep=sleeps.append,
        **kw,
    )
    return backend, sleeps


def test_verdicts_from_the_documented_response(standin):
    state, url = standin
    backend, _ = _backend(url, price_per_unit=0.0005)
    texts = ["I will kill you tomorrow", "Invoice INV-1 for 3 widgets, total $30.00", ""]
    threat, invoice, empty = backend.moderate_many(texts)

    assert state.paths == ["/v2/documents:moderateText"] * 2  # nothing sent for empty text
    assert state.requests[0]["document"]["content"] == texts[0]
    assert state.requests[0]["document"]["type"] in ("PLAIN_TEXT", 1)  # the client sends enums as ints
    assert set(threat.categories) == set(CATEGORIES)
    assert threat.categories["Violent"] == pytest.approx(0.95)
    assert threat.decision == "block"  # the local engine's default thresholds: Violent blocks at 0.8
    assert any(r.startswith("Violent") for r in threat.reasons)
    assert invoice.categories["Finance"] == pytest.approx(0.88)
    assert invoice.decision == "allow"  # Finance never blocks or reviews by default
    assert empty.decision == "allow" and all(v == 0.0 for v in empty.categories.values())
    assert threat.engine == "google-moderate-text"
    # billed per started 100 characters of each request
    assert backend.last_usage.requests == 2
    assert backend.last_usage.units == 2
    assert backend.last_usage.estimated_cost_usd == pytest.approx(0.001)


def test_thresholds_apply_to_google_scores(standin):
    _, url = standin
    backend, _ = _backend(url, thresholds={"Violent": {"block": None, "review": 0.99}, "Toxic": {"block": None}})
    assert backend.moderate("I will kill you").decision == "review"  # Toxic 0.91 >= review 0.5


def test_429_then_success_is_retried_with_backoff(standin):
    state, url = standin
    state.fail_with = [(429, "RESOURCE_EXHAUSTED"), (503, "UNAVAILABLE")]
    backend, sleeps = _backend(url, backoff_initial=0.5, backoff_max=8.0)
    verdict = backend.moderate("kill")
    assert verdict.categories["Violent"] == pytest.approx(0.95)
    assert len(state.paths) == 3  # two failures, then the answer
    assert len(sleeps) == 2 and backend.last_usage.retries == 2
    assert 0.0 <= sleeps[0] <= 0.5 and 0.0 <= sleeps[1] <= 1.0  # full jitter under 0.5 * 2^attempt
    assert backend.last_usage.requests == 1  # only the successful request is billed


def test_gives_up_after_max_attempts(standin):
    state, url = standin
    state.fail_with = [(429, "RESOURCE_EXHAUSTED")] * 10
    backend, sleeps = _backend(url, max_attempts=3)
    with pytest.raises(GoogleModerationError, match="after 3 attempts"):
        backend.moderate("hello")
    assert len(state.paths) == 3 and len(sleeps) == 2


def test_other_errors_are_not_retried(standin):
    from google.api_core import exceptions as gexc

    state, url = standin
    state.fail_with = [(403, "PERMISSION_DENIED")]
    backend, sleeps = _backend(url)
    with pytest.raises(gexc.Forbidden):
        backend.moderate("hello")
    assert len(state.paths) == 1 and sleeps == []


def test_text_over_1mb_is_split_into_requests_under_the_limit(standin):
    state, url = standin
    backend, _ = _backend(url)
    # 2.6 MB of UTF-8 (two-byte characters too), the threat near the end
    para = "Paragraph with naïve café words and ordinary content for the report. " * 20 + "\n"
    text = para * 1800 + "Then: I will kill you.\n"
    size = len(text.encode("utf-8"))
    assert size > 2 * REQUEST_LIMIT_BYTES
    verdict = backend.moderate(text)

    contents = [r["document"]["content"] for r in state.requests]
    assert len(contents) >= 3  # REST escapes the accented letters as \\uXXXX: the body is what counts
    assert all(len(c.encode("utf-8")) <= 900_000 for c in contents)
    assert all(b <= REQUEST_LIMIT_BYTES for b in state.body_sizes)
    assert "".join(contents) == text  # nothing lost or repeated at the cuts
    assert verdict.categories["Violent"] == pytest.approx(0.95)  # the max over chunks
    assert backend.last_usage.units == sum(-(-len(c) // 100) for c in contents)
