"""Receipt fields from the line structure of a receipt: who sold (name and address), when, and how much.

A till receipt prints a header (the shop's name, its registration number, its address, its phone and
tax numbers), then the items, then the totals and the payment. The rules here read that structure:

- the **address** is the block of lines carrying postcodes, street words, house numbers, states or
  countries, ended by a phone, registration or document line;
- the **supplier name** is the name-like line above the address (a registered company's suffix,
  "SDN BHD", "Ltd", ..., picks it among several), joined with its continuation when it wraps;
- the **date** is the labelled date, else the first date printed;
- the **total** is the amount of the strongest total label ("TOTAL ROUNDED" over "TOTAL" over
  "SUBTOTAL"), checked against the arithmetic a receipt carries: cash minus change, total plus rounding.

Confidence follows the evidence: a total that the payment arithmetic confirms, a name directly above a
clean address block, a date printed once. A field read from weak evidence gets a low confidence instead
of a confident wrong value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any

from .fields import Candidate, Layout, _conf_factor, _order
from .layout import Segment
from .normalize import Money, date_value, find_dates, fix_ocr_digits, parse_money

_I = re.IGNORECASE


@dataclass
class Line:
    """One printed line: the segments of a row, left to right."""

    segs: list[Segment]
    index: int

    @cached_property
    def text(self) -> str:  # read many times per line by the rules and the field selector's features
        return " ".join(s.text for s in self.segs)

    @property
    def page(self) -> int:
        return self.segs[0].page

    @property
    def conf(self) -> float:
        return min(s.conf for s in self.segs)

    @cached_property
    def amounts(self) -> list[tuple[Money, Segment]]:  # see `_amounts`
        return [(m, seg) for seg in self.segs if (m := _segment_amount(seg)) is not None]

    @cached_property
    def letters(self) -> int:
        return sum(map(str.isalpha, self.text))


# ---------------------------------------------------------------------------------------------- line kinds

# OCR often drops the spaces between words, so multi-word patterns allow none ("TAXINVOICE").
REGISTRATION = re.compile(
    r"\b(?:co\.?\s*reg|company\s*(?:no|reg)|reg(?:istration)?\.?\s*no|roc\s*no|br\s*no|co\.?\s*no|gst|sst|tin\b"
    r"|tax\s*id|vat\s*(?:no|reg|id)|business\s*reg|ssm|uen|abn|ein)",
    _I,
)
REG_NUMBER = re.compile(r"\(?\s*[A-Z]{0,4}\s*\d{4,}\s*[-‐]\s*[A-Z0-9]\s*\)?|\(\s*\d{5,}\s*\)", _I)
CONTACT = re.compile(
    r"\b(?:tel|telephone|fax|phone|ph|h/?p|hp|mobile|mob|whatsapp|e-?mail|website|hotline)\b|@|www\.|\.com\b|\.my\b", _I
)
# words that also name places ("Station Road", "Table Bay") count only as the labels they are on a slip
DOCUMENT = re.compile(
    r"\b(?:tax\s*invoice|invoice|receipt|cash\s*bill|bill\s*no|doc(?:ument)?\s*no|cashier|terminal|guest\s*check"
    r"|credit\s*note|member|qty|quantity|description|price|amount|salesperson|served\s*by|transaction|reprint)\b"
    r"|\b(?:table|station|order|counter|item|trans|slip|pos)\s*(?:no\b|[:#]|\d)",
    _I,
)
COMPANY_SUFFIX = re.compile(
    r"(?:\b(?:sdn\.?\s*bhd|bhd|berhad|s/b|sdn|ltd|llc|inc|gmbh|limited|corp|corporation|plc|llp|pte|pty|enterprise"
    r"|enterprises|trading|company|co\.|group|partners|s\.a|b\.v|industries|holdings|restaurant|restoran|services)\b"
    r"|&\s*co\b)",
    _I,
)
_STREET = (
    r"jalan|jln|jl|lorong|lrg|persiaran|lebuh|lebuhraya|taman|tmn|kawasan|perindustrian|kampung|kg|bandar|seksyen"
    r"|lot|wisma|menara|plaza|kompleks|pusat|batu|street|st|road|rd|avenue|ave|lane|ln|way|drive|dr|boulevard|blvd"
    r"|place|pl|court|ct|square|sq|highway|hwy|floor|flr|level|block|blk|suite|unit|building|bldg"
)
STREET = re.compile(rf"\b(?:{_STREET})\b\.?", _I)
REGION = re.compile(
    r"\b(?:johor|selangor|kuala\s*lumpur|wilayah\s*persekutuan|w\.\s*p|pulau\s*pinang|penang|perak|kedah|melaka"
    r"|malacca|negeri\s*sembilan|pahang|terengganu|kelantan|sabah|sarawak|perlis|putrajaya|labuan"
    r"|darul\s*(?:ehsan|takzim|aman|ridzuan|naim|khusus)|d\.\s*e|malaysia|singapore|indonesia|thailand"
    r"|germany|france|netherlands|italy|austria|ireland|belgium|spain|portugal|switzerland|united\s*kingdom"
    r"|england|scotland|wales|usa|united\s*states|canada|australia)\b",
    _I,
)
POSTCODE = re.compile(
    r"(?<![\d\-/.:])\d{5}(?![\d\-/.:])\s*[A-Za-z]"  # 81100 JOHOR BAHRU, 75001 Paris, 53300KL
    r"|[A-Za-z][,.]?\s+(?:[A-Z]{2}\s+)?\d{5}(?:-\d{4})?\s*[,.]?\s*$"  # Springfield, IL 62701 / ..., 41050
    r"|\b[A-Z]{1,2}[\dA-Z]{0,2}\s+\d[A-Z]{2}\b"  # UK: LS1 4AB
    r"|(?<![\d\-/.:])\d{4}\s?[A-Z]{2}\b(?!\s*\d)"  # NL: 3011 AB
    r"|^\s*\d{4}\s+[A-Z][a-z]+"  # AT/BE/CH: 1010 Wien
    r"|\bD\d{2}\s?[A-Z\d]{4}\b"  # Ireland: D02 X285
)
HOUSE_NUMBER = re.compile(r"^\s*(?:no\.?\s*:?\s*|lot\s*|unit\s*|[a-z]?)\d+[a-z]?(?:\s*[-/&,]\s*\d*[a-z]?\d*)*\s*[,.]|^\s*\d+\s+[A-Z]", _I)  # fmt: skip
SLASH_NUMBER = re.compile(r"\b[A-Z]{0,4}\d+[A-Z]?/\d+[A-Z]?\b", _I)
_ADDRESS_WORDS = frozenset(
    w for w in (_STREET + "|johor|selangor|kuala|lumpur|pinang|penang|perak|kedah|melaka|pahang|terengganu|kelantan"
                "|sabah|sarawak|perlis|putrajaya|labuan|darul|ehsan|takzim|malaysia").split("|") if len(w) >= 3
)  # fmt: skip
_REGION_WORDS = tuple(w for w in ("johor", "selangor", "kedah", "perak", "melaka", "pahang", "sabah", "sarawak", "perlis",
                                  "kelantan", "terengganu", "malaysia", "penang", "pinang", "labuan", "putrajaya",
                                  "lumpur", "kuala", "darul", "ehsan", "takzim"))  # fmt: skip
_LOOKALIKE = {"1": "li", "l": "i", "i": "l", "I": "l", "0": "o", "o": "0", "8": "b", "5": "s", "6": "g"}
_DIGIT_AS_LETTER = {"0": "O", "1": "I", "5": "S", "6": "G", "8": "B"}
_LETTER_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})


def fix_address_words(text: str) -> str:
    """Undo OCR's look-alike confusions in an address where the result is an address word ("10T" and
    "1.OT" -> "LOT", "Jaian" -> "Jalan"), and a digit opening an otherwise alphabetic word ("8ESAR")."""

    def fix(m: re.Match[str]) -> str:
        tok = m.group(0)
        core = tok.replace(".", "")
        if core.lower() in _ADDRESS_WORDS or not any(ch.isalpha() for ch in core) or len(core) < 3:
            return tok
        variants = {""}
        for ch in core:
            variants = {v + alt for v in variants for alt in {ch.lower(), *_LOOKALIKE.get(ch, "")}}
            if len(variants) > 64:
                return tok
        known = {v for v in variants if v in _ADDRESS_WORDS}
        if len(known) == 1:
            word = known.pop()
            letters = [ch for ch in core if ch.isalpha()]
            return word.upper() if sum(map(str.isupper, letters)) * 2 >= len(letters) else word.capitalize()
        low = core.lower()
        if sum(map(str.isdigit, core)) >= 2 and re.fullmatch(r"[\dOoIl]+[A-Za-z]?", core):
            # a house number with a letter read for a digit ("29O" -> "290"), keeping a unit letter ("12A")
            head, tail = (core[:-1], core[-1]) if core[-1].isalpha() and core[-1] not in "OoIl" else (core, "")
            return head.translate(_LETTER_AS_DIGIT) + tail
        near = [w for w in _REGION_WORDS if len(w) == len(low) >= 5 and w[0] == low[0] and w[-1] == low[-1]
                and sum(a != b for a, b in zip(w, low, strict=True)) == 1]  # fmt: skip
        if len(near) == 1 and core.isalpha():  # a state's name with an inner letter misread ("Jahor", not "Kedai")
            word = near[0]
            return word.upper() if core.isupper() else word.capitalize()
        if (len(core) >= 4 and core[0] in _DIGIT_AS_LETTER and core[1:].isalpha() and core[1:].isupper()
                and core[1:3].upper() not in ("ST", "ND", "RD", "TH")):  # fmt: skip
            return _DIGIT_AS_LETTER[core[0]] + core[1:]
        return tok

    return re.sub(r"[A-Za-z0-9][A-Za-z0-9.]*[A-Za-z0-9]", fix, text)


PHONE_ONLY = re.compile(r"^[\s\d()+\-/.,:]{8,}$")


def _digits(text: str) -> int:
    return sum(map(str.isdigit, text))


# The line predicates below depend on a line's text alone and are asked many times per line (by the rules
# and by the field selector's features) and often across documents (a shop's header repeats): cached by text.


def clear_caches() -> None:
    """Forget the cached line predicates (benchmarks start each pass cold)."""
    for f in (dated, document_word, _registration, _contact, address_parts, fix_ocr_digits):
        f.cache_clear()


@lru_cache(maxsize=16384)
def dated(text: str) -> bool:
    """Whether the text prints a date (OCR's digit look-alikes undone)."""
    return bool(find_dates(fix_ocr_digits(text)))


@lru_cache(maxsize=16384)
def document_word(text: str) -> bool:
    """Whether the text carries a word of the slip itself (invoice, cashier, table no, ...)."""
    return bool(DOCUMENT.search(text))


def is_registration(line: Line) -> bool:
    return _registration(line.text.strip())


@lru_cache(maxsize=16384)
def _registration(t: str) -> bool:
    if REGISTRATION.search(t):
        return True
    rest = REG_NUMBER.sub("", t).strip(" ()[]:.-")
    return bool(REG_NUMBER.search(t)) and sum(map(str.isalpha, rest)) <= 2


def is_contact(line: Line) -> bool:
    return _contact(line.text)


@lru_cache(maxsize=16384)
def _contact(t: str) -> bool:
    return bool(CONTACT.search(t)) or (bool(PHONE_ONLY.match(t)) and _digits(t) >= 8)


def has_money(line: Line) -> bool:
    """Whether the line prints an amount (a segment that is one, or an amount ending a line that is no
    address: "NO.53 55,57 & 59" holds numbers, not prices)."""
    if any(_segment_amount(seg) is not None for seg in line.segs):
        return True
    last = line.text.split()[-1] if line.text.split() else ""
    return bool(re.search(r"\d\.\d{2}$", last)) and address_score(line) < 1.5


@lru_cache(maxsize=16384)
def address_parts(text: str) -> Mapping[str, bool]:
    """Which marks of a postal address a line carries (read-only: cached)."""
    return MappingProxyType(
        {
            "postcode": bool(POSTCODE.search(text)),
            "region": bool(REGION.search(text)),
            "street": bool(STREET.search(text)),
            "house": bool(HOUSE_NUMBER.search(text)),
            "slash": bool(SLASH_NUMBER.search(text)),
            "comma": text.rstrip().endswith(","),
        }
    )


_ADDRESS_WEIGHTS = {"postcode": 2.0, "region": 1.5, "street": 1.0, "house": 0.8, "slash": 0.5, "comma": 0.5}


def address_score(line: Line, parts: Mapping[str, bool] | None = None) -> float:
    """How strongly a line reads as part of a postal address (0 = not at all)."""
    parts = parts if parts is not None else address_parts(line.text)
    return sum(w for k, w in _ADDRESS_WEIGHTS.items() if parts[k])


def _stop_line(line: Line) -> bool:
    """A line that ends the header's name and address block."""
    t = line.text
    return is_contact(line) or is_registration(line) or document_word(t) or dated(t) or has_money(line)


# ---------------------------------------------------------------------------------------------- header


def _header(lines: list[Line]) -> list[Line]:
    """The lines before the items start: the first amount or column heading ends the header."""
    out = []
    for line in lines[:30]:
        if line.page > 0:
            break
        if has_money(line) or re.search(r"\b(?:qty|quantity|price|description|desc|amount|amt)\b", line.text, _I):
            break
        out.append(line)
    return out


def find_address(header: list[Line]) -> tuple[int, int] | None:
    """[start, end) of the address block within the header lines."""
    anchor = None
    for i, line in enumerate(header):
        if is_contact(line) or is_registration(line) or document_word(line.text):
            continue
        s = address_score(line)
        strong = s >= 1.5 or (s >= 1.0 and i + 1 < len(header) and address_score(header[i + 1]) >= 1.0)
        if COMPANY_SUFFIX.search(line.text) and not POSTCODE.search(line.text):
            strong = False  # a registered name may name a place ("... (TAMAN X) SDN BHD"): it is no address
        if not _digits(line.text) and not REGION.search(line.text):
            strong = False  # a street word alone, without a number or a region, is more often a name
        if strong:
            anchor = i
            break
    if anchor is None:  # no postcode or street word: a house number opening the block will do
        anchor = next(
            (i for i, line in enumerate(header) if i > 0 and HOUSE_NUMBER.search(line.text) and not _stop_line(line)),
            None,
        )
        if anchor is None:
            return None
    start = anchor
    while start > 0:
        prev = header[start - 1]
        t = prev.text.strip()
        if _stop_line(prev) or COMPANY_SUFFIX.search(t):
            break
        if HOUSE_NUMBER.search(t) or SLASH_NUMBER.search(t) or (t.endswith(",") and _digits(t)):
            start -= 1
            continue
        break
    end = anchor + 1
    while end < len(header):
        line = header[end]
        t = line.text.strip()
        if _stop_line(line):
            break
        continues = header[end - 1].text.rstrip().endswith((",", "&", "-"))
        if address_score(line) > 0 or continues:
            end += 1
            continue
        break
    return start, end


_NAME_CONTINUES = re.compile(r"(?:&|-|\band|\bof)\s*$", _I)
_SUFFIX_ONLY = re.compile(r"^\s*(?:\(m\)\s*)?(?:sdn\.?\s*bhd\.?|bhd\.?|berhad|s/b|ltd\.?|limited|pte\.?\s*ltd\.?|inc\.?|llc|gmbh|plc)\s*$", _I)  # fmt: skip
_TRAILING_REG = re.compile(
    r"\s*\(?\s*(?:co\.?\s*(?:no|reg)\.?\s*:?\s*)?[A-Z]{0,4}\d{4,}\s*[-‐]\s*[A-Z0-9]\s*\)?\s*$", _I
)


def _name_like(line: Line) -> bool:
    t = line.text.strip()
    return name_shape(line) and not (is_contact(line) or is_registration(line) or document_word(t) or dated(t))


def name_shape(line: Line) -> bool:
    """Whether a line is shaped like a printed name: enough capitalised letters, more letters than digits."""
    t = line.text.strip()
    letters = line.letters
    if letters < 3 or line.conf < 0.6:
        return False
    if t == t.lower() and letters > 0:
        return False  # handwriting and notes: printed shop names are capitalised
    words = t.split()
    if len(words) == 1 and (letters <= 3 or _digits(t) > 0):
        return False  # logos read as a few letters, and codes such as "A02045"
    return _digits(t) <= letters


def _fix_name(text: str) -> str:
    text = _TRAILING_REG.sub("", text).strip(" :;,.-") if _TRAILING_REG.search(text) else text.strip()
    # OCR reads a lower-case l as a capital I inside words ("WorId"); a capital I after a lower-case letter is one
    return re.sub(r"(?<=[a-z])I(?=[a-z]|\b)", "l", text)


def find_name(header: list[Line], address: tuple[int, int] | None) -> tuple[list[Line], float] | None:
    """The supplier-name lines and how sure the layout is of them (0..1).

    Name-like lines above the address are grouped into blocks (registration numbers and dates between
    them are skipped; other lines, such as "formerly known as", split blocks). A registered name (with
    its company suffix) wins, the top-most one when a receipt prints a former name too; otherwise the
    first line of the block nearest the address. A name whose first line starts with its suffix
    ("ENTERPRISE (BRANCH) SDN BHD") began on the line above."""
    limit = address[0] if address else min(len(header), 6)
    blocks: list[list[int]] = [[]]
    for i in range(limit - 1, -1, -1):
        line = header[i]
        if _name_like(line):
            blocks[-1].append(i)
        elif is_registration(line) or dated(line.text):
            continue
        elif blocks[-1]:
            blocks.append([])
    blocks = [sorted(b) for b in blocks if b]
    if not blocks:
        return None
    candidates = sorted(i for b in blocks for i in b)
    with_suffix = [i for i in candidates if COMPANY_SUFFIX.search(header[i].text)]
    if with_suffix:
        first = with_suffix[0]
        m = COMPANY_SUFFIX.search(header[first].text)
        if m is not None and m.start() == 0 and first - 1 in candidates:
            first -= 1
    else:
        first = blocks[0][0]
    lines = [header[first]]
    j = first + 1
    while j < limit and j in candidates:
        prev = " ".join(x.text for x in lines)
        nxt = header[j].text
        if (
            _NAME_CONTINUES.search(prev)
            or prev.count("(") > prev.count(")")
            or _SUFFIX_ONLY.match(nxt)
            or (COMPANY_SUFFIX.match(nxt) and not COMPANY_SUFFIX.search(prev))
        ):
            lines.append(header[j])
            j += 1
            continue
        break
    strength = 0.6
    if address is not None:
        gap = sum(1 for x in header[first + len(lines) : address[0]] if not is_registration(x))
        strength += 0.2 if gap == 0 else 0.05
        if address[1] - address[0] >= 2:
            strength += 0.05
    if with_suffix:
        strength += 0.1
    elif len(candidates) > 1:
        strength -= 0.15  # several name-like lines and nothing to tell which is the name
    strength -= 0.04 * (len(lines) - 1)  # every wrapped line is one more chance of a misread
    if any(ch in "_|~" for x in lines for ch in x.text):
        strength -= 0.1  # printed names have no underscores or bars: OCR read a smudge
    return lines, min(strength, 0.95)


# ---------------------------------------------------------------------------------------------- date


DATE_LABEL = re.compile(r"\b(?:date|dated|tarikh|bizdate|inv\s*date|trans\s*date)\b", _I)


def find_date(lines: list[Line]) -> tuple[Candidate, list[Line]] | None:
    """The labelled date ("Date:"), else the first one printed with a time (the till's timestamp), else
    the first one printed. Other dates on the slip (a stamp, an expiry) make it less sure."""
    found: list[tuple[int, Line, Segment, Any, str]] = []
    for line in lines:
        for k, seg in enumerate(line.segs):
            text = fix_ocr_digits(seg.text) if seg.conf < 1.0 else seg.text
            for d in find_dates(text):
                labelled = bool(DATE_LABEL.search(text[: d.start])) or (
                    k > 0 and bool(DATE_LABEL.search(line.segs[k - 1].text))
                )
                after = text[d.end : d.end + 14] + " " + " ".join(x.text for x in line.segs[k + 1 : k + 2])
                timed = bool(re.match(r"\s*(?:[,-]\s*)?\d{1,2}:\d{2}", after))
                found.append((2 if labelled else 1 if timed else 0, line, seg, d, text[d.start : d.end]))
    if not found:
        return None
    rank = max(f[0] for f in found)
    kind, line, seg, d, mention = next(f for f in found if f[0] == rank)
    distinct = {f[3].value for f in found}
    strength = (0.88, 0.91, 0.93)[kind]
    if len(distinct) > 1:
        strength -= (0.25, 0.12, 0.1)[kind]
    if d.ambiguous:
        strength -= 0.03
    score = strength * _conf_factor(seg.conf)
    return Candidate("receipt_date", mention, date_value(d.value), score, seg, _order(seg)), [line]


# ---------------------------------------------------------------------------------------------- total


_TOTAL_LABELS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, _I), s)
    for p, s in (
        (r"total\s*(?:after\s*)?round|round(?:ed|ing)?\s*(?:d\s*)?total|round\s*d\s*total|nett?\s*total\s*round", 0.97),
        (r"grand\s*total|total\s*(?:amount\s*)?(?:payable|due)|amount\s*(?:payable|due)|balance\s*due", 0.96),
        (r"total\s*(?:sales\s*)?\(?\s*incl|total\s*sales\s*inclusive|total\s*inclusive|incl(?:usive)?\.?\s*(?:of\s*)?gst", 0.95),
        (r"nett?\s*(?:total|amount)|total\s*amount|total\s*amt|total\s*sales|total\s*(?:\(?\s*rm\s*\)?)", 0.93),
        (r"\btotal\b|\bttl\b|\bjumlah\b", 0.9),
    )
)  # fmt: skip
_NOT_TOTAL = re.compile(
    r"total\s*(?:qty|quantity|item|items|unit|units|pcs|disc|discount|saving|savings|gst|tax|vat|sst|excl|exclud"
    r"|before|ex\b|w/o|tip)|sub\s*-?\s*total|exclud|exclusive|\bexcl\b|total\s*number|no\.?\s*of\s*item|\bqty\b",
    _I,
)
_PAID = re.compile(
    r"\b(?:cash|tender(?:ed)?|paid|payment|visa|master\s*card|mastercard|credit\s*card|debit|card|e-?wallet|boost"
    r"|grab\s*pay|touch\s*n\s*go|tng|amex|nets|eftpos)\b",
    _I,
)
_SUMMARY = re.compile(r"\b(?:gst|tax|vat|sst)\s*summary\b|\btax\s*code\b", _I)
_CHANGE = re.compile(r"\b(?:change|baki|kembali|chg)\b", _I)
_ROUNDING = re.compile(r"round(?:ing)?\s*(?:adj|adjustment)?|adj(?:ustment)?", _I)


def _segment_amount(seg: Segment) -> Money | None:
    """The amount a segment prints, alone or after its label ("Total (RM): 9.00")."""
    text = fix_ocr_digits(seg.text) if seg.conf < 1.0 else seg.text
    m = parse_money(text)
    if m is None:
        tail = re.search(r"(?:[$€£¥]|RM|S\$)?\s?-?\d[\d,.]*[.,]\d{2}\s*$", text)
        if tail and (tail.start() == 0 or not text[tail.start() - 1].isdigit()):
            m = parse_money(tail.group(0))
    return m if m is not None and m.has_cents else None


def _amounts(line: Line) -> list[tuple[Money, Segment]]:
    """Amounts printed on a line, left to right (a segment may hold a label and its amount)."""
    return line.amounts


_GLUED_CODE = re.compile(r"(?<=[a-z])(?=(?:USD|EUR|GBP|MYR|SGD|RM)\b)|(?<=[A-Z]{3})(?=(?:USD|EUR|GBP|MYR|SGD)\b)")


def _label_text(line: Line, amounts: list[tuple[Money, Segment]] | None = None) -> str:
    """The words of a line without its amounts (`_amounts(line)`, if already known), with a currency code
    OCR glued on split off ("TotalEUR")."""
    with_amount = {id(seg) for _, seg in (amounts if amounts is not None else _amounts(line))}
    text = " ".join(s.text for s in line.segs if id(s) not in with_amount) or line.text
    return _GLUED_CODE.sub(" ", text)


def _label_strength(text: str) -> float:
    if _NOT_TOTAL.search(text):
        return 0.0
    for rx, s in _TOTAL_LABELS:
        if rx.search(text):
            return s
    return 0.0


def _value_after(lines: list[Line], i: int, predicate: Callable[[str], bool]) -> list[tuple[Money, Segment, Line]]:
    """(amount, segment, line) for labelled lines: the amount on the label's line, else on the next line
    when that line holds only an amount."""
    out = []
    for j, line in enumerate(lines[i:], start=i):
        if not predicate(line.text):
            continue
        got = _amounts(line)
        if got:
            m, seg = got[-1]
            out.append((m, seg, line))
        elif j + 1 < len(lines) and (nxt := _amounts(lines[j + 1])) and lines[j + 1].letters <= 3:
            m, seg = nxt[-1]
            out.append((m, seg, lines[j + 1]))
    return out


def find_total(lines: list[Line]) -> tuple[Candidate, list[Line]] | None:
    """The amount paid: the strongest labelled total, reconciled with what the payment lines say.

    Cash minus change is what was actually paid; when it differs from the labelled total by a rounding
    step and agrees with total plus the printed rounding, the receipt rounded the total to the smallest
    coin and the rounded amount is the total. Agreement between independent lines earns confidence;
    disagreement costs it."""
    start = len(_header(lines))
    labelled: list[tuple[float, Money, Segment, Line]] = []
    for j, line in enumerate(lines[start:], start=start):
        if _SUMMARY.search(line.text):
            break  # a tax summary table follows, with "TOTAL" rows of net and tax amounts
        strength = _label_strength(_label_text(line))
        if strength <= 0:
            continue
        got = _amounts(line)
        if got:
            m, seg = got[-1]
        elif j + 1 < len(lines) and (nxt := _amounts(lines[j + 1])) and lines[j + 1].letters <= 3:
            m, seg = nxt[-1]
        else:
            continue
        if m.amount > 0:
            labelled.append((strength, m, seg, line))

    paid = [
        m.amount for m, _, _ in _value_after(lines, start, lambda t: bool(_PAID.search(t)) and not _CHANGE.search(t))
    ]
    change = [m.amount for m, _, _ in _value_after(lines, start, lambda t: bool(_CHANGE.search(t)))]
    rounding = [
        m.amount
        for m, _, _ in _value_after(lines, start, lambda t: bool(_ROUNDING.search(t)) and _label_strength(t) < 0.97)
    ]
    derived = {p - c for p in paid for c in change if p - c > 0}
    rounded = {m.amount + r for _, m, _, _ in labelled for r in rounding if r != 0 and abs(r) < Decimal("0.10")}

    printed: dict[Decimal, list[tuple[Money, Segment, Line]]] = {}
    for line in lines[start:]:
        for m, seg in _amounts(line):
            printed.setdefault(m.amount, []).append((m, seg, line))

    # per labelled value: its strongest label, how many labels print it, where it last appears
    support: dict[Decimal, tuple[float, int, int]] = {}
    for strength, m, _, line in labelled:
        best_s, n, _ = support.get(m.amount, (0.0, 0, 0))
        support[m.amount] = (max(best_s, strength), n + 1, line.index)

    if support:
        paid_for = [v for v in support if v in derived]
        value = max(paid_for or support, key=lambda v: support[v])
        label = support[value][0]
        if value in derived or (value in rounded and len(support) == 1):
            strength = 0.97
        elif support[value][1] > 1 and not derived:
            strength = min(label + 0.03, 0.96)
        else:
            near = [d for d in derived if abs(d - value) < Decimal("0.10")]
            if near:  # rounded to the coin: the amount paid is the total
                value = near[0]
                strength = 0.95 if value in rounded else 0.72
            else:
                strength = label - 0.05
                if derived:
                    strength -= 0.2  # the payment says otherwise (a tip, or a misread digit)
                if any(v != value and s[0] >= label for v, s in support.items()):
                    strength -= 0.1
    elif derived & set(printed):
        value, strength = max(derived & set(printed)), 0.7
    else:
        return _largest_amount(printed)

    hit = next(((m, seg, line) for s, m, seg, line in sorted(labelled, key=lambda x: -x[0]) if m.amount == value), None)
    if hit is None:
        hit = printed[value][-1] if value in printed else None
    if hit is None:  # derived from payment lines only: anchor it on the labelled total it corrects
        _, m0, seg, line = max(labelled, key=lambda x: x[0])
        m = Money(value, m0.currency, f"{value:.2f}", True)
    else:
        m, seg, line = hit
    score = strength * _conf_factor(seg.conf)
    extra = {"label_seg": line.segs[0], "label": _label_text(line)}
    return Candidate("total_amount", m.text, {"money": m}, score, seg, _order(seg), extra), [line]


def _largest_amount(printed: dict[Decimal, list[tuple[Money, Segment, Line]]]) -> tuple[Candidate, list[Line]] | None:
    if not printed:
        return None
    best = max(printed)
    m, seg, line = printed[best][-1]
    return Candidate("total_amount", m.text, {"money": m}, 0.35 * _conf_factor(seg.conf), seg, _order(seg)), [line]


# ---------------------------------------------------------------------------------------------- entry point


def lines_of(layout: Layout) -> list[Line]:
    """The layout's printed lines (made once per layout: the rules and the field selector share them)."""
    if "receipt_lines" in layout.cache:
        return layout.cache["receipt_lines"]  # type: ignore[no-any-return]
    out: list[Line] = []
    for page in layout.pages:
        for row in page.rows:
            if row:
                out.append(Line(list(row), len(out)))
    layout.cache["receipt_lines"] = out
    return out


def _mention(lines: list[Line], sep: str, strip: str) -> tuple[str, list[tuple[int, int]]]:
    """The lines' text joined by `sep` (each line without trailing `strip` characters), and its spans in
    the document text (a row's segments are joined there by single spaces)."""
    parts, spans = [], []
    for line in lines:
        t = line.text.rstrip(strip) if strip else line.text
        start = line.segs[0].start
        parts.append(t)
        spans.append((start, start + len(t)))
    return sep.join(parts), spans


def _merged(lines: list[Line], text: str) -> Segment:
    segs = [s for line in lines for s in line.segs]
    first = segs[0]
    return Segment(text, first.page, min(s.x0 for s in segs), min(s.y0 for s in segs), max(s.x1 for s in segs),
                   max(s.y1 for s in segs), min(s.conf for s in segs), first.size, first.start, segs[-1].end)  # fmt: skip


def receipt_fields(layout: Layout) -> dict[str, Candidate]:
    """supplier_name, supplier_address, receipt_date and total_amount, where the receipt shows them."""
    lines = lines_of(layout)
    header = _header(lines)
    chosen: dict[str, Candidate] = {}
    address = find_address(header)
    name = find_name(header, address)
    if name is not None:
        name_lines, strength = name
        mention, spans = _mention(name_lines, " ", "")
        text = _fix_name(mention)
        seg = _merged(name_lines, mention)
        chosen["supplier_name"] = Candidate("supplier_name", mention, {"text": text},
                                            strength * _conf_factor(seg.conf), seg, _order(seg), {"spans": spans})  # fmt: skip
    if address is not None:
        a_lines = header[address[0] : address[1]]
        text, spans = _mention(a_lines, ", ", " ,")
        seg = _merged(a_lines, text)
        clean_end = address[1] >= len(header) or _stop_line(header[address[1]])
        strength = 0.7 + (0.1 if clean_end else 0.0) + (0.08 if any(POSTCODE.search(x.text) for x in a_lines) else 0.0)
        strength += 0.05 if len(a_lines) >= 2 else 0.0
        if not (HOUSE_NUMBER.search(a_lines[0].text) or re.search(r"\d", a_lines[0].text)):
            strength -= 0.1  # addresses open with a number: the first line may be missing
        if seg.conf < 1.0:
            # OCR misreads about one scanned address in four by a character or two (a 5 read as 6), and its
            # own scores do not tell which: a scanned address never claims the certainty a text layer has
            strength = min(strength, 0.78)
        chosen["supplier_address"] = Candidate("supplier_address", text, {"text": fix_address_words(text)},
                                               strength * _conf_factor(seg.conf), seg, _order(seg),
                                               {"spans": spans})  # fmt: skip
    if (got := find_date(lines)) is not None:
        chosen["receipt_date"] = got[0]
    if (tot := find_total(lines)) is not None:
        chosen["total_amount"] = tot[0]
    return chosen
