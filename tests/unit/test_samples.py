"""The sample generator (determinism, truth, realism) and the uploader's key contract."""

from __future__ import annotations

import io
import itertools
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from PIL import Image

from docpipe.extraction.sniff import sniff
from docpipe.samples import (
    BAD_TYPES,
    UploadedSample,
    generate_documents,
    read_truth,
    upload_documents,
    write_truth,
)
from docpipe.samples.upload import upload_key

TENANTS = ["acme", "globex", "initech"]
KEY_RE = re.compile(r"^uploads/(?P<tenant>[a-z]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/(?P<name>[^/]+)$")


@pytest.fixture(scope="module")
def docs():
    return list(generate_documents(150, tenants=TENANTS, seed=9, scanned_share=0.0, bad=14))


def _fingerprint(ds):
    return [(d.tenant_id, d.filename, d.content_type, d.kind, d.scanned, d.truth, d.data) for d in ds]


def test_generation_is_deterministic_for_a_seed():
    kw = dict(tenants=TENANTS, scanned_share=0.1, bad=len(BAD_TYPES))
    a = _fingerprint(generate_documents(12, seed=3, **kw))
    b = _fingerprint(generate_documents(12, seed=3, **kw))
    c = _fingerprint(generate_documents(12, seed=4, tenants=TENANTS, scanned_share=0.0))
    assert a == b
    assert [x[-1] for x in a] != [x[-1] for x in c]
    assert any(x[4] for x in a), "the scanned share should have produced at least one scan"


def test_a_document_depends_only_on_seed_and_position():
    # the i-th document is the same whether or not the ones before it were generated
    whole = list(generate_documents(6, tenants=TENANTS, seed=1))
    tail = list(itertools.islice(generate_documents(6, tenants=TENANTS, seed=1), 3, None))
    assert _fingerprint(whole[3:]) == _fingerprint(tail)


def test_generator_is_lazy():
    gen = generate_documents(10**9, tenants=TENANTS, seed=0)
    assert isinstance(gen, Iterator)
    started = time.perf_counter()
    first = list(itertools.islice(gen, 3))
    assert len(first) == 3 and time.perf_counter() - started < 5


def test_counts_kinds_and_bad_files(docs):
    assert len(docs) == 150 + 14
    kinds = Counter(d.kind for d in docs)
    assert kinds["bad"] == 14
    assert kinds["invoice"] > kinds["receipt"] > kinds["form"] > 10
    bad = [d for d in docs if d.kind == "bad"]
    # broken files cycle through every type, each with the reason the engine must give
    assert [d.truth["bad_type"] for d in bad] == [t for t, _ in BAD_TYPES] * 2
    assert all(d.truth["reason"] == dict(BAD_TYPES)[d.truth["bad_type"]] for d in bad)
    positions = [i for i, d in enumerate(docs) if d.kind == "bad"]
    assert positions[0] > 0 and positions[-1] < len(docs) - 1  # spread out, not bunched at one end
    assert len(set(d.filename for d in docs)) == len(docs)
    assert {d.tenant_id for d in docs} == set(TENANTS)


def test_files_are_what_their_names_say(docs):
    for d in docs:
        if d.kind == "bad":
            continue
        assert d.filename.startswith(f"{d.kind}-9-") and d.filename.endswith(".pdf")
        assert d.content_type == "application/pdf" and sniff(d.data) == "pdf"


def test_truth_is_consistent_with_what_is_printed(docs):
    for d in docs:
        if d.kind == "bad":
            continue
        t = d.truth
        assert t["document_type"] == d.kind
        pdf = pdfium.PdfDocument(d.data)
        try:
            assert len(pdf) == t["pages"]
            text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
        f = t["fields"]
        for name, value in f.items():
            if name.endswith("_date"):
                assert date.fromisoformat(value)
            elif name.endswith("_amount"):
                assert re.fullmatch(r"\d+\.\d{2}", value)
            elif name == "currency":
                assert value in ("USD", "EUR", "GBP")
            elif name == "supplier_address":
                assert all(part in text for part in value.split(", ")[:1])
            else:
                assert value in text, (d.filename, name, value)
        if d.kind == "invoice" and "tax_amount" in f:
            assert Decimal(f["net_amount"]) + Decimal(f["tax_amount"]) == Decimal(f["total_amount"])
        if d.kind == "invoice" and "due_date" in f:
            assert f["due_date"] > f["invoice_date"]
        if d.kind == "form":
            assert len(t["form_fields"]) >= 5
            for label, value in t["form_fields"].items():
                assert label in text and value in text


def test_layouts_vary(docs):
    invoices = [d for d in docs if d.kind == "invoice"]
    assert {d.truth["layout"] for d in invoices} == {"classic", "banner", "compact", "modern"}
    assert any(d.truth["pages"] > 1 for d in invoices), "some invoices must spill their items onto page 2+"
    assert len({d.truth["fields"]["currency"] for d in invoices}) == 3
    assert {d.truth["layout"] for d in docs if d.kind == "form"} == {"inline", "columns", "grid"}
    sizes = {tuple(round(x) for x in pdfium.PdfDocument(d.data)[0].get_size()) for d in docs if d.kind == "receipt"}
    assert all(w < 320 for w, _ in sizes), "receipts are printed on narrow rolls"


def test_born_digital_generation_is_fast():
    started = time.perf_counter()
    n = sum(1 for _ in generate_documents(200, tenants=TENANTS, seed=2, scanned_share=0.0))
    rate = n / (time.perf_counter() - started)
    assert rate > 40, f"{rate:.0f} docs/s: 100k documents would take {100_000 / rate / 60:.0f} minutes"


def test_scans_have_no_text_layer_and_look_scanned():
    scans = list(generate_documents(4, tenants=TENANTS, seed=8, scanned_share=1.0))
    assert all(d.scanned for d in scans)
    formats = set()
    for d in scans:
        kind = sniff(d.data)
        formats.add(kind)
        assert d.filename.rsplit(".", 1)[1] in {"pdf": ["pdf"], "png": ["png"], "jpeg": ["jpg"], "tiff": ["tif"]}[kind]
        if kind == "pdf":
            pdf = pdfium.PdfDocument(d.data)
            assert all(pdf[i].get_textpage().count_chars() == 0 for i in range(len(pdf)))
            assert len(pdf) == d.truth["pages"]
            img = pdf[0].render(scale=1).to_pil().convert("L")
        else:
            img = Image.open(io.BytesIO(d.data))
            assert getattr(img, "n_frames", 1) == d.truth["pages"]
            img = img.convert("L")
        hist = img.histogram()
        # grey levels between ink and paper from blur and noise: not the two levels of a clean rendering
        assert sum(1 for v in hist[40:220] if v > 0) > 60
        assert d.truth["scan"]["dpi"] in (200, 240, 300)
    assert len(formats) >= 2


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError):
        next(generate_documents(1, tenants=[], seed=0))
    with pytest.raises(ValueError):
        next(generate_documents(1, tenants=TENANTS, scanned_share=1.5))
    with pytest.raises(ValueError):
        next(generate_documents(-1, tenants=TENANTS))


# ---------------------------------------------------------------------------------------------- upload


def test_upload_key_layout():
    h = datetime(2026, 3, 4, 5, tzinfo=UTC)
    assert upload_key("acme", h, "invoice-0-000001.pdf") == "uploads/acme/2026/03/04/05/invoice-0-000001.pdf"
    # an aware datetime in another zone lands in its UTC hour
    berlin = datetime(2026, 3, 4, 6, 30, tzinfo=timezone(timedelta(hours=1)))
    assert upload_key("acme", berlin, "a.pdf", prefix="in/") == "in/acme/2026/03/04/05/a.pdf"
    with pytest.raises(ValueError):
        upload_key("ac/me", h, "a.pdf")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    finally:
        server.stop()


def test_upload_spreads_documents_over_hours(s3, tmp_path):
    s3.create_bucket(Bucket="uploads")
    hours = [datetime(2026, 3, 14, h, tzinfo=UTC) for h in (9, 10, 11)]
    docs = list(generate_documents(16, tenants=TENANTS, seed=21, scanned_share=0.0, bad=2))
    ticks: list[int] = []
    uploaded = upload_documents(s3, "uploads", iter(docs), hours=hours, workers=4, progress=ticks.append)

    assert len(uploaded) == len(docs) == sum(ticks)
    assert [u.key.rsplit("/", 1)[1] for u in uploaded] == [d.filename for d in docs]  # input order
    for i, (u, d) in enumerate(zip(uploaded, docs, strict=True)):
        m = KEY_RE.match(u.key)
        assert m, u.key
        h = hours[i % len(hours)]
        assert (m["tenant"], int(m["y"]), int(m["m"]), int(m["d"]), int(m["h"])) == (
            d.tenant_id,
            h.year,
            h.month,
            h.day,
            h.hour,
        )
        assert (u.bucket, u.tenant_id, u.tenant, u.kind, u.scanned, u.truth) == (
            "uploads",
            d.tenant_id,
            d.tenant_id,
            d.kind,
            d.scanned,
            d.truth,
        )

    listed = s3.list_objects_v2(Bucket="uploads", Prefix="uploads/")
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(u.key for u in uploaded)
    per_hour = Counter(KEY_RE.match(u.key)["h"] for u in uploaded)
    assert set(per_hour.values()) == {6}  # 18 documents round-robin over 3 hours
    obj = s3.get_object(Bucket="uploads", Key=uploaded[5].key)
    assert obj["Body"].read() == docs[5].data and obj["ContentType"] == docs[5].content_type

    manifest = tmp_path / "truth.jsonl"
    assert write_truth(manifest, uploaded) == len(uploaded)
    again = read_truth(manifest)
    assert again == uploaded and all(isinstance(u, UploadedSample) for u in again)


def test_upload_surfaces_failed_puts(s3):
    docs = list(generate_documents(2, tenants=TENANTS, seed=1))
    with pytest.raises(Exception, match="NoSuchBucket"):
        upload_documents(s3, "no-such-bucket", docs, hours=[datetime(2026, 1, 1, tzinfo=UTC)], workers=2)
    with pytest.raises(ValueError):
        upload_documents(s3, "uploads", docs, hours=[])
