"""Rules that classify a page set and pull schema fields out of its positioned text.

Fields are found by their printed labels ("Invoice No:", "Total Due", "Bill To") and read from the rest
of the label's segment, the segment to its right on the same row, or the one below it, each value
checked against its type (a date must parse, an amount must look like money). Unlabelled fallbacks
(largest amount, largest type at the top) exist but score much lower, so confidence means something.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from docpipe.models import Entity

from .layout import PageText, Segment
from .normalize import Money, currency_tokens, date_value, find_currencies, find_dates, fix_ocr_digits, parse_money

DOCUMENT_TYPES = ("invoice", "receipt", "form", "other")
SCHEMAS: dict[str, tuple[str, ...]] = {
    "invoice": ("invoice_id", "invoice_date", "due_date", "supplier_name", "customer_name", "net_amount", "tax_amount",
                "total_amount", "currency"),
    "receipt": ("supplier_name", "supplier_address", "receipt_date", "total_amount", "currency", "tax_amount"),
    "form": ("form_field",),
    "other": (),
}  # fmt: skip

_CUR_TAIL = r"(?:\s*\(?\s*(?:USD|EUR|GBP|CHF|CAD|AUD|[$€£])\s*\)?)?"
_RATE = r"(?:\s*\(?\s*@?\s*\d{1,2}(?:[.,]\d{1,3})?\s*%\s*\)?(?:\s*incl\.?)?)?"


@dataclass(frozen=True)
class Label:
    field: str
    rx: re.Pattern[str]
    strength: float
    kind: str  # id | date | money | party | currency
    neighbours: str = "both"  # where else the value may sit: "both" (right or below), "right", or "none"


def _lab(field_: str, pattern: str, strength: float, kind: str, *, neighbours: str = "both") -> Label:
    return Label(
        field_, re.compile(r"(?<![\w])(?:" + pattern + r")(?![\w])\s*[:#.]?", re.I), strength, kind, neighbours
    )


LABELS: tuple[Label, ...] = (
    _lab("invoice_id", r"(?:invoice|inv)\.?\s*(?:no\.?|number|num\.?|nr\.?|#|id|ref(?:erence)?)", 0.95, "id"),
    _lab("invoice_id", r"(?:(?:tax|sales|commercial)\s+)?invoice", 0.85, "id", neighbours="right"),
    _lab("invoice_date", r"invoice\s+date|date\s+of\s+issue|issue\s+date|date\s+issued|issued(?:\s+on)?|tax\s+point", 0.95, "date"),
    _lab("invoice_date", r"dated?", 0.88, "date"),
    _lab("due_date", r"payment\s+due(?:\s+date)?|due\s+date|due\s+by|due\s+on|pay\s+by|due", 0.95, "date"),
    _lab("receipt_date", r"date(?:\s*/\s*time)?", 0.92, "date"),
    _lab("total_amount", r"grand\s+total", 0.97, "money"),
    _lab("total_amount", r"(?:total\s+(?:due|payable|amount(?:\s+due)?)|(?:amount|balance)\s+(?:due|payable)|invoice\s+total"
                         r"|total\s+incl\.?(?:uding)?\s+(?:vat|tax))" + _CUR_TAIL, 0.95, "money"),
    _lab("total_amount", r"total" + _CUR_TAIL, 0.9, "money"),
    _lab("net_amount", r"sub[\s-]?total|net\s+(?:amount|total)|total\s+net|net"
                       r"|total\s+(?:excl\.?|excluding|before)\s*(?:vat|tax)|amount\s+before\s+tax", 0.93, "money"),
    _lab("tax_amount", r"(?:(?:sales\s+)?tax|vat|gst|hst|mwst|total\s+(?:tax|vat)|(?:vat|tax)\s+amount)" + _RATE, 0.93, "money"),
    _lab("customer_name", r"bill(?:ed)?[\s-]*to|invoice\s+to|sold\s+to|customer(?!\s*(?:id|no|number|#|ref|account))"
                          r"|client(?!\s*(?:id|no|number|#|ref))", 0.93, "party"),
    _lab("supplier_name", r"from|supplier|seller|vendor|issued\s+by|sold\s+by|bill\s+from", 0.93, "party"),
    _lab("currency", r"currency", 0.95, "currency"),
)  # fmt: skip
LABEL_ANY = re.compile("|".join(f"(?:{lab.rx.pattern})" for lab in LABELS), re.I)
TITLE_RX = re.compile(r"^(?:(?:tax|sales|commercial|pro[\s-]?forma)\s+)?(?:invoice|receipt)\b|^page\s+\d", re.I)
ID_TOKEN = re.compile(r"#?\s*([A-Z0-9][A-Z0-9\-/_.]*\d[A-Z0-9\-/_]*|\d[A-Z0-9\-/_.]*)", re.I)
COMPANY_RX = re.compile(
    r"\b(?:ltd|llc|inc|gmbh|limited|corp|corporation|plc|group|partners|sarl|llp|company)\b|\b(?:co|s\.a|b\.v)\.|&\s*co\b",
    re.I,
)
PHONE_RX = re.compile(r"(?:\btel\b|\bphone\b|\bfax\b|\+?\(?\d[\d ()\-]{7,}\d)", re.I)
FORM_FIELD_RX = re.compile(r"^(?P<label>[A-Za-z][\w .,'/&()\-]{0,45}?)\s*:(?=\s|$)\s*(?P<value>.*)$")
METHOD_FACTOR = {"same": 1.0, "right": 0.97, "below": 0.93}


@dataclass
class Candidate:
    type: str
    mention: str
    normalized: dict[str, Any]
    score: float
    seg: Segment
    order: tuple[int, float, float] = (0, 0.0, 0.0)
    extra: dict[str, Any] = field(default_factory=dict)


class Layout:
    """Spatial look-ups over the segments of a document.

    Scans are skewed by a degree or two, which over half a page moves a value off its label's line;
    each page's skew is estimated from segments the reader put on one line and corrected for.
    """

    def __init__(self, pages: list[PageText]):
        self.pages = pages
        self.cache: dict[str, Any] = {}  # what readers of these pages derive once and share (receipt lines)
        self.by_page = [p.segments for p in pages]
        self.segments = [s for segs in self.by_page for s in segs]
        self._next_in_row: dict[int, Segment] = {}
        self.skew: list[float] = []
        for p in pages:
            slopes = []
            for row in p.rows:
                for a, b in zip(row, row[1:], strict=False):
                    self._next_in_row[id(a)] = b
                    dx = (b.x0 + b.x1 - a.x0 - a.x1) / 2
                    if dx > 0.1:
                        slopes.append((b.cy - a.cy) / dx)
            slopes.sort()
            self.skew.append(slopes[len(slopes) // 2] if slopes else 0.0)

    def right_of(self, seg: Segment) -> Segment | None:
        """The next segment to the right on the same line."""
        nxt = self._next_in_row.get(id(seg))
        if nxt is not None and nxt.x0 >= seg.x1 - 0.002:
            return nxt
        skew = self.skew[seg.page]
        cx = (seg.x0 + seg.x1) / 2
        best = None
        for s in self.by_page[seg.page]:
            if s is seg or s.x0 < seg.x1 - 0.002:
                continue
            shift = skew * ((s.x0 + s.x1) / 2 - cx)
            overlap = min(s.y1 - shift, seg.y1) - max(s.y0 - shift, seg.y0)
            if overlap >= 0.5 * min(s.h, seg.h) and (best is None or s.x0 < best.x0):
                best = s
        return best

    def below(self, seg: Segment, max_gap: float = 2.2) -> Segment | None:
        """The nearest segment under `seg` that shares some of its horizontal extent (the same column)."""
        best = None
        for s in self.by_page[seg.page]:
            if s is seg or s.y0 < seg.y1 - 0.3 * seg.h or s.y0 - seg.y1 > max_gap * seg.h:
                continue
            if min(s.x1, seg.x1) - max(s.x0, seg.x0) <= 0:
                continue
            if best is None or s.y0 < best.y0:
                best = s
        return best


def _clean(text: str) -> str:
    return text.strip(" \t:#.-–—|").strip()


def _is_labelish(seg: Segment) -> bool:
    t = seg.text.strip()
    return t.endswith(":") or bool(LABEL_ANY.fullmatch(t))


def _value_text(seg: Segment) -> str:
    return fix_ocr_digits(seg.text) if seg.conf < 1.0 else seg.text


def _order(seg: Segment) -> tuple[int, float, float]:
    return (seg.page, seg.y0, seg.x0)


# ---------------------------------------------------------------------------------------------- labelled values


def _read_value(kind: str, text: str) -> tuple[str, dict[str, Any], float] | None:
    """(mention, normalized value, parse quality) when `text` starts with a value of this kind."""
    t = text.lstrip(" \t:#.-–—|").rstrip(" \t:#-–—|")
    if not t:
        return None
    if kind == "date":
        dates = find_dates(t)
        if not dates or dates[0].start > 1:
            return None
        d = dates[0]
        return t[d.start : d.end], date_value(d.value), 0.93 if d.ambiguous else 1.0
    if kind == "money":
        m = parse_money(t)
        if m is None:
            return None
        return m.text, {"money": m}, 1.0 if m.has_cents else 0.85
    if kind == "id":
        idm = ID_TOKEN.match(t)
        if not idm:
            return None
        token = idm.group(1).rstrip(".-/")
        if len(token) < 3 or find_dates(token) or parse_money(token):
            return None
        return token, {"text": token}, 1.0
    if kind == "currency":
        tokens = currency_tokens(t[:8])
        if not tokens:
            return None
        return tokens[0][0], {"text": tokens[0][1]}, 1.0
    # party: a name needs letters, and is neither a date nor an amount
    if sum(ch.isalpha() for ch in t) < 2 or find_dates(t) or parse_money(t) or LABEL_ANY.fullmatch(t):
        return None
    return t, {"text": t}, 1.0


def labelled_candidates(layout: Layout, wanted: set[str]) -> list[Candidate]:
    """Every value found after, right of or below a label. Where labels overlap, the longest one that
    yields a value claims the text ("Due Date" over "Date", but "Invoice" when "Invoice NR/25/1" is no label)."""
    out: list[Candidate] = []
    labels = [lab for lab in LABELS if lab.field in wanted]
    for seg in layout.segments:
        if not LABEL_ANY.search(seg.text):
            continue
        hits = [(lab, m) for lab in labels for m in lab.rx.finditer(seg.text)]
        if not hits:
            continue
        starts = sorted(m.start() for _, m in hits)
        claimed: list[tuple[int, int]] = []
        for lab, m in sorted(hits, key=lambda h: (-(h[1].end() - h[1].start()), h[1].start())):
            if any(m.start() < e and s < m.end() for s, e in claimed):
                continue
            stop = next((s for s in starts if s >= m.end()), len(seg.text))
            cand = _labelled_value(layout, seg, lab, m, seg.text[m.end() : stop])
            if cand is not None:
                out.append(cand)
                claimed.append((m.start(), m.end()))
    return out


def _labelled_value(layout: Layout, seg: Segment, lab: Label, m: re.Match[str], rest: str) -> Candidate | None:
    targets: list[tuple[str, str, Segment]] = []
    if _clean(rest):
        targets.append(("same", fix_ocr_digits(rest) if seg.conf < 1.0 else rest, seg))
    elif lab.neighbours != "none":
        if (r := layout.right_of(seg)) is not None and not _is_labelish(r):
            targets.append(("right", _value_text(r), r))
        if (
            lab.neighbours == "both"
            and lab.kind != "money"
            and (b := layout.below(seg)) is not None
            and not _is_labelish(b)
        ):
            targets.append(("below", _value_text(b), b))
    for method, text, vseg in targets:
        got = _read_value(lab.kind, text)
        if got is None:
            continue
        mention, norm, quality = got
        conf = min(seg.conf, vseg.conf)
        score = lab.strength * METHOD_FACTOR[method] * quality * _conf_factor(conf)
        return Candidate(lab.field, mention, norm, score, vseg, _order(vseg), {"label": m.group(0), "label_seg": seg})
    return None


def _conf_factor(conf: float) -> float:
    """How much a reading's OCR confidence caps the field's: a clean text layer is 1.0."""
    return 1.0 if conf >= 1.0 else max(0.0, min(1.0, 0.15 + 0.85 * conf))


# ---------------------------------------------------------------------------------------------- heuristics


def _median_size(segs: Iterable[Segment]) -> float:
    sizes = sorted(s.size for s in segs)
    return sizes[len(sizes) // 2] if sizes else 1.0


_TITLES = ("invoice", "taxinvoice", "salesinvoice", "receipt", "salesreceipt")


def _is_title(seg: Segment) -> bool:
    """ "INVOICE", or (on a scan) OCR's reading of a big title ("nvo i ce", "I hvo 1 Cc e")."""
    if TITLE_RX.search(seg.text):
        return True
    if seg.conf >= 1.0:
        return False
    letters = "".join(ch for ch in seg.text.lower() if ch.isalpha())
    return 4 <= len(letters) <= 16 and any(SequenceMatcher(None, letters, t).ratio() >= 0.7 for t in _TITLES)


def _looks_like_name(seg: Segment) -> bool:
    t = seg.text.strip()
    if sum(ch.isalpha() for ch in t) < 3 or ":" in t or "@" in t or "www." in t.lower():
        return False
    if t[:1].isdigit() or sum(ch.isdigit() for ch in t) >= 3 or PHONE_RX.search(t) or find_dates(t) or parse_money(t):
        return False  # dates, phones, amounts, and addresses (house numbers, postcodes)
    return not LABEL_ANY.fullmatch(t) and not _is_title(seg)


def top_name(layout: Layout, exclude: set[int]) -> tuple[Segment, float] | None:
    """The business name printed largest near the top of page 1: (segment, strength)."""
    if not layout.by_page or not layout.by_page[0]:
        return None
    segs = layout.by_page[0]
    med = _median_size(segs)
    scored = []
    for s in segs:
        if s.y0 > 0.4 or id(s) in exclude or not _looks_like_name(s):
            continue
        rel = s.size / med
        score = (1.5 * rel + (0.4 if COMPANY_RX.search(s.text) else 0.0) - 2.5 * s.y0) * _conf_factor(s.conf)
        scored.append((score, rel, s))
    if not scored:
        return None
    scored.sort(key=lambda x: -x[0])
    score, rel, best = scored[0]
    margin = score - scored[1][0] if len(scored) > 1 else 1.0
    strength = (
        0.5
        + 0.12 * min(rel - 1.0, 1.5)
        + 0.1 * min(max(margin, 0.0), 1.0)
        + (0.08 if COMPANY_RX.search(best.text) else 0.0)
    )
    return best, min(strength, 0.85)


def address_below(layout: Layout, name: Segment) -> list[Segment]:
    """Address lines printed right under a business name (stops at phones, dates, labels, rules)."""
    lines: list[Segment] = []
    cur = name
    for _ in range(3):
        nxt = layout.below(cur, max_gap=1.6)
        if nxt is None:
            break
        t = nxt.text.strip()
        if (":" in t or PHONE_RX.search(t) or find_dates(t) or _is_title(nxt) or LABEL_ANY.fullmatch(t)
                or sum(ch.isalpha() for ch in t) < 3 or "@" in t):  # fmt: skip
            break
        lines.append(nxt)
        cur = nxt
    return lines


# ---------------------------------------------------------------------------------------------- classification


_TYPE_KEYWORDS: dict[str, tuple[tuple[str, float], ...]] = {
    "invoice": ((r"\binvoice\b", 3.0), (r"\bbill(?:ed)?\s+to\b|\binvoice\s+to\b", 1.0), (r"\bdue\s+date\b|\bpayment\s+due\b", 0.8),
                (r"\bunit\s+price\b|\bqty\b", 0.3), (r"\bsub-?total\b|\bnet\s+amount\b", 0.4), (r"\bvat\b|\bsales\s+tax\b", 0.4),
                (r"\bpo\s+number\b|\bpayment\s+terms\b", 0.5)),
    "receipt": ((r"\breceipt\b", 2.5), (r"\bcash\b", 0.6), (r"\bchange\b", 0.6), (r"\bthank\s*you\b|\bcome\s*again\b", 0.8),
                (r"\bvisa\b|\bmastercard\b|\bdebit\s+card\b|\bcard\b", 0.6), (r"\btill\b|\bcashier\b|\bop\b", 0.4),
                (r"\btotal\b", 0.3), (r"\btel\b", 0.2)),
    "form": ((r"\bform\b", 2.5), (r"\bapplication\b|\bapplicant\b|\bregistration\b|\brequest\b", 1.0),
             (r"\bsignature\b", 0.8), (r"\bplease\s+complete\b|\bblock\s+capitals\b", 0.8), (r"\bdate\s+of\s+birth\b", 0.5),
             (r"\boffice\s+use\b", 0.5), (r"\bi\s+confirm\b|\bdeclaration\b", 0.5)),
}  # fmt: skip


def classify(pages: list[PageText], text: str, form_pairs: int) -> tuple[str, float, dict[str, float]]:
    low = text.lower()
    head = low[:400]
    scores = {"invoice": 0.0, "receipt": 0.0, "form": 0.0, "other": 1.5}
    # an invoice asks someone in particular to pay later; "INVOICE" heading a till slip without any of
    # that is the legal name of a receipt ("tax invoice"), not a request for payment
    billed = bool(re.search(r"\bbill(?:ed)?\s*to\b|\binvoice\s*to\b|\bdue\b|\bpayment\s*terms\b|\bpo\s*number\b", low))
    for kind, rules in _TYPE_KEYWORDS.items():
        for pattern, weight in rules:
            if re.search(pattern, low):
                scores[kind] += weight
                if weight >= 2.5 and re.search(pattern, head) and (kind != "invoice" or billed):
                    scores[kind] += 1.0  # the word is the document's title
    if not billed and re.search(r"\binvoice\b", low):
        # "(tax) invoice" with nobody asked to pay later: the legal heading of a till receipt in many
        # countries (Malaysia's GST, Singapore's, Australia's), a word that tells little on its own
        scores["invoice"] -= 1.5
    # A receipt records a payment made (tendered and change, or a card), where an invoice asks for one
    # later; "tax invoice" is the legal heading of till receipts in many countries, so the payment decides.
    if re.search(r"\b(?:cash|tender(?:ed)?|paid)\b", low) and re.search(r"\b(?:change|baki)\b", low):
        scores["receipt"] += 3.0
    elif re.search(r"\b(?:visa|mastercard|master\s*card|amex|debit\s*card|credit\s*card)\b", low):
        scores["receipt"] += 1.0
    if re.search(r"simplified\s*tax\s*invoice|\bcash\s*(?:bill|sale)\b|\bguest\s*check\b", low):
        scores["receipt"] += 2.5
    if re.search(r"(?:\brm|[$€£]|\b(?:total|cash)\b)\s*:?\s*\d+[.,]\d{2}\b", low) and find_dates(low):
        scores["receipt"] += 0.5  # dated amounts: a transaction of some kind, most often a sale
    if re.search(r"\bround(?:ing)?\s*(?:adj|adjustment)\b", low):
        scores["receipt"] += 0.6  # cash totals rounded to the smallest coin
    if re.search(r"\b(?:cashier|waiter|server|table\s*(?:no)?\s*[:#]?\s*\w*\d|pax)", low):
        scores["receipt"] += 0.8  # a till or a restaurant
    if pages:
        p = pages[0]
        segs = p.segments
        if p.height > 0 and p.width / p.height < 0.5:
            scores["receipt"] += 2.0  # till rolls are long and narrow
        elif len(segs) >= 8:
            # a photographed or scanned till roll: the page is wide, the printed column is not
            w = (max(s.x1 for s in segs) - min(s.x0 for s in segs)) * p.width
            h = (max(s.y1 for s in segs) - min(s.y0 for s in segs)) * p.height
            if h > 0 and w / h < 0.55:
                scores["receipt"] += 1.5
    scores["form"] += min(3.0, form_pairs / 3.0)
    best = max(scores, key=lambda k: scores[k])
    z = sum(math.exp(v) for v in scores.values())
    return best, math.exp(scores[best]) / z, scores


# ---------------------------------------------------------------------------------------------- extraction


def _pick(cands: list[Candidate], prefer_last: bool = False) -> Candidate | None:
    if not cands:
        return None
    if prefer_last:
        return max(cands, key=lambda c: (round(c.score, 3), c.order))
    return max(cands, key=lambda c: (round(c.score, 3), tuple(-x for x in c.order)))


Spans = list[tuple[int, int]]


def _spans(c: Candidate) -> Spans:
    """Where the mention sits in the document text (several spans for a value spread over lines)."""
    if c.extra.get("derived"):
        return []
    if "spans" in c.extra:
        return list(c.extra["spans"])
    segs: list[Segment] = c.extra.get("segs") or [c.seg]
    if len(segs) > 1:
        return [(s.start, s.end) for s in segs]
    seg = segs[0]
    i = _value_text(seg).find(c.mention)
    if i < 0:
        return [(seg.start, seg.end)]
    return [(seg.start + i, seg.start + i + len(c.mention))]


def _entity(c: Candidate) -> tuple[Entity, Spans]:
    e = Entity(type=c.type, mention_text=c.mention, confidence=round(max(0.0, min(1.0, c.score)), 4), page=c.seg.page,
               normalized_value=c.normalized, bbox=c.seg.bbox(), extractor=c.extra.get("extractor", "rules"))  # fmt: skip
    return e, _spans(c)


def form_pairs(layout: Layout) -> list[tuple[Segment, re.Match[str], Segment, str]]:
    """(label segment, label match, value segment, value) for every "Label: value" on the pages."""
    out = []
    for seg in layout.segments:
        m = FORM_FIELD_RX.match(seg.text)
        if not m or len(m["label"].split()) > 6:
            continue
        value, vseg = m["value"].strip(), seg
        if not value:
            r = layout.right_of(seg)
            if r is None or _is_labelish(r) or FORM_FIELD_RX.match(r.text):
                continue
            value, vseg = r.text.strip(), r
        out.append((seg, m, vseg, value))
    return out


def extract_fields(doc_type: str, layout: Layout, field_model: Any = None) -> list[tuple[Entity, Spans]]:
    """The schema's fields for `doc_type` as entities (with their text spans), in schema order.

    `field_model`: the `selector.FieldModel` that chooses the fields it knows (default: the configured one)."""
    schema = SCHEMAS.get(doc_type, ())
    if doc_type == "form":
        ents = []
        for seg, m, vseg, value in form_pairs(layout):
            label = " ".join(m["label"].split())
            conf = min(seg.conf, vseg.conf)
            score = 0.92 * (1.0 if vseg is seg else 0.95) * _conf_factor(conf)
            c = Candidate("form_field", value, {"text": value, "key": label}, score, vseg, _order(vseg))
            ents.append(_entity(c))
        return ents
    if not schema:
        return []
    if doc_type == "receipt":
        return _receipt_entities(layout, schema, field_model)
    wanted = set(schema) - {"supplier_address"}
    by_type: dict[str, list[Candidate]] = {}
    for cand in labelled_candidates(layout, wanted):
        by_type.setdefault(cand.type, []).append(cand)
    chosen: dict[str, Candidate] = {}
    for t in ("invoice_id", "invoice_date", "due_date", "receipt_date", "customer_name", "supplier_name", "currency"):
        if t in wanted and (picked := _pick(by_type.get(t, []))) is not None:
            chosen[t] = picked
    for t in ("total_amount", "net_amount", "tax_amount"):
        if t in wanted and (picked := _pick(by_type.get(t, []), prefer_last=True)) is not None:
            chosen[t] = picked

    if doc_type == "invoice" and "invoice_date" not in chosen:
        _fallback_first_date(layout, chosen, "invoice_date", 0.45)
    if doc_type == "receipt" and "receipt_date" not in chosen:
        _fallback_first_date(layout, chosen, "receipt_date", 0.7)
    if "total_amount" not in chosen and "net_amount" in chosen and "tax_amount" in chosen:
        _derived_total(chosen)
    if "total_amount" not in chosen:
        _fallback_largest_amount(layout, chosen)
    if "supplier_name" in schema and "supplier_name" not in chosen:
        exclude = {id(chosen["customer_name"].seg)} if "customer_name" in chosen else set()
        got = top_name(layout, exclude)
        if got is not None:
            seg, strength = got
            name = seg.text.strip()
            chosen["supplier_name"] = Candidate(
                "supplier_name", name, {"text": name}, strength * _conf_factor(seg.conf), seg, _order(seg)
            )
    if "supplier_address" in schema and "supplier_name" in chosen:
        lines = address_below(layout, chosen["supplier_name"].seg)
        if lines:
            text = ", ".join(s.text.strip() for s in lines)
            conf = min(s.conf for s in lines)
            first = lines[0]
            seg = Segment(text, first.page, min(s.x0 for s in lines), first.y0, max(s.x1 for s in lines), lines[-1].y1,
                          conf, first.size, first.start, lines[-1].end)  # fmt: skip
            chosen["supplier_address"] = Candidate("supplier_address", text, {"text": text}, 0.75 * _conf_factor(conf), seg,
                                                   _order(seg), {"segs": lines})  # fmt: skip
    from .selector import select

    chosen = select(layout, chosen, schema, doc_type, field_model)
    _check_amounts(chosen)
    if "currency" in wanted:
        _currency(layout, chosen)
    for t in ("total_amount", "net_amount", "tax_amount"):
        if t in chosen:
            money: Money = chosen[t].normalized["money"]
            cur = chosen["currency"].normalized["text"] if "currency" in chosen else None
            chosen[t].normalized = money.normalized(cur)
    return [_entity(chosen[t]) for t in schema if t in chosen]


def _receipt_entities(layout: Layout, schema: tuple[str, ...], field_model: Any = None) -> list[tuple[Entity, Spans]]:
    """A receipt's fields from its line structure (see `receipt`), its tax and currency from labels."""
    from .receipt import receipt_fields
    from .selector import select

    chosen = select(layout, receipt_fields(layout), schema, "receipt", field_model)
    by_type: dict[str, list[Candidate]] = {}
    for cand in labelled_candidates(layout, {"tax_amount", "currency"}):
        by_type.setdefault(cand.type, []).append(cand)
    if (cur := _pick(by_type.get("currency", []))) is not None:
        chosen["currency"] = cur
    if (tax := _pick(by_type.get("tax_amount", []), prefer_last=True)) is not None:
        total = chosen.get("total_amount")
        if total is None or tax.normalized["money"].amount < total.normalized["money"].amount:
            chosen["tax_amount"] = tax
    _currency(layout, chosen)
    for t in ("total_amount", "tax_amount"):
        if t in chosen:
            cur = chosen["currency"].normalized["text"] if "currency" in chosen else None
            chosen[t].normalized = chosen[t].normalized["money"].normalized(cur)
    return [_entity(chosen[t]) for t in schema if t in chosen]


def _fallback_first_date(layout: Layout, chosen: dict[str, Candidate], t: str, strength: float) -> None:
    used = {(id(c.seg), c.normalized.get("text")) for c in chosen.values()}
    for seg in sorted(layout.segments, key=_order):
        for d in find_dates(_value_text(seg)):
            if (id(seg), d.value.isoformat()) in used:
                continue  # e.g. the due date is not the invoice date
            text = _value_text(seg)[d.start : d.end]
            chosen[t] = Candidate(t, text, date_value(d.value), strength * _conf_factor(seg.conf), seg, _order(seg))
            return


def _derived_total(chosen: dict[str, Candidate]) -> None:
    """No readable total, but net and tax were read: their sum, printed or not (no text anchor then)."""
    net, tax = chosen["net_amount"], chosen["tax_amount"]
    a, b = net.normalized["money"], tax.normalized["money"]
    m = Money(a.amount + b.amount, a.currency or b.currency, f"{a.amount + b.amount:.2f}", True)
    chosen["total_amount"] = Candidate("total_amount", m.text, {"money": m}, 0.6 * min(net.score, tax.score), tax.seg,
                                       tax.order, {"derived": True})  # fmt: skip


def _fallback_largest_amount(layout: Layout, chosen: dict[str, Candidate]) -> None:
    best: tuple[Money, Segment] | None = None
    for seg in layout.segments:
        m = parse_money(_value_text(seg))
        if m is not None and m.has_cents and (best is None or m.amount > best[0].amount):
            best = (m, seg)
    if best is not None:
        m, seg = best
        chosen["total_amount"] = Candidate(
            "total_amount", m.text, {"money": m}, 0.35 * _conf_factor(seg.conf), seg, _order(seg)
        )


def _check_amounts(chosen: dict[str, Candidate]) -> None:
    """Net + tax = total corroborates all three; a mismatch means one of them is wrong."""
    total, net, tax = (chosen.get(t) for t in ("total_amount", "net_amount", "tax_amount"))
    if total is None or total.extra.get("derived"):
        return
    amount = lambda c: c.normalized["money"].amount  # noqa: E731
    if net is not None and tax is not None:
        if abs(amount(net) + amount(tax) - amount(total)) < 0.015:
            for c in (total, net, tax):
                c.score = min(0.99, c.score * 1.04)
        else:
            total.score *= 0.7
            net.score *= 0.7
            tax.score *= 0.7
    elif net is not None and amount(net) > amount(total):
        net.score *= 0.6


def _currency(layout: Layout, chosen: dict[str, Candidate]) -> None:
    labelled = [c for c in chosen.values() if c.type == "currency"]
    if labelled:
        return
    total = chosen.get("total_amount")
    if total is not None:
        money: Money = total.normalized["money"]
        label = str(total.extra.get("label", ""))
        from_label = currency_tokens(label)
        code = money.currency or (from_label[0][1] if from_label else None)
        if code:
            printed = currency_tokens(money.text)
            if money.currency and printed:
                mention, seg = printed[0][0], total.seg
            elif money.currency:  # the currency came from elsewhere (e.g. a total added up from its parts)
                mention, seg = money.currency, total.seg
            else:
                mention, seg = from_label[0][0], total.extra.get("label_seg", total.seg)
            # read off the chosen total: as sure as the total, and from the same extractor
            chosen["currency"] = Candidate("currency", mention, {"text": code}, total.score * 0.98, seg, _order(seg),
                                           {"extractor": total.extra.get("extractor", "rules")})  # fmt: skip
            return
    seen: Counter[str] = Counter()
    where: dict[str, Segment] = {}
    for seg in layout.segments:
        for code in find_currencies(seg.text):
            seen[code] += 1
            where.setdefault(code, seg)
    if seen:
        code, n = seen.most_common(1)[0]
        share = n / sum(seen.values())
        seg = where[code]
        chosen["currency"] = Candidate(
            "currency", code, {"text": code}, (0.45 + 0.35 * share) * _conf_factor(seg.conf), seg, _order(seg)
        )
