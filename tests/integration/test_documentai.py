"""The Google Document AI backend against a local stand-in of Document AI's REST endpoint.

The stand-in speaks the documented v1 REST API: `POST /v1/{processor}:process` with a `rawDocument`,
answering a `ProcessResponse` JSON (camelCase, int64 as strings, zero values omitted) or Google's error
JSON. It also serves the OAuth token endpoint, so credentials come from a service-account key in the
Airflow connection `google_cloud_default`, exactly as in production. Its answers are built from the
bytes it receives, so a wrong page split shows up as wrong text.
"""

from __future__ import annotations

import base64
import io
import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.auth import jwt as google_jwt
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from docpipe.config import ConfigError
from docpipe.extraction import BackendUnavailable, get_backend
from docpipe.extraction.google import DocumentAIConfig, DocumentAIUnavailable, GoogleDocumentAIBackend
from docpipe.models import CorruptDocument, TooManyPages, UnsupportedDocument

pytestmark = pytest.mark.integration

PROJECT = "projects/demo-project/locations/eu/processors"
PROCESSORS = {"default": f"{PROJECT}/ocr1", "invoice": f"{PROJECT}/inv1", "receipt": f"{PROJECT}/exp1"}


class StandIn:
    """Scripted Document AI: records every request; `failures` holds HTTP statuses to answer first."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures: list[int] = []
        self.tokens_issued = 0
        self.classifier_label = "receipt"
        self.lock = threading.Lock()

    # -------------------------------------------------------------------- what Google would answer

    def document(self, processor: str, raw: bytes, mime: str) -> dict[str, Any]:
        texts = _page_texts(raw, mime)
        text, pages, entities = "", [], []
        for i, page_text in enumerate(texts):
            start = len(text)
            text += page_text + "\n"
            line = {"textAnchor": {"textSegments": [{"endIndex": str(start + len(page_text))}]}}
            if start:
                line["textAnchor"]["textSegments"][0]["startIndex"] = str(start)
            pages.append({"pageNumber": i + 1, "dimension": {"width": 612, "height": 792, "unit": "points"},
                          "layout": {"textAnchor": line["textAnchor"], "confidence": 0.99},
                          "lines": [{"layout": {**line, "confidence": 0.98,
                                                "boundingPoly": {"normalizedVertices": [
                                                    {"x": 0.1, "y": 0.1}, {"x": 0.9, "y": 0.1},
                                                    {"x": 0.9, "y": 0.15}, {"x": 0.1, "y": 0.15}]}}}]})  # fmt: skip
        last = len(texts) - 1
        if processor.endswith("/inv1"):
            entities = [
                _entity(text, "invoice_id", "INV-7", 0.99, 0),
                _entity(text, "total_amount", "$1,234.50", 0.97, last,
                        {"moneyValue": {"currencyCode": "USD", "units": "1234", "nanos": 500000000},
                         "text": "1234.5 USD"}),
                _entity(text, "total_tax_amount", "$34.50", 0.93, last,
                        {"moneyValue": {"currencyCode": "USD", "units": "34", "nanos": 500000000}, "text": "34.5"}),
                _entity(text, "invoice_date", "2026-03-05", 0.95, 0,
                        {"dateValue": {"year": 2026, "month": 3, "day": 5}, "text": "2026-03-05"}),
                _entity(text, "receiver_name", "Globex", 0.9, 0),
                _entity(text, "line_item", "Widget", 0.8, 0),
                _entity(text, "line_item", "Gadget", 0.8, 0),
            ]  # fmt: skip
        elif processor.endswith("/exp1"):
            entities = [
                _entity(text, "supplier_name", "CORNER SHOP", 0.96, 0),
                _entity(text, "total_amount", "9.00", 0.98, 0,
                        {"moneyValue": {"currencyCode": "MYR", "units": "9"}, "text": "9 MYR"}),
            ]  # fmt: skip
        elif processor.endswith("/cls1"):
            entities = [{"type": self.classifier_label, "confidence": 0.91}, {"type": "other", "confidence": 0.09}]
        return {"document": {"mimeType": mime, "text": text, "pages": pages,
                             "entities": [e for e in entities if e is not None]}}  # fmt: skip


def _entity(text: str, etype: str, mention: str, conf: float, page: int, nv: dict | None = None) -> dict | None:
    at = text.find(mention)
    e: dict[str, Any] = {"type": etype, "mentionText": mention, "confidence": conf,
                         "pageAnchor": {"pageRefs": [{"boundingPoly": {"normalizedVertices": [
                             {"x": 0.5, "y": 0.8}, {"x": 0.7, "y": 0.8}, {"x": 0.7, "y": 0.82}, {"x": 0.5, "y": 0.82}]}}]}}  # fmt: skip
    if page:
        e["pageAnchor"]["pageRefs"][0]["page"] = str(page)  # int64 as a string; 0 is omitted
    if at >= 0:
        e["textAnchor"] = {"textSegments": [{"startIndex": str(at), "endIndex": str(at + len(mention))}]}
    if nv:
        e["normalizedValue"] = nv
    return e


def _page_texts(raw: bytes, mime: str) -> list[str]:
    if mime == "application/pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(raw)
        try:
            out = []
            for i in range(len(pdf)):
                tp = pdf[i].get_textpage()
                out.append(" ".join(tp.get_text_range().split()))
                tp.close()
            return out
        finally:
            pdf.close()
    with Image.open(io.BytesIO(raw)) as im:
        return [f"Image frame {i + 1}" for i in range(getattr(im, "n_frames", 1))]


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/token":  # OAuth2 JWT-bearer grant for the service account
                standin.tokens_issued += 1
                self._send(200, {"access_token": "stand-in-token", "expires_in": 3600, "token_type": "Bearer"})
                return
            path = self.path.split("?", 1)[0]  # the client adds `$alt=json;enum-encoding=int`
            processor = path.removeprefix("/v1/").removesuffix(":process")
            req = json.loads(body)
            raw = base64.b64decode(req["rawDocument"]["content"])
            with standin.lock:
                standin.requests.append({"processor": processor, "auth": self.headers.get("Authorization"),
                                         "mime": req["rawDocument"]["mimeType"], "raw": raw,
                                         "fieldMask": req.get("fieldMask"),
                                         "imageless": req.get("imagelessMode", False)})  # fmt: skip
                status = standin.failures.pop(0) if standin.failures else 200
            if status != 200:
                names = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 400: "INVALID_ARGUMENT"}
                self._send(status, {"error": {"code": status, "status": names[status],
                                              "message": f"stand-in says {names[status]}"}})  # fmt: skip
                return
            self._send(200, standin.document(processor, raw, req["rawDocument"]["mimeType"]))

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[StandIn, str]]:
    standin = StandIn()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def standin(server):
    s, _ = server
    s.requests.clear()
    s.failures.clear()
    return s


@pytest.fixture(scope="module")
def google_connection(server) -> Iterator[str]:
    """A service-account key in the Airflow connection (its token endpoint the stand-in's); yields the
    public key that verifies what the client signs with it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    _, url = server
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()  # fmt: skip
    keyfile = {"type": "service_account", "project_id": "demo-project", "private_key_id": "k1", "private_key": pem,
               "client_email": "docpipe@demo-project.iam.gserviceaccount.com", "client_id": "1",
               "token_uri": f"{url}/token"}  # fmt: skip
    mp = pytest.MonkeyPatch()
    mp.setenv("AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT",
              json.dumps({"conn_type": "google_cloud_platform", "extra": {"keyfile_dict": json.dumps(keyfile),
                                                                           "project": "demo-project"}}))  # fmt: skip
    yield (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    mp.undo()


def _backend(url: str, sleeps: list[float] | None = None, **kw: Any) -> GoogleDocumentAIBackend:
    config = DocumentAIConfig(processors=kw.pop("processors", PROCESSORS), api_endpoint=url, transport="rest", **kw)
    return GoogleDocumentAIBackend(config, sleep=(sleeps.append if sleeps is not None else lambda s: None),
                                   rng=random.Random(1))  # fmt: skip


def _pdf(pages: int, first_line: str = "INVOICE INV-7 Bill To: Globex Total $1,234.50") -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, invariant=1)
    for i in range(pages):
        c.drawString(72, 760, f"Page {i + 1} of {pages}")
        if i == 0:
            c.drawString(72, 740, first_line)
            c.drawString(72, 720, "Invoice Date: 2026-03-05 Due Date: 2026-04-05 Unit price Qty Subtotal VAT")
        c.showPage()
    c.save()
    return buf.getvalue()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (400, 600), 255).save(buf, "PNG")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- tests


def test_an_invoice_goes_to_the_invoice_processor_with_connection_credentials(server, standin, google_connection):
    _, url = server
    backend = _backend(url)
    result = backend.extract(_pdf(1), filename="inv.pdf")

    (req,) = standin.requests
    assert req["processor"] == PROCESSORS["invoice"]  # routed by the PDF's own text layer, no classifier
    # signed with the service-account key held in the Airflow connection (the client signs its own JWT
    # for service accounts; other credential types fetch a token from the stand-in's token endpoint)
    scheme, token = req["auth"].split(" ", 1)
    claims = google_jwt.decode(token, certs=google_connection, audience=None)
    assert scheme == "Bearer" and claims["iss"] == "docpipe@demo-project.iam.gserviceaccount.com"
    assert req["mime"] == "application/pdf" and req["fieldMask"].startswith("text,entities")

    assert (result.engine, result.document_type, result.page_count) == ("google", "invoice", 1)
    by_type = {e.type: e for e in result.entities}
    # Document AI's names mapped onto the local schemas', values normalised the local way
    assert by_type["tax_amount"].normalized_value["text"] == "34.50"
    assert by_type["total_amount"].normalized_value["text"] == "1234.50"
    assert by_type["total_amount"].normalized_value["moneyValue"]["currencyCode"] == "USD"
    assert by_type["invoice_date"].normalized_value["dateValue"] == {"year": 2026, "month": 3, "day": 5}
    assert by_type["customer_name"].mention_text == "Globex"
    assert [e.type for e in result.entities].count("line_item") == 2
    assert by_type["total_amount"].bbox == [0.5, 0.8, 0.7, 0.82]
    for ent in result.document["entities"]:
        for seg in ent.get("textAnchor", {}).get("textSegments", []):
            assert result.text[seg["startIndex"] : seg["endIndex"]] == ent["mentionText"]
    engine = result.document["engine"]
    assert engine["pagesBilled"] == 1 and engine["estimatedCostUsd"] == pytest.approx(0.01)
    assert engine["retries"] == 0 and result.engine_version == backend.version
    json.dumps(result.document)


def test_quota_errors_are_retried_with_backoff(server, standin):
    _, url = server
    standin.failures[:] = [429, 503, 429]
    sleeps: list[float] = []
    result = _backend(url, sleeps).extract(_pdf(1), filename="inv.pdf")
    assert len(standin.requests) == 4 and result.document["engine"]["retries"] == 3
    assert result.document["engine"]["pagesBilled"] == 1  # failed attempts are not billed
    # exponential with jitter: each wait within [half, all] of 1, 2, 4 seconds
    for attempt, s in enumerate(sleeps):
        assert 2**attempt * 0.5 <= s <= 2**attempt
    assert sleeps[1] > sleeps[0] * 1.0 and len(set(sleeps)) == 3


def test_retries_run_out_as_an_infrastructure_error(server, standin):
    _, url = server
    standin.failures[:] = [429] * 3
    with pytest.raises(BackendUnavailable, match="3 times") as info:
        _backend(url, max_attempts=3).extract(_pdf(1), filename="inv.pdf")
    assert isinstance(info.value, DocumentAIUnavailable)  # the ingest fails the batch for a retry on this
    assert len(standin.requests) == 3


def test_an_invalid_document_is_a_typed_document_error(server, standin):
    _, url = server
    standin.failures[:] = [400]
    with pytest.raises(CorruptDocument, match="rejected inv.pdf"):
        _backend(url).extract(_pdf(1), filename="inv.pdf")
    with pytest.raises(UnsupportedDocument, match="ZIP"):
        _backend(url).extract(b"PK\x03\x04" + b"\0" * 40, filename="x.pdf")
    with pytest.raises(TooManyPages):
        _backend(url, max_pages=5).extract(_pdf(6), filename="long.pdf")
    assert len(standin.requests) == 1  # the last two never left the machine


@pytest.mark.parametrize("imageless, sizes", [(False, [15, 15, 10]), (True, [30, 10])])
def test_long_documents_are_split_and_merged(server, standin, imageless, sizes):
    _, url = server
    result = _backend(url, imageless=imageless).extract(_pdf(40), filename="long.pdf")

    assert [len(_page_texts(r["raw"], r["mime"])) for r in standin.requests] == sizes
    assert all(r["imageless"] == imageless for r in standin.requests)
    # each request carried the right pages, and the merged text reads them in order
    assert [p["pageNumber"] for p in result.document["pages"]] == list(range(1, 41))
    for page in result.document["pages"]:
        (line,) = page["lines"]
        (seg,) = line["layout"]["textAnchor"]["textSegments"]
        assert result.text[seg["startIndex"] : seg["endIndex"]].startswith(f"Page {page['pageNumber']} of 40")
    # one total per chunk came back; the most confident one stays, pointing at its page in the whole document
    totals = [e for e in result.entities if e.type == "total_amount"]
    assert len(totals) == 1 and totals[0].page == sizes[0] - 1
    engine = result.document["engine"]
    assert engine["requests"] == len(sizes) and engine["pagesBilled"] == 40
    assert engine["estimatedCostUsd"] == pytest.approx(40 * 0.01)


def test_images_are_classified_then_routed(server, standin):
    _, url = server
    processors = {**PROCESSORS, "classifier": f"{PROJECT}/cls1"}
    result = _backend(url, processors=processors).extract(_png(), filename="scan.png")
    assert [r["processor"] for r in standin.requests] == [processors["classifier"], processors["receipt"]]
    assert result.document_type == "receipt" and result.ocr_pages == 1
    assert {e.type: e.normalized_value["text"] for e in result.entities} == {"supplier_name": "CORNER SHOP",
                                                                             "total_amount": "9.00"}  # fmt: skip
    assert result.document["engine"]["estimatedCostUsd"] == pytest.approx(0.005 + 0.01)


def test_multi_frame_tiff_is_split_by_frames(server, standin):
    _, url = server
    frames = [Image.new("L", (200, 300), 255) for _ in range(17)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    result = _backend(url).extract(buf.getvalue(), filename="scan.tif")
    assert [r["mime"] for r in standin.requests] == ["image/tiff", "image/tiff"]
    assert [p["pageNumber"] for p in result.document["pages"]] == list(range(1, 18))
    assert result.text.count("Image frame 1\n") == 2  # the stand-in numbers frames per request


def test_configuration_is_validated(monkeypatch):
    monkeypatch.delenv("DOCPIPE_DOCUMENTAI_PROCESSORS", raising=False)
    with pytest.raises(ConfigError, match="DOCPIPE_DOCUMENTAI_PROCESSORS"):
        get_backend("google")
    monkeypatch.setenv("DOCPIPE_DOCUMENTAI_PROCESSORS", json.dumps({"invoice": PROCESSORS["invoice"]}))
    with pytest.raises(ConfigError, match='"default"'):
        get_backend("google")
    monkeypatch.setenv("DOCPIPE_DOCUMENTAI_PROCESSORS", json.dumps({"default": "ocr"}))
    with pytest.raises(ConfigError, match="resource name"):
        get_backend("google")
    monkeypatch.setenv("DOCPIPE_DOCUMENTAI_PROCESSORS", json.dumps(PROCESSORS))
    monkeypatch.setenv("DOCPIPE_DOCUMENTAI_PRICES", json.dumps({"invoice": 0.02}))
    backend = get_backend("google")
    assert backend.name == "google" and backend.version.startswith("documentai-v1-")
    assert backend.config.prices["invoice"] == 0.02 and backend.config.prices["default"] == 0.0015
