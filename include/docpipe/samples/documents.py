"""Born-digital invoices, receipts and forms drawn with the reportlab canvas, with the facts they print.

Each builder draws one document from a seeded `random.Random` and returns its PDF bytes together with
the ground truth, normalised the way the extraction engine is expected to report it. The canvas is used
directly (not platypus) because it is several times faster, which matters at 100k documents.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from . import wordlists as W

FONTS = {
    "helvetica": ("Helvetica", "Helvetica-Bold"),
    "times": ("Times-Roman", "Times-Bold"),
    "courier": ("Courier", "Courier-Bold"),
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
CURRENCY_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}
CENT = Decimal("0.01")

# Printed date formats; all numeric ones are day-first, which is the engine's documented default.
DATE_FORMATS = ("dmy_slash", "iso", "d_mon_y", "mon_d_y", "dmy_dash", "dmy_dot", "month_d_y", "d_month_y")


def format_date(d: date, fmt: str) -> str:
    mon, month = MONTHS[d.month - 1][:3], MONTHS[d.month - 1]
    return {
        "dmy_slash": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "iso": d.isoformat(),
        "d_mon_y": f"{d.day} {mon} {d.year}",
        "mon_d_y": f"{mon} {d.day}, {d.year}",
        "dmy_dash": f"{d.day:02d}-{d.month:02d}-{d.year}",
        "dmy_dot": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "month_d_y": f"{month} {d.day}, {d.year}",
        "d_month_y": f"{d.day} {month} {d.year}",
    }[fmt]


def _group(n: Decimal, thousands: str, decimal: str) -> str:
    whole, frac = f"{n:.2f}".split(".")
    parts: list[str] = []
    while len(whole) > 3:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    parts.insert(0, whole)
    return thousands.join(parts) + decimal + frac


def format_money(amount: Decimal, currency: str, style: str) -> str:
    """Print an amount the way invoices do; `plain` prints no currency at all."""
    sym = CURRENCY_SYMBOL[currency]
    if style == "continental":
        return f"{_group(amount, '.', ',')} {sym}"
    num = _group(amount, ",", ".")
    return {
        "symbol": f"{sym}{num}",
        "symbol_space": f"{sym} {num}",
        "code_suffix": f"{num} {currency}",
        "code_prefix": f"{currency} {num}",
        "plain": num,
    }[style]


def money(x: float | Decimal) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Party:
    name: str
    lines: list[str]  # address lines
    phone: str = ""
    email: str = ""


@dataclass
class Built:
    data: bytes
    truth: dict[str, Any]
    pages: int
    page_size: tuple[float, float] = field(default=(0.0, 0.0))


# ---------------------------------------------------------------------------------------------- vocabulary


def _postcode(rng: random.Random, fmt: str) -> str:
    return "".join(
        str(rng.randint(0, 9)) if ch == "#" else rng.choice("ABCDEFGHJKLMNPRSTUWXY") if ch == "@" else ch for ch in fmt
    )


def company_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        base = f"{rng.choice(W.COMPANY_ADJECTIVES)} {rng.choice(W.COMPANY_NOUNS)}"
    elif r < 0.6:
        base = f"{rng.choice(W.LAST_NAMES)} {rng.choice(W.COMPANY_NOUNS)}"
    elif r < 0.8:
        a, b = rng.sample(W.LAST_NAMES, 2)
        base = f"{a} & {b}"
    else:
        base = f"{rng.choice(W.COMPANY_ADJECTIVES)} {rng.choice(W.LAST_NAMES)}"
    suffix = rng.choice(W.COMPANY_SUFFIXES)
    if suffix == "& Co." and "&" in base:
        suffix = "Ltd"
    return f"{base} {suffix}"


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(W.FIRST_NAMES)} {rng.choice(W.LAST_NAMES)}"


def address(rng: random.Random, currency: str) -> list[str]:
    street = f"{rng.randint(1, 240)} {rng.choice(W.STREET_NAMES)} {rng.choice(W.STREET_TYPES)}"
    if currency == "USD":
        city, state, pc = rng.choice(W.CITIES_US)
        return [street, f"{city}, {state} {_postcode(rng, pc)}"]
    if currency == "GBP":
        city, _, pc = rng.choice(W.CITIES_UK)
        return [street, f"{city} {_postcode(rng, pc)}"]
    city, country, pc = rng.choice(W.CITIES_EU)
    return [street, f"{_postcode(rng, pc)} {city}", country]


def phone(rng: random.Random, currency: str) -> str:
    if currency == "USD":
        return f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    if currency == "GBP":
        return f"0{rng.randint(113, 199)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return f"+{rng.choice((49, 33, 31, 39, 43, 353))} {rng.randint(10, 99)} {rng.randint(1000000, 9999999)}"


def party(rng: random.Random, currency: str, *, company: bool = True) -> Party:
    name = company_name(rng) if company else person_name(rng)
    slug = "".join(ch for ch in name.split()[0].lower() if ch.isalnum()) or "info"
    return Party(
        name,
        address(rng, currency),
        phone(rng, currency),
        f"{rng.choice(('accounts', 'info', 'billing'))}@{slug}.example",
    )


# ---------------------------------------------------------------------------------------------- drawing


class Pen:
    """A canvas with a current font, so layouts read as a list of strings at positions.

    All strings of a page go into one PDF text object, flushed by `show_page`: a `drawString` per string
    costs reportlab a text object (and a font switch) each, which made generation 2x slower.
    """

    def __init__(self, c: Canvas | None, family: str):
        self.c = c  # None: a dry run that only measures
        self.regular, self.bold = FONTS[family]
        self._t: Any = None
        self._font: tuple[str, float] | None = None

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float = 10,
        *,
        bold: bool = False,
        align: str = "left",
        font: str | None = None,
    ) -> None:
        name = font or (self.bold if bold else self.regular)
        if self.c is None:
            return
        if self._t is None:
            self._t = self.c.beginText()
            self._font = None
        if self._font != (name, size):
            self._t.setFont(name, size)
            self._font = (name, size)
        if align != "left":
            width = self.c.stringWidth(s, name, size)
            x -= width if align == "right" else width / 2
        self._t.setTextOrigin(x, y)
        self._t.textOut(s)

    def show_page(self) -> None:
        if self.c is None:
            return
        if self._t is not None:
            self.c.drawText(self._t)
            self._t = None
        self.c.showPage()

    def width(self, s: str, size: float = 10, *, bold: bool = False) -> float:
        return stringWidth(s, self.bold if bold else self.regular, size)

    def rule(self, x0: float, y: float, x1: float, width: float = 0.5) -> None:
        if self.c is not None:
            self.c.setLineWidth(width)
            self.c.line(x0, y, x1, y)

    def shade(self, x: float, y: float, w: float, h: float, gray: float = 0.88) -> None:
        if self.c is not None:
            self.c.setFillGray(gray)
            self.c.rect(x, y, w, h, stroke=0, fill=1)
            self.c.setFillGray(0)


def _canvas(buf: io.BytesIO, size: tuple[float, float], title: str, **kw: Any) -> Canvas:
    c = Canvas(buf, pagesize=size, invariant=1, pageCompression=0, **kw)
    c.setTitle(title)
    c.setAuthor("docpipe sample generator")
    return c


# ---------------------------------------------------------------------------------------------- invoices

INVOICE_ID_LABELS = ("Invoice No:", "Invoice Number:", "Invoice #:", "Invoice No.", "Invoice ID:", "Inv. No:")
DATE_LABELS = ("Invoice Date:", "Date:", "Issue Date:", "Date of issue:", "Dated:")
DUE_LABELS = ("Due Date:", "Payment Due:", "Due:", "Due by:", "Pay by:")
NET_LABELS = ("Subtotal", "Sub-total", "Net amount", "Total excl. {tax}", "Net total")
TOTAL_LABELS = ("Total", "Total Due", "Amount Due", "Grand Total", "Balance Due", "Total ({cur})", "Total incl. {tax}")
MONEY_STYLES = ("symbol", "symbol", "symbol_space", "code_suffix", "code_prefix", "plain")


def _invoice_id(rng: random.Random, year: int) -> str:
    n = rng.randint(1, 99999)
    return rng.choice(
        (
            f"INV-{year}-{n:05d}",
            f"INV{n:06d}",
            f"{year}-{n:04d}",
            f"A-{rng.randint(1000, 99999)}",
            f"{rng.choice('ABCDEFGHKMNPRS')}{rng.choice('ABCDEFGHKMNPRS')}/{year % 100:02d}/{n:04d}",
            f"{rng.randint(10000, 999999)}",
        )
    )


@dataclass
class InvoiceFacts:
    supplier: Party
    customer: Party
    invoice_id: str
    issued: date
    due: date | None
    currency: str
    money_style: str
    date_fmt: str
    items: list[tuple[str, int, Decimal]]
    tax_rate: Decimal | None
    tax_name: str
    layout: str
    family: str
    size: tuple[float, float]
    labels: dict[str, str]
    po_number: str
    customer_ref: str

    @property
    def net(self) -> Decimal:
        return sum((money(q * u) for _, q, u in self.items), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return money(self.net * (self.tax_rate or 0) / 100)

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    def m(self, amount: Decimal) -> str:
        return format_money(amount, self.currency, self.money_style)

    def amount(self, value: Decimal) -> str:
        """A line-item amount: the document's number format without a currency."""
        return _group(value, ".", ",") if self.money_style == "continental" else _group(value, ",", ".")

    def d(self, value: date) -> str:
        return format_date(value, self.date_fmt)


def invoice_facts(rng: random.Random) -> InvoiceFacts:
    currency = rng.choices(("USD", "EUR", "GBP"), weights=(5, 3, 2))[0]
    year = rng.choice((2024, 2025, 2026))
    issued = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
    due = issued + timedelta(days=rng.choice((7, 14, 30, 30, 45, 60))) if rng.random() < 0.9 else None
    n_items = rng.randint(18, 70) if rng.random() < 0.15 else rng.randint(1, 12)
    items = []
    for _ in range(n_items):
        desc, lo, hi = rng.choice(W.INVOICE_ITEMS)
        items.append((desc, rng.choice((1, 1, 1, 2, 3, 4, 5, 10, 12, 20)), money(rng.uniform(lo, hi))))
    tax_name = {"USD": "Sales Tax", "EUR": "VAT", "GBP": "VAT"}[currency]
    rate = {
        "USD": ("5", "6.25", "7", "8.25", "0"),
        "EUR": ("19", "20", "21", "10", "0"),
        "GBP": ("20", "20", "5", "0"),
    }[currency]
    tax_rate = Decimal(rng.choice(rate))
    style = rng.choice(MONEY_STYLES + (("continental",) if currency == "EUR" else ()))
    labels = {
        "id": rng.choice(INVOICE_ID_LABELS),
        "date": rng.choice(DATE_LABELS),
        "due": rng.choice(DUE_LABELS),
        "net": rng.choice(NET_LABELS).format(tax=tax_name.split()[-1] if tax_name != "Sales Tax" else "tax"),
        "total": rng.choice(TOTAL_LABELS).format(cur=currency, tax="VAT" if tax_name == "VAT" else "tax"),
        "bill": rng.choice(("Bill To:", "Billed To:", "Invoice To:", "Customer:", "Bill to", "Client:")),
        "title": rng.choice(("INVOICE", "Invoice", "TAX INVOICE", "Sales Invoice")),
    }
    if style == "plain" and "{cur}" not in labels["total"] and rng.random() < 0.5:
        labels["total"] = f"Total ({currency})"
    return InvoiceFacts(
        supplier=party(rng, currency),
        customer=party(rng, currency, company=rng.random() < 0.7),
        invoice_id=_invoice_id(rng, year),
        issued=issued,
        due=due,
        currency=currency,
        money_style=style,
        date_fmt=rng.choice(DATE_FORMATS),
        items=items,
        tax_rate=tax_rate if tax_rate > 0 else None,
        tax_name=tax_name,
        layout=rng.choice(("classic", "banner", "compact", "modern")),
        family=rng.choices(("helvetica", "times", "courier"), weights=(6, 3, 1))[0],
        size=LETTER if currency == "USD" and rng.random() < 0.8 else A4,
        labels=labels,
        po_number=f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.4 else "",
        customer_ref=f"C-{rng.randint(1000, 99999)}" if rng.random() < 0.3 else "",
    )


def _fmt_rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def _invoice_header(p: Pen, f: InvoiceFacts, rng: random.Random) -> float:
    """Draw page 1's header for the layout; return the y where the item table starts."""
    w, h = f.size
    left, right = 50.0, w - 50.0
    L = f.labels
    meta: list[tuple[str, str]] = [(L["id"], f.invoice_id), (L["date"], f.d(f.issued))]
    if f.due:
        meta.append((L["due"], f.d(f.due)))
    if f.po_number:
        meta.append(("PO Number:", f.po_number))
    if f.customer_ref:
        meta.append(("Customer ID:", f.customer_ref))
    if f.money_style == "plain" and "(" not in L["total"]:
        meta.append(("Currency:", f.currency))
    top = h - 60

    def block(
        x: float, y: float, label: str | None, pt: Party, *, bold_name: bool = True, align: str = "left"
    ) -> float:
        if label:
            p.text(x, y, label, 9, bold=True, align=align)
            y -= 13
        p.text(x, y, pt.name, 10, bold=bold_name, align=align)
        y -= 13
        for line in pt.lines:
            p.text(x, y, line, 9, align=align)
            y -= 12
        return y

    title_size: float
    name_size: float
    if f.layout == "classic":
        name_size, title_size = rng.choice((16, 18, 20, 22)), rng.choice((20, 24, 28))
        title = L["title"].upper()
        while (
            p.width(f.supplier.name, name_size, bold=True) + p.width(title, title_size, bold=True) + 40 > right - left
        ):
            name_size, title_size = name_size - 1, title_size - 1
        p.text(left, top, f.supplier.name, name_size, bold=True)
        y = top - name_size
        for line in [*f.supplier.lines, f"Tel: {f.supplier.phone}", f.supplier.email]:
            p.text(left, y, line, 9)
            y -= 12
        p.text(right, top, title, title_size, bold=True, align="right")
        my = top - 40
        for label, value in meta:
            p.text(right - 190, my, label, 9, bold=True)
            p.text(right, my, value, 9, align="right")
            my -= 14
        y = min(y, my) - 24
        by = block(left, y, L["bill"], f.customer)
        if rng.random() < 0.4:
            ship = Party(f.customer.name if rng.random() < 0.5 else person_name(rng), address(rng, f.currency))
            block(left + 230, y, "Ship To:", ship, bold_name=False)
        return by - 24

    if f.layout == "banner":
        p.text(w / 2, top, L["title"].upper(), rng.choice((18, 22, 26)), bold=True, align="center")
        p.rule(left, top - 12, right, 1.0)
        y = top - 36
        ly = block(left, y, rng.choice(("From:", "Supplier:", "Seller:")), f.supplier)
        ry = block(w / 2 + 20, y, L["bill"], f.customer)
        y = min(ly, ry) - 20
        # label-above-value meta grid: headers in one row, values in the next
        cols = meta[:4]
        cw = (right - left) / len(cols)
        p.shade(left, y - 4, right - left, 15)
        for i, (label, value) in enumerate(cols):
            p.text(left + 4 + i * cw, y, label.rstrip(":."), 8.5, bold=True)
            p.text(left + 4 + i * cw, y - 16, value, 9.5)
        y -= 30
        for label, value in meta[4:]:
            p.text(left, y, f"{label} {value}", 9)
            y -= 12
        return y - 24

    if f.layout == "compact":
        name_size = rng.choice((18, 20, 24))
        p.text(w / 2, top, f.supplier.name, name_size, bold=True, align="center")
        p.text(w / 2, top - name_size, "  ·  ".join(f.supplier.lines + [f.supplier.phone]), 8.5, align="center")
        y = top - name_size - 34
        p.text(left, y, f"{L['title'].title()} {f.invoice_id}", 13, bold=True)
        dates = f"Date: {f.d(f.issued)}" + (f"     Due: {f.d(f.due)}" if f.due else "")
        p.text(right, y, dates, 9, align="right")
        y -= 26
        p.text(left, y, f"{L['bill'].rstrip(':')}: {f.customer.name}", 10)
        y -= 13
        p.text(left, y, ", ".join(f.customer.lines), 9)
        y -= 13
        for label, value in meta[3 if f.due else 2 :]:
            p.text(left, y, f"{label} {value}", 9)
            y -= 13
        return y - 20

    # modern: title left, supplier right-aligned, meta under the title, customer on the right
    title_size, name_size = rng.choice((26, 30, 34)), 13
    while (
        p.width(L["title"].title(), title_size, bold=True) + p.width(f.supplier.name, name_size, bold=True) + 40
        > right - left
    ):
        title_size -= 2
    p.text(left, top, L["title"].title(), title_size, bold=True)
    sy = top
    p.text(right, sy, f.supplier.name, name_size, bold=True, align="right")
    sy -= 14
    for line in [*f.supplier.lines, f.supplier.email]:
        p.text(right, sy, line, 8.5, align="right")
        sy -= 11
    my = top - 60
    for label, value in meta:
        p.text(left, my, f"{label} {value}", 9.5)
        my -= 13
    cy = block(right, min(sy, top - 60) - 14, L["bill"], f.customer, align="right")
    return min(my, cy) - 28


def _table_cols(f: InvoiceFacts) -> tuple[float, float, float, float]:
    w = f.size[0]
    right = w - 50
    return 50.0, right - 190, right - 95, right


def _table_header(p: Pen, f: InvoiceFacts, y: float, shaded: bool) -> float:
    x0, xq, xu, xr = _table_cols(f)
    if shaded:
        p.shade(x0, y - 4, xr - x0, 15)
    p.text(x0 + 2, y, "Description", 9, bold=True)
    p.text(xq, y, "Qty", 9, bold=True, align="right")
    p.text(xu, y, "Unit Price", 9, bold=True, align="right")
    p.text(xr - 2, y, "Amount", 9, bold=True, align="right")
    p.rule(x0, y - 6, xr)
    return y - 20


def render_invoice(rng: random.Random) -> Built:
    f = invoice_facts(rng)
    buf = io.BytesIO()
    c = _canvas(buf, f.size, f"Invoice {f.invoice_id}")
    p = Pen(c, f.family)
    w, h = f.size
    x0, xq, xu, xr = _table_cols(f)
    shaded = rng.random() < 0.5
    row_h = rng.choice((14.0, 15.0, 16.0))
    L = f.labels
    totals: list[tuple[str, str]] = []
    if f.tax_rate is not None:
        tax_label = rng.choice(
            (f"{f.tax_name} ({_fmt_rate(f.tax_rate)}%)", f"{f.tax_name} {_fmt_rate(f.tax_rate)}%", f.tax_name)
        )
        totals += [(L["net"], f.m(f.net)), (tax_label, f.m(f.tax))]
    totals.append((L["total"], f.m(f.total)))
    colon = rng.random() < 0.5
    footer_lines = [
        rng.choice(
            (
                f"Payment due within {(f.due - f.issued).days if f.due else 30} days.",
                "Please include the invoice number with your payment.",
                "Thank you for your business!",
            )
        ),
        f"Bank transfer to account {rng.randint(10000000, 99999999)}, sort code {rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
    ]
    bottom = 90.0
    totals_h = len(totals) * 18 + 30

    y = _invoice_header(p, f, rng)
    y = _table_header(p, f, y, shaded)
    page = 1
    items = list(f.items)
    while True:
        while items and y - row_h > bottom:
            desc, qty, unit = items.pop(0)
            p.text(x0 + 2, y, desc, 9)
            p.text(xq, y, str(qty), 9, align="right")
            p.text(xu, y, f.amount(unit), 9, align="right")
            p.text(xr - 2, y, f.amount(money(qty * unit)), 9, align="right")
            y -= row_h
        if not items and y - totals_h > bottom - 20:
            break
        p.text(w / 2, 40, f"Page {page} - continued overleaf", 8, align="center")
        p.show_page()
        page += 1
        y = h - 60
        p.text(50, y, f"{f.supplier.name} - {L['title'].title()} {f.invoice_id} (continued)", 9, bold=True)
        y -= 30
        y = _table_header(p, f, y, shaded)
    p.rule(xu - 80, y + row_h - 6, xr)
    y -= 8
    for i, (label, value) in enumerate(totals):
        last = i == len(totals) - 1
        p.text(xu - 80, y, label + (":" if colon and not label.endswith(":") else ""), 10 if last else 9, bold=last)
        p.text(xr - 2, y, value, 10 if last else 9, bold=last, align="right")
        y -= 18
    fy = 70.0
    for line in footer_lines:
        p.text(50, fy, line, 8)
        fy -= 11
    if page > 1:
        p.text(w / 2, 30, f"Page {page} of {page}", 8, align="center")
    p.show_page()
    c.save()

    fields: dict[str, str] = {
        "invoice_id": f.invoice_id,
        "invoice_date": f.issued.isoformat(),
        "supplier_name": f.supplier.name,
        "customer_name": f.customer.name,
        "total_amount": f"{f.total:.2f}",
        "currency": f.currency,
    }
    if f.due:
        fields["due_date"] = f.due.isoformat()
    if f.tax_rate is not None:
        fields["net_amount"] = f"{f.net:.2f}"
        fields["tax_amount"] = f"{f.tax:.2f}"
    truth = {"document_type": "invoice", "fields": fields, "pages": page, "layout": f.layout}
    return Built(buf.getvalue(), truth, page, f.size)


# ---------------------------------------------------------------------------------------------- receipts


def render_receipt(rng: random.Random) -> Built:
    currency = rng.choices(("USD", "EUR", "GBP"), weights=(4, 3, 3))[0]
    style = rng.choice(("thermal", "thermal", "modern"))
    family = "courier" if style == "thermal" and rng.random() < 0.7 else rng.choice(("helvetica", "times"))
    shop = rng.choice(W.SHOP_PATTERNS).format(
        last=rng.choice(W.LAST_NAMES),
        last2=rng.choice(W.LAST_NAMES),
        first=rng.choice(W.FIRST_NAMES),
        adj=rng.choice(W.COMPANY_ADJECTIVES),
        shop=rng.choice(W.SHOP_TYPES),
    )
    addr = address(rng, currency)[:2]
    when = date(rng.choice((2024, 2025, 2026)), 1, 1) + timedelta(days=rng.randint(0, 364))
    date_fmt = rng.choice(DATE_FORMATS)
    items = []
    for _ in range(rng.randint(1, 14)):
        name, lo, hi = rng.choice(W.RECEIPT_ITEMS)
        items.append((name, rng.choice((1, 1, 1, 1, 2, 3)), money(rng.uniform(lo, hi))))
    total = sum((money(q * u) for _, q, u in items), Decimal("0.00"))
    sym = CURRENCY_SYMBOL[currency]
    # where the currency shows: on every amount, on the total only, as a code before the total, or in its label
    mstyle = rng.choice(("symbol_all", "symbol_total", "code_prefix", "plain_with_code"))

    def amt(x: Decimal, *, is_total: bool = False) -> str:
        if mstyle == "symbol_all" or (mstyle == "symbol_total" and is_total):
            return f"{sym}{x:.2f}"
        if mstyle == "code_prefix" and is_total:
            return f"{currency} {x:.2f}"
        return f"{x:.2f}"

    width = rng.choice((204.0, 226.0)) if style == "thermal" else 300.0
    line_h = 12.0 if style == "thermal" else 14.0
    cx, left, right = width / 2, 14.0, width - 14.0

    def draw(p: Pen, height: float) -> float:
        y = height - 30
        name_size = rng.choice((12, 13, 14)) if style == "thermal" else 16
        while p.width(shop, name_size, bold=True) > width - 24 and name_size > 9:
            name_size -= 1
        p.text(cx, y, shop, name_size, bold=True, align="center")
        y -= name_size + 2
        for line in addr:
            p.text(cx, y, line, 8, align="center")
            y -= 10
        p.text(cx, y, f"Tel: {phone(rng, currency)}", 8, align="center")
        y -= 18
        if style == "modern":
            p.text(left, y, rng.choice(("RECEIPT", "Sales Receipt", "Receipt")), 12, bold=True)
            y -= 16
        receipt_no = f"{rng.randint(1, 9999):04d}"
        date_str = format_date(when, date_fmt)
        clock = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
        if rng.random() < 0.5:
            p.text(left, y, f"Date: {date_str}", 8.5)
            if p.width(f"Date: {date_str}  Time: {clock}", 8.5) + 20 > right - left:
                y -= 12  # no room on a narrow roll: the time goes on its own line
            p.text(right, y, f"Time: {clock}", 8.5, align="right")
        else:
            p.text(left, y, f"{date_str} {clock}", 8.5)
            p.text(right, y, f"#{receipt_no}", 8.5, align="right")
        y -= 12
        p.text(
            left,
            y,
            f"Receipt No: {receipt_no}"
            if rng.random() < 0.5
            else f"Till {rng.randint(1, 9)}  Op {rng.randint(100, 999)}",
            8.5,
        )
        y -= 8
        p.rule(left, y, right)
        y -= 12
        for name, qty, unit in items:
            label = name if len(name) <= 22 else name[:22]
            p.text(left, y, label, 8.5)
            p.text(right, y, amt(money(qty * unit)), 8.5, align="right")
            y -= line_h
            if qty > 1:
                p.text(left + 10, y, f"{qty} x {unit:.2f}", 7.5)
                y -= line_h * 0.9
        p.rule(left, y + 4, right)
        y -= 10
        vat = None
        if currency != "USD" and rng.random() < 0.6:
            vat = money(total - total / Decimal("1.2"))
        if rng.random() < 0.5 or vat is not None:
            p.text(left, y, "SUBTOTAL" if rng.random() < 0.5 else "Subtotal", 8.5)
            p.text(right, y, amt(total), 8.5, align="right")
            y -= line_h
        if vat is not None:
            p.text(left, y, "VAT 20% incl.", 8.5)
            p.text(right, y, amt(vat), 8.5, align="right")
            y -= line_h
        total_label = rng.choice(("TOTAL", "Total", "TOTAL DUE", "Amount Due"))
        total_str = amt(total, is_total=True)
        if mstyle == "plain_with_code":
            total_label = f"{total_label} {currency}"
        p.text(left, y, total_label, 10, bold=True)
        p.text(right, y, total_str, 10, bold=True, align="right")
        y -= line_h + 2
        if rng.random() < 0.5:
            tendered = money(max(total, Decimal(int(total / 5 + 1) * 5)))
            p.text(left, y, "CASH", 8.5)
            p.text(right, y, amt(tendered), 8.5, align="right")
            y -= line_h
            p.text(left, y, "CHANGE", 8.5)
            p.text(right, y, amt(tendered - total), 8.5, align="right")
        else:
            p.text(left, y, f"{rng.choice(('VISA', 'MASTERCARD', 'DEBIT CARD'))} ****{rng.randint(1000, 9999)}", 8.5)
            p.text(right, y, amt(total), 8.5, align="right")
        y -= line_h * 2
        p.text(
            cx,
            y,
            rng.choice(("THANK YOU FOR SHOPPING", "Thank you, come again!", "Thank you for your visit")),
            8,
            align="center",
        )
        return y

    # thermal receipts are cut right after the footer: measure the length with a dry run first
    state = rng.getstate()
    height = 10_000 - draw(Pen(None, family), 10_000) + 24
    rng.setstate(state)
    buf = io.BytesIO()
    c = _canvas(buf, (width, height), f"Receipt {shop}")
    p = Pen(c, family)
    draw(p, height)
    p.show_page()
    c.save()
    truth = {
        "document_type": "receipt",
        "fields": {
            "supplier_name": shop,
            "supplier_address": ", ".join(addr),
            "receipt_date": when.isoformat(),
            "total_amount": f"{total:.2f}",
            "currency": currency,
        },
        "pages": 1,
        "layout": style,
    }
    return Built(buf.getvalue(), truth, 1, (width, height))


# ---------------------------------------------------------------------------------------------- forms


def _form_values(rng: random.Random) -> list[tuple[str, str]]:
    first, last = rng.choice(W.FIRST_NAMES), rng.choice(W.LAST_NAMES)
    cur = rng.choice(("USD", "EUR", "GBP"))
    addr = address(rng, cur)
    dob = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    start = date(rng.choice((2025, 2026)), rng.randint(1, 12), rng.randint(1, 28))
    fmt = rng.choice(DATE_FORMATS)
    pool = [
        ("Date of birth", format_date(dob, fmt)),
        ("Email", f"{first.lower()}.{last.lower().replace(chr(39), '')}@mail.example"),
        ("Phone", phone(rng, cur)),
        ("Address", addr[0]),
        ("City", addr[1].split(",")[0] if cur == "USD" else addr[1]),
        ("Nationality", rng.choice(W.NATIONALITIES)),
        ("Occupation", rng.choice(W.OCCUPATIONS)),
        ("Employer", company_name(rng)),
        ("Membership type", rng.choice(W.MEMBERSHIP_TYPES)),
        ("Preferred start date", format_date(start, fmt)),
        ("Department", rng.choice(W.DEPARTMENTS)),
        (
            "Vehicle registration",
            f"{rng.choice('ABCDEFGHKLMNPRSTVWY')}{rng.choice('ABCDEFGHKLMNPRSTVWY')}{rng.randint(10, 99)} "
            f"{''.join(rng.choice('ABCDEFGHJKLMNPRSTVWXY') for _ in range(3))}",
        ),
        ("Emergency contact", person_name(rng)),
        ("Number of dependants", str(rng.randint(0, 5))),
        ("Policy number", f"POL-{rng.randint(100000, 999999)}"),
        ("Amount claimed", f"{CURRENCY_SYMBOL[cur]}{money(rng.uniform(50, 5000)):.2f}"),
    ]
    chosen = rng.sample(pool, rng.randint(5, 10))
    names = [("Full name", f"{first} {last}")] if rng.random() < 0.5 else [("First name", first), ("Last name", last)]
    return names + chosen


def render_form(rng: random.Random) -> Built:
    title = rng.choice(W.FORM_TITLES)
    layout = rng.choice(("inline", "columns", "grid"))
    family = rng.choice(("helvetica", "helvetica", "times"))
    size = rng.choice((A4, LETTER))
    w, h = size
    values = _form_values(rng)
    ref = f"APP-{rng.randint(10000, 99999)}"
    if rng.random() < 0.5:
        values.insert(0, ("Reference", ref))
    two_pages = rng.random() < 0.15
    split = len(values) if not two_pages else max(3, len(values) - rng.randint(2, 4))
    buf = io.BytesIO()
    c = _canvas(buf, size, title)
    p = Pen(c, family)
    left = 60.0
    y = h - 70
    p.text(w / 2, y, title, rng.choice((16, 18)), bold=True, align="center")
    y -= 22
    p.text(w / 2, y, "Please complete all sections in block capitals and return the signed form.", 8.5, align="center")
    y -= 30
    sections = list(W.FORM_SECTIONS)
    rng.shuffle(sections)

    def draw_fields(fields: list[tuple[str, str]], y: float) -> float:
        i = 0
        p.text(left, y, sections.pop(), 11, bold=True)
        p.rule(left, y - 4, w - left)
        y -= 24
        while i < len(fields):
            label, value = fields[i]
            if layout == "inline":
                p.text(left, y, f"{label}: {value}", 10)
            elif layout == "columns":
                p.text(left, y, f"{label}:", 10, bold=rng.random() < 0.5)
                p.text(left + 170, y, value, 10, font="Courier")
                p.rule(left + 165, y - 3, w - left, 0.3)
            else:
                p.text(left, y, f"{label}: {value}", 9.5)
                # pair two fields on a row only when a clear gap separates them, as a designer would
                if i + 1 < len(fields) and p.width(f"{label}: {value}", 9.5) < w / 2 + 30 - left - 40:
                    label2, value2 = fields[i + 1]
                    p.text(w / 2 + 30, y, f"{label2}: {value2}", 9.5)
                    i += 1
            i += 1
            y -= rng.choice((20.0, 22.0, 24.0))
        return y - 14

    y = draw_fields(values[:split], y)
    if two_pages:
        p.text(w / 2, 40, "Page 1 of 2", 8, align="center")
        p.show_page()
        y = h - 70
        y = draw_fields(values[split:], y)
    p.text(left, y, "I confirm that the information given on this form is correct and complete.", 9)
    y -= 30
    p.text(left, y, "Signature:", 10)
    p.rule(left + 70, y - 2, left + 260, 0.5)
    p.text(w / 2 + 30, y, "Date signed:", 10)
    p.rule(w / 2 + 100, y - 2, w - left, 0.5)
    y -= 40
    p.shade(left, 60, w - 2 * left, 40, 0.93)
    p.text(left + 8, 85, "For office use only", 8, bold=True)
    if two_pages:
        p.text(w / 2, 40, "Page 2 of 2", 8, align="center")
    p.show_page()
    c.save()
    truth = {
        "document_type": "form",
        "fields": {},
        "form_fields": dict(values),
        "pages": 2 if two_pages else 1,
        "layout": layout,
    }
    return Built(buf.getvalue(), truth, 2 if two_pages else 1, size)


BUILDERS = {"invoice": render_invoice, "receipt": render_receipt, "form": render_form}
