"""A labelled PII set built from the sample-document generator, and precision / recall per PII type.

    docpipe eval pii [--docs 300] [--seed 11] [--json]

Each item is the text layer of a generated invoice, receipt or form (rendered to PDF and read back
with pypdfium2, as the pipeline reads it), with:

* the generator's own contact details labelled (its phone numbers and e-mail addresses, recorded
  while the document is drawn, then located in the text);
* injected PII at known positions: e-mail addresses, phone numbers in national and international
  formats of several regions, Luhn-valid card numbers of several schemes and groupings, IBANs of
  several countries, US SSNs, UK National Insurance numbers and Malaysian NRICs;
* injected hard negatives that are not PII: Luhn-invalid card-like numbers, IBANs with a wrong
  checksum, never-issued SSNs, invoice / order / tracking numbers, dates, times, amounts.

A document's phone region is its tenant's (GB for the generator's sterling documents, else US), as
`DOCPIPE_PII_REGION` would be set per deployment. A finding is correct when its type matches and it
overlaps a labelled item one to one.
"""

from __future__ import annotations

import contextlib
import random
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .pii import PII_TYPES, find_pii


@dataclass
class Item:
    text: str
    region: str
    spans: list[tuple[str, int, int]]  # (pii_type, start, end)
    negatives: int = 0


@dataclass
class TypeScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class PiiEvaluation:
    documents: int
    negatives: int
    per_type: dict[str, TypeScore]
    seconds: float
    characters: int
    misses: list[tuple[str, str]] = field(default_factory=list)  # (type, context) - for --show-errors only
    false_alarms: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "hard_negatives": self.negatives,
            "types": {
                t: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "support": s.support,
                    "tp": s.tp,
                    "fp": s.fp,
                    "fn": s.fn,
                }
                for t, s in self.per_type.items()
            },
            "documents_per_second": round(self.documents / self.seconds, 1) if self.seconds else None,
        }


# ---------------------------------------------------------------------------------------------
# values


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    from stdnum import luhn

    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def _group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(digits[i : i + n])
        i += n
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(out)


def card_number(rng: random.Random, valid: bool = True) -> str:
    scheme = rng.choice(("visa", "visa", "mastercard", "mastercard2", "amex", "discover"))
    prefix, length, sizes = {
        "visa": ("4", 16, (4, 4, 4, 4)),
        "mastercard": (str(rng.randint(51, 55)), 16, (4, 4, 4, 4)),
        "mastercard2": (str(rng.randint(2221, 2720)), 16, (4, 4, 4, 4)),
        "amex": (rng.choice(("34", "37")), 15, (4, 6, 5)),
        "discover": ("6011", 16, (4, 4, 4, 4)),
    }[scheme]
    digits = _luhn_complete(prefix, length, rng)
    if not valid:  # change the check digit: still card-shaped, fails Luhn
        digits = digits[:-1] + str((int(digits[-1]) + rng.randint(1, 9)) % 10)
    sep = rng.choice((" ", "-", ""))
    return _group(digits, sizes, sep) if sep else digits


_IBAN_SPECS = {  # country: (bban length, digits only?)
    "DE": (18, True),
    "FR": (23, False),
    "GB": (18, False),
    "NL": (14, False),
    "ES": (20, True),
    "IT": (23, False),
    "BE": (12, True),
    "IE": (18, False),
}


def _bban(country: str, rng: random.Random) -> str:
    n, digits_only = _IBAN_SPECS[country]
    if country == "GB":  # 4 letters bank code + 14 digits
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            rng.choice(string.digits) for _ in range(14)
        )
    if country == "NL":
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            rng.choice(string.digits) for _ in range(10)
        )
    if country == "IE":
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            rng.choice(string.digits) for _ in range(14)
        )
    if country == "IT":
        return rng.choice(string.ascii_uppercase) + "".join(rng.choice(string.digits) for _ in range(22))
    if country == "FR":
        body = "".join(rng.choice(string.digits) for _ in range(21))
        return body + f"{rng.randint(0, 99):02d}"
    return "".join(rng.choice(string.digits) for _ in range(n))


def iban(rng: random.Random, valid: bool = True) -> str:
    from stdnum import iban as stdiban

    for _ in range(200):
        country = rng.choice(list(_IBAN_SPECS))
        bban = _bban(country, rng)
        check = stdiban.calc_check_digits(country + "00" + bban)
        value = country + check + bban
        if not stdiban.is_valid(value):
            continue  # national checksums (FR, ES, IT, BE) - try another
        if not valid:
            wrong = f"{(int(check) + rng.randint(1, 90)) % 97 + 2:02d}"
            if wrong == check:
                continue
            value = country + wrong + bban
        if rng.random() < 0.6:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value
    raise RuntimeError("could not make an IBAN")  # pragma: no cover


def ssn(rng: random.Random, valid: bool = True) -> str:
    if valid:
        area = rng.choice([a for a in range(1, 900) if a != 666])
        return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    bad = rng.choice(("000", "666", f"{rng.randint(900, 999)}"))
    return f"{bad}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    while first + second in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
        second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    d = f"{rng.randint(0, 999999):06d}"
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second} {d[:2]} {d[2:4]} {d[4:]} {suffix}"
    return f"{first}{second}{d}{suffix}"


def nric(rng: random.Random) -> str:
    from stdnum.my import nric as stdnric

    for _ in range(100):
        value = (
            f"{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-"
            f"{rng.choice(('01', '07', '10', '14', '08', '12')):s}-{rng.randint(0, 9999):04d}"
        )
        if stdnric.is_valid(value):
            return value
    raise RuntimeError("could not make an NRIC")  # pragma: no cover


def phone_number(rng: random.Random, region: str) -> str:
    """A valid number (per libphonenumber's metadata) in one of the ways people write them."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat as F

    target = rng.choice((region, region, "US", "GB", "DE", "FR", "MY", "IN", "AU", "NL"))
    for _ in range(200):
        kind = rng.choice(("fixed", "mobile"))
        example = (
            phonenumbers.example_number_for_type(target, phonenumbers.PhoneNumberType.MOBILE)
            if kind == "mobile"
            else phonenumbers.example_number(target)
        )
        if example is None:
            continue
        national = str(example.national_number)
        # keep the leading digits that carry the number's type and area, randomise the rest
        keep = max(3, len(national) - 6)
        candidate = national[:keep] + "".join(rng.choice(string.digits) for _ in range(len(national) - keep))
        num = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if not phonenumbers.is_valid_number(num):
            continue
        if target == region:
            fmt = rng.choice((F.NATIONAL, F.INTERNATIONAL, F.E164, "dots"))
        else:
            fmt = rng.choice((F.INTERNATIONAL, F.E164))
        if fmt == "dots":
            text = phonenumbers.format_number(num, F.NATIONAL)
            return text.replace("(", "").replace(") ", ".").replace(" ", ".").replace("-", ".")
        return phonenumbers.format_number(num, int(fmt))
    raise RuntimeError(f"could not make a phone number for {target}")  # pragma: no cover


def email(rng: random.Random) -> str:
    from docpipe.samples import wordlists as W

    first = rng.choice(W.FIRST_NAMES).lower().replace("'", "")
    last = rng.choice(W.LAST_NAMES).lower().replace("'", "")
    local = rng.choice(
        (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randint(1, 99)}", f"{first}+invoices")
    )
    domain = rng.choice(("example.com", "mail.example.org", "example.co.uk", "corp.example.de", "example.com.my"))
    return f"{local}@{domain}"


# lines around an injected item: (template, type) - "{}" is the value
_POSITIVE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "email": ("Contact: {}", "Questions? Write to {} anytime.", "Remittance advice to {}", "E-mail: {}"),
    "phone": ("Tel: {}", "Call us on {} (Mon-Fri)", "Mobile {}", "For deliveries ring {}", "Phone: {}", "{}"),
    "payment_card": ("Card number: {}", "Paid by card {}", "Visa {}", "Charged to card {} on file"),
    "iban": ("IBAN: {}", "Please transfer to {} quoting the invoice number", "Bank account (IBAN) {}"),
    "national_id": ("SSN: {}", "Social security number {}", "National Insurance number: {}", "NRIC: {}"),
}


def _negative_line(rng: random.Random) -> str:
    y, m, d = rng.randint(2020, 2027), rng.randint(1, 12), rng.randint(1, 28)
    choices: list[Callable[[], str]] = [
        lambda: f"Card number: {card_number(rng, valid=False)}",  # fails Luhn
        lambda: f"IBAN: {iban(rng, valid=False)}",  # wrong checksum
        lambda: f"SSN: {ssn(rng, valid=False)}",  # never issued
        lambda: f"Invoice No: {rng.randint(1000000000, 9999999999)}",
        lambda: f"Order #{y}{m:02d}{d:02d}-{rng.randint(10000, 99999)}",
        lambda: f"Tracking number: 1Z{rng.randint(100, 999)}AA{rng.randint(10**9, 10**10 - 1)}",
        lambda: f"Date: {d:02d}/{m:02d}/{y} at {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        lambda: f"Issued {y}-{m:02d}-{d:02d}, due {y}-{m:02d}-{min(28, d + 14):02d}",
        lambda: f"Total: ${rng.randint(1000, 999999):,}.{rng.randint(0, 99):02d}",
        lambda: f"Amount due EUR {rng.randint(1, 999)}.{rng.randint(100, 999)},{rng.randint(0, 99):02d}",
        lambda: (
            f"Account no: {rng.randint(10**7, 10**9)}   Sort code: {rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        ),
        lambda: (
            f"Qty {rng.randint(1, 50)} x {rng.randint(1, 99)}.{rng.randint(0, 99):02d} = {rng.randint(100, 9999)}.00"
        ),
        lambda: f"Customer ID: {rng.randint(100000, 999999)}-{rng.randint(10, 99)}",
        lambda: f"Serial: {rng.randint(10**11, 10**12 - 1)}",
        lambda: f"PO {rng.randint(4500000000, 4599999999)}",
    ]
    return rng.choice(choices)()


# ---------------------------------------------------------------------------------------------
# the generator's own contact details


@contextlib.contextmanager
def _recording() -> Iterator[tuple[list[tuple[str, str]], list[str]]]:
    """Record the phone numbers (with their currency) and e-mail addresses the generator draws."""
    from docpipe.samples import documents as D

    phones: list[tuple[str, str]] = []
    emails: list[str] = []
    orig_phone, orig_party, orig_form = D.phone, D.party, D._form_values

    def phone(rng: random.Random, currency: str) -> str:
        value = orig_phone(rng, currency)
        phones.append((value, currency))
        return value

    def party(*a: Any, **kw: Any) -> Any:
        p = orig_party(*a, **kw)
        emails.append(p.email)
        return p

    def form_values(rng: random.Random) -> list[tuple[str, str]]:
        values = orig_form(rng)
        emails.extend(v for k, v in values if k == "Email")
        return values

    D.phone, D.party, D._form_values = phone, party, form_values
    try:
        yield phones, emails
    finally:
        D.phone, D.party, D._form_values = orig_phone, orig_party, orig_form


def _pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for page in pdf:
            tp = page.get_textpage()
            pages.append(tp.get_text_range())
            tp.close()
            page.close()
        return "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    finally:
        pdf.close()


def _find_all(text: str, value: str) -> list[tuple[int, int]]:
    out, i = [], text.find(value)
    while i != -1:
        out.append((i, i + len(value)))
        i = text.find(value, i + len(value))
    return out


def build_set(n_docs: int = 300, seed: int = 11) -> list[Item]:
    """`n_docs` generated documents with their PII labelled and more injected (see the module doc)."""
    from docpipe.samples import documents as D

    builders = (D.render_invoice, D.render_invoice, D.render_receipt, D.render_form)
    items: list[Item] = []
    for i in range(n_docs):
        rng = random.Random(f"pii-eval-{seed}-{i}")
        with _recording() as (phones, emails):
            built = rng.choice(builders)(rng)
        base = _pdf_text(built.data)
        region = "GB" if any(cur == "GBP" for _, cur in phones) else "US"
        lines = base.split("\n")
        # inject: 1-4 PII lines and 1-3 hard negatives at random line positions
        injected: list[tuple[str | None, str, str]] = []  # (type or None, line template, value)
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(PII_TYPES)
            if kind == "email":
                value = email(rng)
            elif kind == "phone":
                value = phone_number(rng, region)
            elif kind == "payment_card":
                value = card_number(rng)
            elif kind == "iban":
                value = iban(rng)
            else:
                value = rng.choice((ssn(rng), nino(rng), nric(rng)))
            tmpl = rng.choice(_POSITIVE_TEMPLATES[kind])
            if kind == "national_id":  # the label that goes with the identifier
                tmpl = (
                    rng.choice(("SSN: {}", "Social security number {}", "Employee SSN {}"))
                    if value[3] == "-"
                    else ("NRIC: {}" if value[6] == "-" else rng.choice(("National Insurance number: {}", "NINO {}")))
                )
            injected.append((kind, tmpl, value))
        n_neg = rng.randint(1, 3)
        injected.extend((None, _negative_line(rng), "") for _ in range(n_neg))
        for entry in injected:
            lines.insert(rng.randint(0, len(lines)), "\x00" + str(id(entry)))
        by_id = {"\x00" + str(id(e)): e for e in injected}
        text_parts: list[str] = []
        spans: list[tuple[str, int, int]] = []
        pos = 0
        for raw_line in lines:
            line = raw_line
            found = by_id.get(raw_line)
            if found is not None:
                ptype, tmpl, value = found
                if ptype is None:
                    line = tmpl
                else:
                    head, _, tail = tmpl.partition("{}")
                    line = head + value + tail
                    spans.append((ptype, pos + len(head), pos + len(head) + len(value)))
            text_parts.append(line)
            pos += len(line) + 1
        text = "\n".join(text_parts)
        # the generator's own phones and e-mails, wherever they landed in the text
        for value in {v for v, _ in phones}:
            spans.extend(("phone", s, e) for s, e in _find_all(text, value))
        for value in set(emails):
            spans.extend(("email", s, e) for s, e in _find_all(text, value))
        items.append(Item(text, region, spans, n_neg))
    return items


def evaluate(items: list[Item], keep_errors: bool = False) -> PiiEvaluation:
    per_type = {t: TypeScore() for t in PII_TYPES}
    misses: list[tuple[str, str]] = []
    false_alarms: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    found_all = [find_pii(it.text, it.region) for it in items]
    seconds = time.perf_counter() - t0
    for it, found in zip(items, found_all, strict=True):
        gold = list(it.spans)
        used = [False] * len(gold)
        for f in found:
            match = next(
                (
                    k
                    for k, (t, s, e) in enumerate(gold)
                    if not used[k] and t == f.pii_type and f.start < e and s < f.end
                ),
                None,
            )
            if match is None:
                per_type[f.pii_type].fp += 1
                if keep_errors:
                    false_alarms.append((f.pii_type, it.text[max(0, f.start - 30) : f.end + 10]))
            else:
                used[match] = True
                per_type[f.pii_type].tp += 1
        for k, (t, s, e) in enumerate(gold):
            if not used[k]:
                per_type[t].fn += 1
                if keep_errors:
                    misses.append((t, it.text[max(0, s - 30) : e + 10]))
    return PiiEvaluation(
        documents=len(items),
        negatives=sum(it.negatives for it in items),
        per_type=per_type,
        seconds=seconds,
        characters=sum(len(it.text) for it in items),
        misses=misses,
        false_alarms=false_alarms,
    )
