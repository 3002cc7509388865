"""The local extraction engine against generated documents with known truth, and against bad input."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from docpipe.extraction import ExtractionBackend, get_backend, selector
from docpipe.extraction.local import ENGINE_VERSION, LocalExtractionBackend
from docpipe.extraction.normalize import find_dates, fix_ocr_digits, parse_money
from docpipe.models import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    TooManyPages,
    UnsupportedDocument,
)
from docpipe.samples.evaluate import Report, score
from docpipe.samples.generator import BAD_TYPES, generate_documents

REASON_CLASS = {
    cls.reason: cls
    for cls in (EmptyDocument, CorruptDocument, UnsupportedDocument, EncryptedDocument, DocumentTooLarge)
}


@pytest.fixture(scope="module")
def engine() -> LocalExtractionBackend:
    return LocalExtractionBackend()


@pytest.fixture(scope="module")
def born_digital(engine):
    docs = list(generate_documents(90, tenants=["acme", "globex"], seed=123, scanned_share=0.0))
    return [(d, engine.extract(d.data, filename=d.filename)) for d in docs]


@pytest.fixture(scope="module")
def scanned(engine):
    docs = list(generate_documents(3, tenants=["acme"], seed=42, scanned_share=1.0))
    return [(d, engine.extract(d.data, filename=d.filename)) for d in docs]


def _pdf(draw, *, pages: int = 1, size=A4, rotate: int = 0) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=size, invariant=1)
    for i in range(pages):
        if rotate:
            c.setPageRotation(rotate)
        draw(c, i)
        c.showPage()
    c.save()
    return buf.getvalue()


def _text_image(lines: list[str], size=(1400, 700)) -> Image.Image:
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=44)
    for i, line in enumerate(lines):
        d.text((60, 60 + i * 80), line, fill=0, font=font)
    return img


# ---------------------------------------------------------------------------------------------- interface


def test_get_backend_returns_the_local_engine():
    backend = get_backend()
    assert isinstance(backend, ExtractionBackend)
    assert backend.name == "local"
    # the version names the OCR models: "+int8r<recipe>" for the int8 detector, "+latinr<recipe>" for the
    # recogniser pruned to Latin, nothing for the models the wheel ships; then the field model's hash
    tag = "+" + selector.model_tag()
    assert tag.startswith("+fs-")
    assert backend.version in {ENGINE_VERSION + s + tag for s in ("", "+int8r1", "+latinr1", "+int8r1+latinr1")}
    with pytest.raises(ValueError, match="known: .*local"):
        get_backend("no-such-engine")


def test_the_engine_version_names_the_ocr_models(monkeypatch):
    from docpipe.extraction import ocr
    from docpipe.extraction.local import LocalExtractionBackend

    monkeypatch.setattr(ocr, "_ENGINE", None)  # not loaded yet: the version says what it will load
    monkeypatch.setenv("DOCPIPE_FIELD_MODEL", "none")  # the rules alone: no "+fs-..." (test_field_selector.py)
    monkeypatch.setenv("DOCPIPE_OCR_CHARSET", "all")  # the Latin recogniser's "+latinr1": test_ocr_charset.py
    monkeypatch.setenv("DOCPIPE_OCR_INT8", "0")
    assert LocalExtractionBackend(ocr_engine="rapidocr").version == ENGINE_VERSION
    monkeypatch.setenv("DOCPIPE_OCR_INT8", "1")
    assert LocalExtractionBackend(ocr_engine="rapidocr").version == f"{ENGINE_VERSION}+int8r1"
    assert LocalExtractionBackend(ocr_engine="tesseract").version == f"{ENGINE_VERSION}+tesseract"


# ---------------------------------------------------------------------------------------------- born-digital truth


def test_born_digital_documents_match_their_truth(born_digital):
    kinds = {d.kind for d, _ in born_digital}
    assert kinds == {"invoice", "receipt", "form"}
    report = Report()
    failures = []
    for doc, result in born_digital:
        outcomes = report.add(doc.truth, result)
        wrong = [(o.name, o.expected, o.got) for o in outcomes if not o.correct]
        if result.document_type != doc.truth["document_type"] or wrong:
            failures.append((doc.filename, result.document_type, wrong))
        assert result.page_count == doc.truth["pages"]
    assert failures == []
    # every field of the schema was actually checked, not skipped
    assert {"invoice_id", "invoice_date", "due_date", "supplier_name", "customer_name", "total_amount", "currency",
            "net_amount", "tax_amount", "receipt_date", "supplier_address", "form_field"} <= set(report.per_field)  # fmt: skip


def test_multi_page_invoices_are_read_across_pages(born_digital):
    multi = [(d, r) for d, r in born_digital if d.kind == "invoice" and d.truth["pages"] > 1]
    assert multi, "the sample should contain invoices whose items spill onto later pages"
    for doc, result in multi:
        total = next(e for e in result.entities if e.type == "total_amount")
        assert total.page == doc.truth["pages"] - 1  # the total sits on the last page
        assert total.normalized_value["text"] == doc.truth["fields"]["total_amount"]


def test_born_digital_pdfs_never_need_ocr(born_digital, engine, monkeypatch):
    assert all(r.ocr_pages == 0 and r.document["engine"]["ocrPages"] == [] for _, r in born_digital)

    def no_ocr(*args, **kwargs):
        raise AssertionError("a page with a text layer was sent to OCR")

    monkeypatch.setattr("docpipe.extraction.local.ocr_rows", no_ocr)
    for d, _ in born_digital[:40]:
        engine.extract(d.data, filename=d.filename)


def test_text_anchors_index_the_text(born_digital):
    for doc, result in born_digital:
        text = result.text
        pages = result.document["pages"]
        assert [p["pageNumber"] for p in pages] == list(range(1, result.page_count + 1))
        for page in pages:
            for line in page["lines"]:
                (seg,) = line["layout"]["textAnchor"]["textSegments"]
                s, e = seg["startIndex"], seg["endIndex"]
                assert 0 <= s < e <= len(text)
                piece = text[s:e]
                assert piece == piece.strip() and "\n" not in piece and "\f" not in piece
        for ent, ent_json in zip(result.entities, result.document["entities"], strict=True):
            spans = [(t["startIndex"], t["endIndex"]) for t in ent_json["textAnchor"]["textSegments"]]
            assert spans
            if len(spans) == 1:
                assert text[spans[0][0] : spans[0][1]] == ent.mention_text, (doc.filename, ent.type)
            else:  # an address over several lines
                assert ", ".join(text[s:e] for s, e in spans) == ent.mention_text


def test_lines_cover_the_page_text(born_digital):
    doc, result = next((d, r) for d, r in born_digital if d.kind == "invoice")
    covered = sorted(
        (t["startIndex"], t["endIndex"]) for p in result.document["pages"] for line in p["lines"]
        for t in line["layout"]["textAnchor"]["textSegments"]
    )  # fmt: skip
    # everything that is not a line is the whitespace that joins them
    gaps = [result.text[a[1] : b[0]] for a, b in zip(covered, covered[1:], strict=False)]
    assert all(g in (" ", "\n", "\n\f") for g in gaps)
    assert doc.truth["fields"]["invoice_id"] in result.text


def test_boxes_and_confidences_are_in_range(born_digital, scanned):
    for _, result in born_digital + scanned:
        assert 0.0 <= result.type_confidence <= 1.0
        for page in result.document["pages"]:
            for line in page["lines"]:
                for v in line["layout"]["boundingPoly"]["normalizedVertices"]:
                    assert 0.0 <= v["x"] <= 1.0 and 0.0 <= v["y"] <= 1.0
                assert 0.0 <= line["layout"]["confidence"] <= 1.0
        for e in result.entities:
            assert 0.0 <= e.confidence <= 1.0
            assert e.bbox is not None and len(e.bbox) == 4
            x0, y0, x1, y1 = e.bbox
            assert 0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0
            assert 0 <= e.page < result.page_count


def test_entities_carry_docai_normalized_values(born_digital):
    doc, result = next((d, r) for d, r in born_digital if d.kind == "invoice" and "tax_amount" in d.truth["fields"])
    by_type = {e["type"]: e for e in result.document["entities"]}
    total = by_type["total_amount"]["normalizedValue"]
    amount = Decimal(doc.truth["fields"]["total_amount"])
    assert total["moneyValue"]["currencyCode"] == doc.truth["fields"]["currency"]
    assert Decimal(total["moneyValue"]["units"]) + Decimal(total["moneyValue"]["nanos"]) / 10**9 == amount
    y, m, d = (int(x) for x in doc.truth["fields"]["invoice_date"].split("-"))
    assert by_type["invoice_date"]["normalizedValue"]["dateValue"] == {"year": y, "month": m, "day": d}
    assert result.document["documentType"] == {"type": "invoice", "confidence": result.type_confidence}
    json.dumps(result.document)  # serialisable as is


def test_form_fields_are_exposed_the_document_ai_way(born_digital):
    forms = [(d, r) for d, r in born_digital if d.kind == "form"]
    assert forms
    for doc, result in forms:
        pairs = {}
        for page in result.document["pages"]:
            for ff in page["formFields"]:
                (n,) = ff["fieldName"]["textAnchor"]["textSegments"]
                (v,) = ff["fieldValue"]["textAnchor"]["textSegments"]
                pairs[result.text[n["startIndex"] : n["endIndex"]]] = result.text[v["startIndex"] : v["endIndex"]]
        assert pairs == doc.truth["form_fields"]


def test_same_bytes_give_the_same_result(born_digital, engine):
    doc, first = born_digital[0]
    again = engine.extract(doc.data, filename="renamed.bin")  # the name plays no part
    assert json.dumps(again.document, sort_keys=True) == json.dumps(first.document, sort_keys=True)


def test_confidence_separates_labelled_values_from_guesses(engine, monkeypatch):
    def labelled(c, _):
        c.setFont("Helvetica-Bold", 18)
        c.drawString(72, 780, "Corner Shop Ltd")
        c.setFont("Helvetica", 10)
        c.drawString(72, 700, "Milk")
        c.drawRightString(400, 700, "1.20")
        c.drawString(72, 680, "TOTAL")
        c.drawRightString(400, 680, "$3.45")
        c.drawString(72, 660, "CASH")
        c.drawRightString(400, 660, "$5.00")
        c.drawString(72, 640, "RECEIPT - thank you")

    def unlabelled(c, _):
        c.setFont("Helvetica-Bold", 18)
        c.drawString(72, 780, "Corner Shop Ltd")
        c.setFont("Helvetica", 10)
        c.drawString(72, 700, "Milk")
        c.drawRightString(400, 700, "$1.20")
        c.drawString(72, 680, "Bread")
        c.drawRightString(400, 680, "$2.25")
        c.drawString(72, 640, "RECEIPT - thank you")

    good = engine.extract(_pdf(labelled), filename="a.pdf")
    guess = engine.extract(_pdf(unlabelled), filename="b.pdf")
    t_good = next(e for e in good.entities if e.type == "total_amount")
    t_guess = next(e for e in guess.entities if e.type == "total_amount")
    assert t_good.normalized_value["text"] == "3.45"  # the labelled total, not the larger cash amount
    assert t_guess.normalized_value["text"] == "2.25"  # largest-amount fallback
    # a guess never reaches the auto-accept threshold (the field model's confidence is measured, not set)
    assert t_guess.confidence < selector.auto_accept_threshold() <= 1.0
    monkeypatch.setenv("DOCPIPE_FIELD_MODEL", "none")  # the rules alone: their confidence follows the label
    r_good, r_guess = (
        next(e for e in engine.extract(_pdf(f), filename="x.pdf").entities if e.type == "total_amount")
        for f in (labelled, unlabelled)
    )
    assert r_good.confidence > 0.8 > 0.5 > r_guess.confidence


# ---------------------------------------------------------------------------------------------- scans


def test_scanned_documents_are_ocred_and_mostly_right(scanned):
    assert len(scanned) == 3
    report = Report()
    for doc, result in scanned:
        assert doc.scanned and result.ocr_pages == result.page_count >= 1
        assert result.document["engine"]["ocrPages"] == list(range(1, result.page_count + 1))
        assert result.document_type == doc.truth["document_type"]
        report.add(doc.truth, result, tolerance=0.15)
    checked = [ok for oks in report.per_field.values() for ok in oks]
    assert len(checked) >= 10
    assert sum(checked) / len(checked) >= 0.8, report.summary()
    for _, result in scanned:  # OCR confidence flows into the rules' confidence: never a text layer's certainty;
        # the field model's is calibrated on scans, and never certain either
        assert all(e.confidence < (0.97 if e.extractor == "rules" else 1.0) for e in result.entities), result.entities


@pytest.mark.slow
def test_scanned_accuracy_on_a_larger_set(engine):
    report = Report()
    for doc in generate_documents(12, tenants=["acme"], seed=7, scanned_share=1.0):
        report.add(doc.truth, engine.extract(doc.data, filename=doc.filename), tolerance=0.15)
    summary = report.summary()
    assert summary["type_accuracy"] >= 0.9, summary
    acc = report.accuracy()
    for name in ("total_amount", "invoice_date", "receipt_date", "currency"):
        if name in acc:
            assert acc[name] >= 0.75, summary
    if report.conf_wrong:
        assert summary["mean_confidence_correct"] > summary["mean_confidence_wrong"], summary


def test_a_page_without_text_layer_is_ocred_and_the_rest_is_not(engine):
    img = _text_image(["INVOICE", "Invoice No: INV-2026-00077", "Total: $1,234.50"])
    jpg = io.BytesIO()
    img.save(jpg, "JPEG", quality=90)

    def draw(c, i):
        if i == 0:
            c.setFont("Helvetica", 11)
            c.drawString(72, 760, "Cover letter: please find our invoice attached.")
        else:
            jpg.seek(0)
            c.drawImage(ImageReader(jpg), 0, 420, 595, 298)

    result = engine.extract(_pdf(draw, pages=2), filename="mixed.pdf")
    assert result.document["engine"]["ocrPages"] == [2]
    assert result.ocr_pages == 1
    page2 = result.text.split("\f")[1]
    assert "INV-2026" in page2 and "1,234.50" in page2
    assert result.document["pages"][1]["dimension"]["unit"] == "points"


def test_images_are_sniffed_by_content_not_name(engine):
    img = _text_image(["RECEIPT", "Total: 12.50 GBP"])
    buf = io.BytesIO()
    img.save(buf, "PNG")
    result = engine.extract(buf.getvalue(), filename="looks-like.pdf")
    assert result.document["mimeType"] == "image/png"
    assert result.document["pages"][0]["dimension"] == {"width": 1400.0, "height": 700.0, "unit": "pixels"}
    assert "12.50" in result.text


def test_multi_frame_tiff_is_one_page_per_frame(engine):
    frames = [_text_image([f"Page {i} of the statement"], size=(900, 300)) for i in (1, 2)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    result = engine.extract(buf.getvalue(), filename="scan.tif")
    assert result.page_count == 2 and result.ocr_pages == 2
    assert "Page 1" in result.text.split("\f")[0] and "Page 2" in result.text.split("\f")[1]


def test_rotated_page_boxes_follow_the_displayed_page(engine):
    def draw(c, _):
        # a landscape page stored portrait with /Rotate 90: the text is drawn running up the page so that
        # it reads normally once the viewer turns the page clockwise; page-space (0, 0) is shown top-left
        c.translate(60, 40)
        c.rotate(90)
        c.setFont("Helvetica", 12)
        c.drawString(0, 0, "Shown top left, Invoice No: X-12345")

    result = engine.extract(_pdf(draw, rotate=90), filename="rotated.pdf")
    page = result.document["pages"][0]
    assert page["dimension"]["width"] > page["dimension"]["height"]
    (line,) = page["lines"]
    assert result.text.strip() == "Shown top left, Invoice No: X-12345"
    xs = [v["x"] for v in line["layout"]["boundingPoly"]["normalizedVertices"]]
    ys = [v["y"] for v in line["layout"]["boundingPoly"]["normalizedVertices"]]
    assert 0.03 < min(xs) < 0.08 and max(xs) < 0.5 and max(ys) < 0.15


# ---------------------------------------------------------------------------------------------- bad input


def test_every_bad_file_raises_its_typed_error(engine):
    bad = list(generate_documents(0, tenants=["acme"], seed=5, bad=len(BAD_TYPES)))
    assert sorted(d.truth["bad_type"] for d in bad) == sorted(t for t, _ in BAD_TYPES)
    for doc in bad:
        with pytest.raises(DocumentError) as info:
            engine.extract(doc.data, filename=doc.filename)
        err = info.value
        assert type(err) is REASON_CLASS[doc.truth["reason"]], (doc.truth, err)
        assert err.reason == doc.truth["reason"]
        assert doc.filename in err.message and len(err.message) > 30


def test_unsupported_files_say_what_they_are(engine):
    with pytest.raises(UnsupportedDocument, match="ZIP archive"):
        engine.extract(b"PK\x03\x04" + b"\x00" * 100, filename="letter.pdf")
    with pytest.raises(UnsupportedDocument, match="plain text"):
        engine.extract(b"Dear customer,\nplease pay.\n", filename="note.pdf")
    with pytest.raises(UnsupportedDocument, match="GIF"):
        engine.extract(b"GIF89a" + b"\x00" * 50, filename="x.png")


def test_limits(engine):
    two_pages = _pdf(lambda c, i: c.drawString(72, 700, f"Page {i + 1} has enough text to skip OCR"), pages=2)
    with pytest.raises(TooManyPages, match="2 pages, over the 1-page limit"):
        LocalExtractionBackend(max_pages=1).extract(two_pages, filename="long.pdf")
    with pytest.raises(DocumentTooLarge, match="over the"):
        LocalExtractionBackend(max_bytes=1000).extract(two_pages, filename="big.pdf")
    img = io.BytesIO()
    Image.new("L", (3000, 2000), 255).save(img, "PNG")
    with pytest.raises(DocumentTooLarge, match="6 megapixels"):
        LocalExtractionBackend(max_pixels=5_000_000).extract(img.getvalue(), filename="huge.png")
    assert engine.extract(two_pages, filename="ok.pdf").page_count == 2


def test_damaged_inputs_never_leak_library_errors(engine):
    pdf = _pdf(lambda c, i: c.drawString(72, 700, "A perfectly normal document with a text layer"))
    png = io.BytesIO()
    _text_image(["hello"], size=(200, 100)).save(png, "PNG")
    jpg = io.BytesIO()
    _text_image(["hello"], size=(200, 100)).save(jpg, "JPEG")
    samples = [
        pdf[:40], pdf[: len(pdf) // 2], b"%PDF-1.7\n" + b"\x00" * 500, b"%PDF-",
        png.getvalue()[:60], png.getvalue()[:-30], jpg.getvalue()[:300], b"\xff\xd8\xff\xe0" + b"\x00" * 20,
        b"II*\x00" + b"\x00" * 40,
    ]  # fmt: skip
    for data in samples:
        with pytest.raises(DocumentError) as info:
            engine.extract(data, filename="broken")
        assert isinstance(info.value, CorruptDocument | EmptyDocument), (data[:12], info.value)


# ---------------------------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "printed, iso",
    [
        ("25/12/2018", "2018-12-25"), ("2018-12-25", "2018-12-25"), ("25 Dec 2018", "2018-12-25"),
        ("Dec 25, 2018", "2018-12-25"), ("29-12-2017", "2017-12-29"), ("05.03.2026", "2026-03-05"),
        ("December 5th, 2018", "2018-12-05"), ("5 March 2026", "2026-03-05"), ("03/04/2026", "2026-04-03"),
        ("12/25/2018", "2018-12-25"), ("Date: 1 Sept 2025 14:00", "2025-09-01"), ("25/12/18", "2018-12-25"),
    ],
)  # fmt: skip
def test_dates_are_read_day_first(printed, iso):
    found = find_dates(printed)
    assert found and found[0].value.isoformat() == iso


@pytest.mark.parametrize("printed", ["31/02/2020", "2020-13-01", "sort code 12-34-56", "Room 12.5", "1999"])
def test_non_dates_are_not_dates(printed):
    assert find_dates(printed) == []


@pytest.mark.parametrize(
    "printed, amount, currency",
    [
        ("$1,234.50", "1234.50", "USD"), ("1.234,50 €", "1234.50", "EUR"), ("USD 12.00", "12.00", "USD"),
        ("£ 7", "7", "GBP"), ("1'234.50 CHF", "1234.50", "CHF"), ("99.90", "99.90", None), ("0,75", "0.75", None),
    ],
)  # fmt: skip
def test_amounts(printed, amount, currency):
    m = parse_money(printed)
    assert m is not None and m.amount == Decimal(amount) and m.currency == currency


@pytest.mark.parametrize("printed", ["12", "2026", "20%", "INV-2026-0042", "12.50 x 3", ""])
def test_non_amounts(printed):
    assert parse_money(printed) is None


def test_money_value_is_split_like_document_ai():
    nv = parse_money("$1,234.05").normalized()
    assert nv == {"text": "1234.05", "moneyValue": {"units": "1234", "nanos": 50_000_000, "currencyCode": "USD"}}


def test_ocr_digit_confusions_are_fixed_only_inside_numbers():
    assert fix_ocr_digits("Total: 1,2O4.5O") == "Total: 1,204.50"
    assert fix_ocr_digits("Oslo Office") == "Oslo Office"


def test_score_can_fail(born_digital):
    doc, result = next((d, r) for d, r in born_digital if d.kind == "invoice")
    wrong = dict(doc.truth, fields={**doc.truth["fields"], "total_amount": "0.01"})
    assert not all(o.correct for o in score(wrong, result))


def test_currency_of_a_total_whose_printed_text_carries_no_symbol() -> None:
    """A total added up from its parts carries the parts' currency but no printed symbol: the currency
    field still comes from it (this once raised IndexError and quarantined a valid invoice)."""
    from decimal import Decimal

    from docpipe.extraction.fields import Candidate, Layout, _currency
    from docpipe.extraction.layout import Segment
    from docpipe.extraction.normalize import Money

    seg = Segment("1,234.50", 0, 0.7, 0.8, 0.9, 0.82, 1.0, 10.0)
    money = Money(Decimal("1234.50"), "EUR", "1234.50", True)
    chosen = {"total_amount": Candidate("total_amount", "1,234.50", {"money": money}, 0.9, seg)}
    _currency(Layout([]), chosen)
    assert chosen["currency"].normalized == {"text": "EUR"}
    assert chosen["currency"].mention == "EUR"
