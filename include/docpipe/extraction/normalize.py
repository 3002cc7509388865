"""Read printed dates and amounts the way Document AI normalises them (dateValue, moneyValue)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MON = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"

# A four-digit year ends at a non-digit, or where OCR glued the time on without its space ("201823:03").
_Y4_END = r"(?:(?!\d)|(?=\d{1,2}:\d\d))"
_DATE_RES: tuple[tuple[re.Pattern[str], str], ...] = (
    # the day ends at a non-digit, or where OCR glued the time on ("2021-07-0309:41:17")
    (re.compile(r"(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:(?!\d)|(?=\d{1,2}:\d\d))"), "ymd"),
    (re.compile(r"(?<![\d.])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}" + _Y4_END + r"|\d{2}(?!\d))"), "num"),
    (
        re.compile(
            # a two-digit year too ("15 JUN 18", "15-Jun-18"): day-month-year with the month in words is unambiguous
            r"(?<![\w])(\d{1,2})(?:st|nd|rd|th)?[\s\-./]*(?:of\s+)?"
            + _MON
            + r"\.?[\s\-./,:']*(\d{4}"
            + _Y4_END
            + r"|\d{2}(?!\d))",
            re.I,
        ),
        "dmy",
    ),
    (re.compile(r"(?<![\w])" + _MON + r"\.?[\s\-]*(\d{1,2})(?:st|nd|rd|th)?[,.:]?\s*(\d{4})" + _Y4_END, re.I), "mdy"),
    # a till's compact timestamp: YYYYMMDD or DDMMYYYY right before a time ("03072021 09:41:17"); alone,
    # eight digits are more often a number than a date
    (re.compile(r"(?<![\d.])(\d{8})(?=\s*\d{1,2}:\d\d)"), "compact"),
)


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    value: date
    ambiguous: bool  # numeric day/month that could be read either way (day-first was assumed)


def _year(s: str) -> int:
    y = int(s)
    if len(s) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _compact(digits: str) -> tuple[int, int, int]:
    """(year, month, day) of eight digits: YYYYMMDD when that is a date, else DDMMYYYY."""
    y, mo, d = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if 1900 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
        return y, mo, d
    return int(digits[4:]), int(digits[2:4]), int(digits[:2])


def find_dates(text: str) -> list[FoundDate]:
    """Every date printed in `text`, in order. Numeric dates are day-first unless only month-first is valid."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for rx, kind in _DATE_RES:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            g = m.groups()
            ambiguous = False
            try:
                if kind == "ymd":
                    y, mo, d = int(g[0]), int(g[1]), int(g[2])
                elif kind == "num":
                    a, b, y = int(g[0]), int(g[1]), _year(g[2])
                    if a > 12 >= b or (a <= 12 and b <= 12):
                        d, mo = a, b
                        ambiguous = a <= 12 and b <= 12 and a != b
                    else:
                        mo, d = a, b  # 12/25/2018: only month-first is a date
                elif kind == "dmy":
                    d, mo, y = int(g[0]), MONTHS[g[1].lower().rstrip(".")], _year(g[2])
                elif kind == "compact":
                    y, mo, d = _compact(g[0])
                else:
                    mo, d, y = MONTHS[g[0].lower().rstrip(".")], int(g[1]), int(g[2])
                if not 1900 <= y <= 2100:
                    continue
                value = date(y, mo, d)
            except (ValueError, KeyError):
                continue
            found.append(FoundDate(m.start(), m.end(), value, ambiguous))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def date_value(d: date) -> dict[str, Any]:
    return {"text": d.isoformat(), "dateValue": {"year": d.year, "month": d.month, "day": d.day}}


# ---------------------------------------------------------------------------------------------- money

CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "RM": "MYR", "S$": "SGD"}
CURRENCY_CODES = frozenset(
    ["USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK", "INR", "CNY", "MYR",
     "SGD", "HKD", "IDR", "THB", "PHP"]
)  # fmt: skip
# "RM" (ringgit) is written against the amount ("RM33.90"), so it needs no word boundary after it
_CUR = r"(?:S\$|[$€£¥]|\bRM(?![A-Za-z])|\b(?:" + "|".join(sorted(CURRENCY_CODES)) + r")\b)"
# thousands grouped by , . ' or (only with decimals, as in "1 234,50") a space
_NUM = r"-?(?:\d{1,3}(?:[,.']\d{3})+(?:[.,]\d{1,2})?|\d{1,3}(?: \d{3})+[.,]\d{2}|\d+(?:[.,]\d{1,2})?)"
MONEY_RE = re.compile(rf"(?P<pre>{_CUR})?\s?(?P<num>{_NUM})(?!\d)(?:\s?(?P<post>{_CUR}))?")
_MONEY_FULL = re.compile(rf"\s*(?P<pre>{_CUR})?\s?(?P<num>{_NUM})\s?(?P<post>{_CUR})?\s*")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None
    text: str  # as printed
    has_cents: bool

    def normalized(self, currency: str | None = None) -> dict[str, Any]:
        code = currency or self.currency
        units = int(self.amount)
        nanos = int((self.amount - units) * 1_000_000_000)
        mv: dict[str, Any] = {"units": str(units), "nanos": nanos}
        if code:
            mv["currencyCode"] = code
        return {"text": f"{self.amount:.2f}", "moneyValue": mv}


def parse_number(s: str) -> Decimal | None:
    """'1,234.50', '1.234,50', '1 234,50', "1'234.50", '1234' -> Decimal; None when it is no amount."""
    s = s.strip().replace("'", "").replace(" ", "")
    if not s:
        return None
    last_dot, last_comma = s.rfind("."), s.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        dec = "." if last_dot > last_comma else ","
        s = s.replace("," if dec == "." else ".", "").replace(dec, ".")
    elif last_comma >= 0:
        s = s.replace(",", ".") if re.fullmatch(r"-?\d+,\d{1,2}", s) else s.replace(",", "")
    elif last_dot >= 0 and not re.fullmatch(r"-?\d+\.\d{1,2}", s):
        s = s.replace(".", "")  # 1.234 or 1.234.567: thousands
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    return CURRENCY_SYMBOLS.get(token, token.upper() if token.upper() in CURRENCY_CODES else None)


def parse_money(text: str) -> Money | None:
    """The amount when `text` is an amount and nothing else (a currency sign or code may surround it)."""
    m = _MONEY_FULL.fullmatch(text)
    if not m:
        return None
    amount = parse_number(m["num"])
    if amount is None:
        return None
    has_cents = bool(re.search(r"[.,]\d{2}$", m["num"]))
    cur = _currency(m["pre"]) or _currency(m["post"])
    if not has_cents and not cur:
        return None  # a bare integer is a quantity or a reference, not an amount
    return Money(amount, cur, text.strip(), has_cents)


def currency_tokens(text: str) -> list[tuple[str, str]]:
    """(as printed, ISO code) for every currency symbol or ISO code in `text`."""
    out = []
    for m in re.finditer(_CUR, text):
        if c := _currency(m.group(0)):
            out.append((m.group(0), c))
    return out


def find_currencies(text: str) -> list[str]:
    """Currency codes implied by every symbol or ISO code printed in `text`."""
    return [code for _, code in currency_tokens(text)]


_OCR_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8", "Z": "2"})


_OCR_TOKEN = re.compile(r"[0-9OoDlIS|BZ][0-9OoDlIS|BZ.,]*[0-9OoDlIS|BZ]")


def _fix_token(m: re.Match[str]) -> str:
    tok = m.group(0)
    digits = sum(map(str.isdigit, tok))
    return tok.translate(_OCR_DIGIT) if digits >= 2 and digits >= 0.5 * sum(map(str.isalnum, tok)) else tok


@lru_cache(maxsize=16384)  # asked of the same line and segment texts by the rules and the field selector
def fix_ocr_digits(text: str) -> str:
    """Undo OCR's letter-for-digit confusions inside tokens that are mostly digits (1,2O4.5O -> 1,204.50)."""
    return _OCR_TOKEN.sub(_fix_token, text)
