"""Receipt fields from line structure, on hand-built OCR-like pages (no OCR runs here, except the last
test), and the grouping of OCR text-line boxes into rows."""

from __future__ import annotations

import io
import math
import os

import pytest
from PIL import Image, ImageDraw, ImageFont

from docpipe.extraction.fields import Layout, classify, extract_fields, form_pairs
from docpipe.extraction.layout import PageText, Segment
from docpipe.extraction.local import LocalExtractionBackend, _assemble
from docpipe.extraction.ocr import clean_text, group_lines
from docpipe.extraction.receipt import fix_address_words

OCR_CONF = 0.97


def _page(
    lines: list[str | list[str]], conf: float = OCR_CONF, width: float = 460.0, height: float = 1000.0
) -> PageText:
    """A receipt page: one row per entry; an entry that is a list holds a row's segments (label, amount)."""
    rows = []
    for i, entry in enumerate(lines):
        parts = [entry] if isinstance(entry, str) else entry
        y0 = 0.03 + i * 0.022
        segs = []
        for j, text in enumerate(parts):
            x0 = 0.05 + j * 0.6
            segs.append(Segment(text, 0, x0, y0, min(x0 + 0.012 * len(text), 0.98), y0 + 0.018, conf, 8.0))
        rows.append(segs)
    return PageText(1, width, height, "pixels", rows, True)


def _fields(page: PageText, model: str | None = None) -> dict[str, tuple[str, float]]:
    """{field: (value, confidence)}; `model` is DOCPIPE_FIELD_MODEL for the call ("none": the rules alone)."""
    _assemble([page])
    layout = Layout([page])
    doc_type, _, _ = classify(
        [page], "\n".join(" ".join(s.text for s in r) for r in page.rows), len(form_pairs(layout))
    )
    assert doc_type == "receipt"
    saved = os.environ.get("DOCPIPE_FIELD_MODEL")
    if model is not None:
        os.environ["DOCPIPE_FIELD_MODEL"] = model
    try:
        return {e.type: (str((e.normalized_value or {}).get("text", e.mention_text)), e.confidence)
                for e, _ in extract_fields("receipt", layout)}  # fmt: skip
    finally:
        if saved is None:
            os.environ.pop("DOCPIPE_FIELD_MODEL", None)
        else:
            os.environ["DOCPIPE_FIELD_MODEL"] = saved


HEADER = [
    "tan woon yann",  # a handwritten note above the print
    "KEDAI RUNCIT MAJU JAYA SDN BHD",
    "(123456-X)",
    "NO.12, JALAN MERANTI 3,",
    "TAMAN SRI MERANTI,",
    "81100 JOHOR BAHRU, JOHOR.",
    "TEL:07-3521234",
    "GST ID:000123456789",
    "SIMPLIFIED TAX INVOICE",
    ["Date: 14/03/2018", "Time: 18:24"],
    ["Cashier: ALI", "Bill No: 0091"],
]


def test_a_malaysian_till_receipt_is_read_by_its_structure():
    page = _page([
        *HEADER,
        ["Description", "Amount"],
        ["MILO 1KG", "18.90"],
        ["ROTI", "3.20"],
        ["Total (Excluding GST):", "20.85"],
        ["Total GST", "1.25"],
        ["Total (Inclusive of GST):", "22.10"],
        ["Rounding Adj", "0.00"],
        ["CASH", "50.00"],
        ["CHANGE", "27.90"],
        "GST SUMMARY",
        ["TOTAL:", "20.85 1.25"],
        "THANK YOU, PLEASE COME AGAIN",
    ])  # fmt: skip
    got = _fields(page)
    assert got["supplier_name"][0] == "KEDAI RUNCIT MAJU JAYA SDN BHD"
    assert got["supplier_address"][0] == "NO.12, JALAN MERANTI 3, TAMAN SRI MERANTI, 81100 JOHOR BAHRU, JOHOR."
    assert got["receipt_date"][0] == "2018-03-14"
    assert got["total_amount"][0] == "22.10"  # not the summary table's TOTAL row
    assert "currency" not in got  # no symbol or code printed: none claimed
    # cash minus change confirms the total: confident; a scanned address never is (the rules' confidence;
    # the field model's is measured by cross-validation: test_field_selector.py)
    rules = _fields(page, model="none")
    assert [rules[f][0] for f in rules] == [got[f][0] for f in rules]
    assert rules["total_amount"][1] >= 0.9
    assert rules["supplier_name"][1] >= 0.8
    assert rules["supplier_address"][1] < 0.8


def test_the_rounded_total_is_the_amount_paid():
    page = _page([*HEADER, ["ITEM", "AMT"], ["NASI LEMAK", "60.31"], ["TOTAL AMT. RM", "60.31"],
                  ["ROUNDING ADJ", "-0.01"], ["RM", "60.30"], ["CASH", "70.30"], ["CHANGE", "10.00"]])  # fmt: skip
    got = _fields(page)
    assert got["total_amount"][0] == "60.30" and got["total_amount"][1] >= 0.9
    assert got["currency"][0] == "MYR"


def test_an_uncorroborated_total_is_less_confident_than_a_corroborated_one():
    base = [*HEADER, ["ITEM", "AMT"], ["TEH TARIK", "2.50"], ["TOTAL", "4.90"]]
    for model in (None, "none"):  # the field model chooses the same total as the rules alone
        alone = _fields(_page(base), model=model)
        paid = _fields(_page([*base, ["CASH", "10.00"], ["CHANGE", "5.10"]]), model=model)
        contradicted = _fields(_page([*base, ["CASH", "10.00"], ["CHANGE", "3.00"]]), model=model)
        assert alone["total_amount"][0] == paid["total_amount"][0] == contradicted["total_amount"][0] == "4.90"
    # the rules' confidence follows the payment's evidence
    assert paid["total_amount"][1] > alone["total_amount"][1] > contradicted["total_amount"][1]
    assert contradicted["total_amount"][1] < 0.8


def test_a_former_name_and_a_wrapped_name():
    former = _page(["Gerbang Alaf Restaurants Sdn Bhd", "(65351-M)", "formerly known as",
                    "Golden Arches Restaurants Sdn Bhd", "Licensee of McDonald's",
                    "Level 6, Bangunan TH, Damansara Uptown3", "No.3, Jalan SS21/39,47400 Petaling Jaya", "Selangor",
                    "TEL: 03-77253822", ["Date: 2018-01-18", ""], ["TOTAL", "26.60"], ["CASH", "30.00"],
                    ["CHANGE", "3.40"]])  # fmt: skip
    got = _fields(former)
    assert got["supplier_name"][0] == "Gerbang Alaf Restaurants Sdn Bhd"
    assert got["supplier_address"][0].startswith("Level 6, Bangunan TH") and got["supplier_address"][0].endswith(
        "Selangor"
    )

    wrapped = _page(["HOME MASTER HARDWARE &", "ELECTRICAL", "NO.113G & 115G, JALAN SETIA GEMBILANG",
                     "40170 BANDAR SETIA ALAM,", "SELANGOR.", "Company Reg No. :SA0371155-P", ["TOTAL", "15.90"],
                     ["CASH", "20.00"], ["CHANGE", "4.10"]])  # fmt: skip
    assert _fields(wrapped)["supplier_name"][0] == "HOME MASTER HARDWARE & ELECTRICAL"


def test_a_registration_number_glued_to_the_name_is_dropped():
    page = _page(["99 SPEED MART S/B (519537-X)", "LOT 2, JALAN ANGSA,", "41150 KLANG, SELANGOR",
                  ["TOTAL", "2.50"], ["CASH", "5.00"], ["CHANGE", "2.50"]])  # fmt: skip
    assert _fields(page)["supplier_name"][0] == "99 SPEED MART S/B"


@pytest.mark.parametrize(
    "read, fixed",
    [("10T 1851-A, JALAN KPB 6,", "LOT 1851-A, JALAN KPB 6,"), ("1.OT 12", "LOT 12"), ("12, Jaian Tampoi", "12, Jalan Tampoi"),
     ("NO. 53, JALAN 8ESAR,", "NO. 53, JALAN BESAR,"), ("1ST FLOOR, NO.12", "1ST FLOOR, NO.12"), ("SS21/1A", "SS21/1A"),
     ("U13/EG BANDAR", "U13/EG BANDAR")],
)  # fmt: skip
def test_ocr_look_alikes_in_addresses_are_undone_only_into_address_words(read, fixed):
    assert fix_address_words(read) == fixed


def test_a_till_slip_headed_tax_invoice_is_a_receipt_but_a_bill_is_an_invoice():
    slip = "SIMPLIFIED TAX INVOICE\nInvoice No: 123\nTOTAL 9.00\nCASH 10.00\nCHANGE 1.00\nThank you"
    bill = "TAX INVOICE\nInvoice No: 123\nBill To: Globex Ltd\nDue Date: 2026-04-01\nTotal 900.00"
    assert classify([_page(["x"])], slip, 0)[0] == "receipt"
    assert classify([_page(["x"])], bill, 0)[0] == "invoice"


# ---------------------------------------------------------------------------------------------- OCR lines


def test_text_line_boxes_of_a_skewed_page_are_grouped_into_rows():
    angle = math.radians(2.0)

    def box(x: float, y: float, w: float, h: float = 20.0) -> list[list[float]]:
        pts = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        return [[px * math.cos(angle) - py * math.sin(angle), px * math.sin(angle) + py * math.cos(angle)]
                for px, py in pts]  # fmt: skip

    items = [(box(300, 100, 80), "9.00", 0.99), (box(20, 100, 120), "TOTAL", 0.98),
             (box(20, 130, 100), "CASH", 0.97), (box(300, 130, 80), "10.00", 0.99)]  # fmt: skip
    rows = group_lines(items, 0, 500.0, 800.0, 72 / 200)
    assert [[s.text for s in row] for row in rows] == [["TOTAL", "9.00"], ["CASH", "10.00"]]
    assert all(0.0 <= s.x0 < s.x1 <= 1.0 and 0.0 <= s.y0 < s.y1 <= 1.0 for row in rows for s in row)


def test_ocr_text_is_cleaned_of_full_width_forms_and_stray_accents():
    assert clean_text("S.H.H.MOTOR（SUNGAI RENGIT）SDN.BHD.") == "S.H.H.MOTOR(SUNGAI RENGIT)SDN.BHD."
    assert clean_text("SETIA ÁLAM  Totäl") == "SETIA ALAM Total"
    assert clean_text("如有不便，敬请厚谅") == "如有不便,敬请厚谅"


@pytest.mark.slow
def test_a_photographed_receipt_is_read_end_to_end_with_rapidocr():
    font = ImageFont.load_default(size=22)
    lines = ["KEDAI MAJU JAYA SDN BHD", "(123456-X)", "NO.12, JALAN MERANTI 3,", "81100 JOHOR BAHRU, JOHOR.",
             "TEL:07-3521234", "Date: 14/03/2018  18:24", "MILO 1KG            18.90", "TOTAL               18.90",
             "CASH                20.00", "CHANGE               1.10", "THANK YOU"]  # fmt: skip
    img = Image.new("RGB", (520, 40 + 34 * len(lines)), (235, 232, 225))
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((24, 20 + 34 * i), line, fill=(30, 30, 30), font=font)
    buf = io.BytesIO()
    img.rotate(1.2, expand=True, fillcolor=(235, 232, 225)).save(buf, "JPEG", quality=85)
    result = LocalExtractionBackend(ocr_engine="rapidocr").extract(buf.getvalue(), filename="photo.jpg")
    got = {e.type: (e.normalized_value or {}).get("text", e.mention_text) for e in result.entities}
    assert result.document_type == "receipt" and result.ocr_pages == 1
    assert got["receipt_date"] == "2018-03-14"
    assert got["total_amount"] == "18.90"
    assert got["supplier_name"].replace(" ", "") == "KEDAIMAJUJAYASDNBHD"
