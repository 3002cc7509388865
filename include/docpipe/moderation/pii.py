"""PII detection: positions only.

`find_pii(text)` returns `PiiFinding(pii_type, start, end)` for e-mail addresses, phone numbers,
payment card numbers (Luhn-valid, known card prefix), IBANs (checksum-valid) and national
identifiers (US SSN, UK National Insurance number, Malaysian NRIC). ``text[start:end]`` is the
item; the value itself is never stored, logged or put in a repr by this module.

False positives on business documents are avoided by construction:

* the text is scanned once for runs of digits and separators; only runs that survive cheap
  filters reach ``phonenumbers.PhoneNumberMatcher`` (running the matcher over a whole document
  costs ~10 ms per 2 KB; its answers are cached per candidate string). Amounts (``1,234.56``,
  currency marks), dates, and numbers labelled as an invoice / order / account / reference number
  or as a total are skipped, and bare digit runs (no ``+``, brackets or separators) are only
  accepted next to a phone word ("tel", "call me", ...);
* card numbers must pass Luhn *and* start with an issuer prefix of a matching length, and are
  skipped when labelled as an invoice / order / tracking number;
* IBANs must pass the ISO 7064 checksum and country format (``stdnum.iban``);
* SSNs must be written ``AAA-GG-SSSS`` (or with spaces / as 9 bare digits next to "SSN" /
  "social security") and exclude the never-issued ranges (``stdnum.us.ssn``: area 000, 666,
  900-999, group 00, serial 0000, and the advertising number 078-05-1120);
* UK NINOs use the allocated prefix letters only; Malaysian NRICs (``YYMMDD-PB-###G``) need a valid
  date and place of birth (``stdnum.my.nric``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn as _luhn
from stdnum.my import nric as _nric
from stdnum.us import ssn as _ssn

from docpipe.models import PiiFinding

_DIGIT = re.compile(r"\d")
PII_TYPES = ("email", "phone", "payment_card", "iban", "national_id")
DEFAULT_REGION_ENV = "DOCPIPE_PII_REGION"

# ---------------------------------------------------------------------------------------------
# e-mail

# Regexes here put their look-behind *after* the first character class: a pattern that starts
# with a plain class lets CPython's re skip ahead to candidate characters, one that starts with a
# look-behind is tried at every position (3-5x slower on a 2 KB page).
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?$")
_EMAIL_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")
_EMAIL_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")


def _find_emails(text: str) -> list[tuple[int, int]]:
    out = []
    at = text.find("@")
    while at != -1:
        dom = _EMAIL_DOMAIN.match(text, at + 1)
        if dom:
            head = text[max(0, at - 64) : at]
            loc = _EMAIL_LOCAL.search(head)
            if loc:
                start = at - len(head) + loc.start()
                # the local part must not be glued to more address characters on its left
                if start == 0 or text[start - 1] not in _EMAIL_LOCAL_CHARS:
                    out.append((start, dom.end()))
        at = text.find("@", at + 1)
    return out


# ---------------------------------------------------------------------------------------------
# numbers: labels seen just before a number tell what it is

_LOOKBEHIND = 32
_ID_LABEL = re.compile(
    r"(?:#|\b(?:invoice|inv|order|po|p\.o|ref|reference|account|acct|a/c|customer|client|member|policy|claim|"
    r"ticket|case|tracking|shipment|consignment|serial|s/n|sku|item|part|product|batch|lot|receipt|"
    r"transaction|txn|document|doc|contract|vat|tax|ein|tin|utr|reg|registration|id|no|nr|number))"
    r"\.?\s*(?:no\.?|nr\.?|number|num\.?|id|#|code)?\s*[:#.]?\s*$",
    re.IGNORECASE,
)
_MONEY_LABEL = re.compile(
    r"(?:[$£€¥]|\b(?:total|subtotal|sub-total|amount|amt|balance|due|price|sum|cost|fee|paid|payment|charge|"
    r"usd|eur|gbp|myr|rm|sgd|aud|cad|inr|jpy))\s*[:=]?\s*$",
    re.IGNORECASE,
)
_PHONE_LABEL = re.compile(
    r"\b(?:(?:call|text|sms|ring|phone|reach|contact|whatsapp|dial|fax)(?: me| us| them)?(?: at| on)?|tel|"
    r"telephone|ph|mobile|mob|cell|hotline|helpline|number is|m|t|p|f)\s*(?:no\.?|number|#)?\s*"
    r"(?:\([^)]{0,12}\))?\s*[:.\-]?\s*$",
    re.IGNORECASE,
)
_CARD_LABEL = re.compile(
    r"(?:card|visa|mastercard|amex|american express|discover|cc|credit|debit|pan)\b", re.IGNORECASE
)


def _before(text: str, start: int, n: int = _LOOKBEHIND) -> str:
    return text[max(0, start - n) : start]


def _line_before(text: str, start: int, n: int = _LOOKBEHIND) -> str:
    """The text before `start` on its own line: what says a number is an amount or an id (a label
    on the line above belongs to the column above, as in "Amount Due: 2,168.36 EUR\n+31 ...")."""
    head = _before(text, start, n)
    return head[head.rfind("\n") + 1 :]


# the head of an IBAN written in groups ("NL94 NKZC "): the digits after it are the account, not a phone
_IBAN_HEAD = re.compile(r"\b[A-Z]{2}\d{2}(?: [A-Z0-9]{4})* ?$")

# ---------------------------------------------------------------------------------------------
# phone numbers

# Runs of digits with the separators numbers are written with (no line breaks), at least 7
# characters long. Every numeric identifier (phone, card, SSN, NRIC) lies inside one, so the text
# is scanned once and the specific patterns only look inside runs.
_NUM_RUN = re.compile(r"[+(\d](?<![\w.,/+(-][+(\d])[\d \t().\-/]{5,}\d")
_RUN_SPLIT = re.compile(r"[ \t]{2,}|\t|\s/\s")  # table columns, "020 7946 0958 / 020 7946 0959"
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$|^\d{1,2}[./-]\d{1,2}$")
_AMOUNT_LIKE = re.compile(r"^\d{1,3}(?:[,. ]\d{3})+(?:[.,]\d{1,2})?$|^\d+[.,]\d{2}$")
# one token of a run: an amount with decimals ("470.40", "3,265.20") or a date ("2026-05-15", "17/01/2025")
_AMOUNT_TOKEN = re.compile(r"^\d{1,3}(?:,\d{3})*\.\d{2}$|^\d+,\d{2}$")
_DATE_TOKEN = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
# how a phone number is written when nothing else says it is one: "+44 ...", "(415) 555-0132"
# or a national number with its trunk 0 in groups ("020 7946 0958", "0161-496-0000")
_PHONE_SHAPED = re.compile(r"^\+\d|^\(\d{2,5}\)\s?\d|^\d{3}[-.]\d{3}[-.]\d{4}$|^0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}$")


def _numeric_runs(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _NUM_RUN.finditer(text)]


def _glued(text: str, end: int) -> bool:
    """Is the number ending at `end` glued to a letter or continued as a decimal ("...99,5")?"""
    if end >= len(text):
        return False
    nxt = text[end]
    return nxt.isalnum() or nxt == "_" or (nxt in ".," and end + 1 < len(text) and text[end + 1].isdigit())


def _phone_candidates(text: str, runs: list[tuple[int, int]]) -> Iterable[tuple[int, int]]:
    for rs, re_ in runs:
        if _glued(text, re_):
            continue
        pieces = [(rs, re_)]
        if re_ - rs > 20:
            pieces, last = [], rs
            for m in _RUN_SPLIT.finditer(text, rs, re_):
                pieces.append((last, m.start()))
                last = m.end()
            pieces.append((last, re_))
        for s, e in pieces:
            raw = text[s:e]
            # trim separators at the ends (a closing bracket after the number, a dangling dash)
            while raw and raw[-1] in " .-/(":
                raw, e = raw[:-1], e - 1
            while raw and raw[0] in " .-/)":
                raw, s = raw[1:], s + 1
            digits = sum(map(str.isdigit, raw))
            if digits < 7 or digits > 15:
                continue
            if _DATE_LIKE.match(raw) or _AMOUNT_LIKE.match(raw):
                continue
            # a row of a table read as one run ("1 470.40 470.40", "2026-05-15 13"): amounts and
            # dates are never part of a phone number
            toks = raw.split()
            if len(toks) > 1 and any(_AMOUNT_TOKEN.match(t) or _DATE_TOKEN.match(t) for t in toks):
                continue
            yield s, e


@functools.lru_cache(maxsize=4096)
def _match_phone(candidate: str, region: str, possible: bool = False) -> tuple[tuple[int, int], ...]:
    """Spans of phone numbers inside one candidate string (cached: the same numbers recur across
    documents - letterheads, footers - and the matcher costs ~0.5 ms a call). Valid numbers (an
    allocated range) by default; `possible` accepts any number of a plausible length, for numbers
    that are labelled or written as phone numbers (a made-up or newly allocated range is still a
    phone number to protect)."""
    leniency = phonenumbers.Leniency.POSSIBLE if possible else phonenumbers.Leniency.VALID
    return tuple((m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=leniency))


def _find_phones(text: str, region: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in _phone_candidates(text, runs):
        raw = text[s:e]
        head = _before(text, s)
        labelled_phone = bool(_PHONE_LABEL.search(head))
        line = _line_before(text, s)
        if not labelled_phone:
            if _ID_LABEL.search(line) or _MONEY_LABEL.search(line) or _IBAN_HEAD.search(line):
                continue  # "Invoice no. 2025550143", "Total: 1 800 555 0199"
            if not (raw[0] in "+(" or any(ch in raw for ch in " -.")):
                continue  # bare digit run with no phone word nearby: more likely an id
        possible = labelled_phone or bool(_PHONE_SHAPED.match(raw))
        for ms, me in _match_phone(raw, region, possible):
            out.append((s + ms, s + me))
    return out


# ---------------------------------------------------------------------------------------------
# payment cards

# (not after "+": "+4915123573664" is a phone number in E.164 even when it passes Luhn)
_CARD_CAND = re.compile(r"\d(?<![\w.,/+-]\d)(?:[ -]?\d){12,18}(?![\w]|[.,/-]\d)")
# (prefixes, allowed lengths) per scheme
_CARD_SCHEMES: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    (("4",), (13, 16, 19)),  # Visa
    (tuple(str(p) for p in range(51, 56)) + tuple(str(p) for p in range(2221, 2721)), (16,)),  # Mastercard
    (("34", "37"), (15,)),  # Amex
    (("6011", "65") + tuple(str(p) for p in range(644, 650)), (16, 19)),  # Discover
    (("36", "38", "39") + tuple(str(p) for p in range(300, 306)), (14, 16, 19)),  # Diners
    (tuple(str(p) for p in range(3528, 3590)), (16, 19)),  # JCB
    (("62",), (16, 17, 18, 19)),  # UnionPay
    (("50", "56", "57", "58", "6304", "6759", "676770", "676774", "67"), (13, 14, 15, 16, 17, 18, 19)),  # Maestro
)


def _card_scheme_ok(digits: str) -> bool:
    return any(digits.startswith(p) and len(digits) in lengths for prefixes, lengths in _CARD_SCHEMES for p in prefixes)


def _find_cards(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for m in (m for rs, re_ in runs if re_ - rs >= 13 for m in _CARD_CAND.finditer(text, rs, re_ + 2)):
        raw = m.group()
        seps = {ch for ch in raw if not ch.isdigit()}
        if len(seps) > 1:
            continue  # mixed separators: not how card numbers are written
        digits = re.sub(r"\D", "", raw)
        if not (13 <= len(digits) <= 19) or not _card_scheme_ok(digits) or not _luhn.is_valid(digits):
            continue
        if seps and any(len(g) < 4 for g in re.split(r"[ -]", raw)[:-1]):
            continue  # written cards group digits in fours (Amex / Diners: 4-6-5, 4-6-4)
        head = _before(text, m.start(), 40)
        if _ID_LABEL.search(head) and not _CARD_LABEL.search(head):
            continue
        out.append(m.span())
    return out


# ---------------------------------------------------------------------------------------------
# IBAN

_IBAN_CAND = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]){10,32}", re.ASCII)


def _find_ibans(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _IBAN_CAND.finditer(text):
        s, raw = m.start(), m.group()
        # the candidate may run into the next word ("... 7654 32 THANKS"): try the longest prefix
        # that ends at a group boundary and validates
        for end in range(len(raw), 14, -1):
            if end < len(raw) and raw[end] != " ":
                continue
            if end < len(raw) and raw[end - 1] == " ":
                continue
            cand = raw[:end]
            if _iban.is_valid(cand):
                nxt = text[s + end : s + end + 1]
                if not nxt or not nxt.isalnum():
                    out.append((s, s + end))
                break
    return out


# ---------------------------------------------------------------------------------------------
# national identifiers

# SSN "AAA-GG-SSSS" and Malaysian NRIC (MyKad) "YYMMDD-PB-###G" in one pass
_SSN_NRIC = re.compile(r"\d(?<![\w-]\d)(?:\d\d(?P<sep>[- ])\d\d(?P=sep)\d{4}|(?P<nric>\d{5}-\d\d-\d{4}))(?![\w]|-\d)")
_SSN_BARE = re.compile(r"\d(?<![\w-]\d)\d{8}(?![\w-])")
_SSN_LABEL = re.compile(
    r"(?:ssn|ss#|ss no|social security(?: number| no\.?| #)?|taxpayer id)\s*[:#.]?\s*$", re.IGNORECASE
)
# UK National Insurance number: two prefix letters (D, F, I, Q, U, V never used; O never second;
# BG, GB, KN, NK, NT, TN, ZZ not allocated), six digits, suffix A-D.
_NINO = re.compile(
    r"([A-CEGHJ-PR-TW-Z](?<![A-Za-z0-9][A-Z])[A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])"
    r"(?![A-Za-z0-9])",
    re.ASCII,
)
_NINO_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _find_national_ids(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for m in (m for rs, re_ in runs if re_ - rs >= 9 for m in _SSN_NRIC.finditer(text, rs, re_ + 2)):
        if m.group("nric") is not None:
            ok = _nric.is_valid(m.group())
        else:  # SSN; with spaces only when labelled ("123 45 6789" is also a row of quantities)
            labelled = m.group("sep") == "-" or bool(_SSN_LABEL.search(_before(text, m.start())))
            ok = labelled and _ssn.is_valid(m.group().replace(" ", "-"))
        if ok:
            out.append(m.span())
    lowered = text.lower()
    if "ssn" in lowered or "ss#" in lowered or "social security" in lowered or "taxpayer" in lowered:
        for m in (m for rs, re_ in runs for m in _SSN_BARE.finditer(text, rs, re_ + 2)):
            if _SSN_LABEL.search(_before(text, m.start())) and _ssn.is_valid(m.group()):
                out.append(m.span())
    for m in _NINO.finditer(text):
        if m.group(1) not in _NINO_BAD_PREFIX:
            out.append(m.span())
    return out


# ---------------------------------------------------------------------------------------------


def default_region() -> str:
    return os.environ.get(DEFAULT_REGION_ENV, "US").upper()


def validate_region(region: str) -> str:
    region = region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}: expected an ISO 3166 alpha-2 code such as US, GB, MY")
    return region


def find_pii(text: str, region: str | None = None) -> list[PiiFinding]:
    """All PII in `text`, sorted by position, without overlaps (the more specific type wins:
    card / IBAN / national id over phone)."""
    region = validate_region(region or default_region())
    found: list[PiiFinding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, spans: Iterable[tuple[int, int]]) -> None:
        for s, e in spans:
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            found.append(PiiFinding(kind, s, e))

    if "@" in text:
        add("email", _find_emails(text))
    if _DIGIT.search(text):
        add("iban", _find_ibans(text))
        runs = _numeric_runs(text)
        if runs:
            add("payment_card", _find_cards(text, runs))
            add("national_id", _find_national_ids(text, runs))
            add("phone", _find_phones(text, region, runs))
    found.sort(key=lambda f: (f.start, f.end))
    return found


def summarize(findings: list[PiiFinding]) -> dict[str, int]:
    """Counts per type - what is safe to log."""
    out: dict[str, int] = {}
    for f in findings:
        out[f.pii_type] = out.get(f.pii_type, 0) + 1
    return out
