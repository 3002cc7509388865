"""Learned field selection: every plausible value of a field is a candidate, a trained model scores them,
the best one is the field and its calibrated score is the confidence.

Candidates come from the lines the reader produced (text layer or OCR): for a supplier's name, each of the
first lines and each pair of them; for its address, each run of one to six header lines; every printed date;
every printed amount. Each candidate is described by layout and text features (where it sits, how it reads,
what the general rules of `receipt` say about its lines: an address's postcode, a company's legal suffix,
the strength of a total's label, the payment arithmetic, and whether the rules themselves pick it). A
gradient-boosted tree model per field, trained on labelled documents (`docpipe models train extraction`),
scores the candidates; an isotonic map fitted on cross-validated predictions turns the winner's score into
the probability that it is right.

The model is a small NumPy archive evaluated here with NumPy alone (no scikit-learn at run time). Its hash
is part of the engine version (`fs-<hash>`), so a new model re-extracts stored documents. The archive in
`models/` is the default; `DOCPIPE_FIELD_MODEL` names another, and `none` switches selection off (the rules
alone choose, as before the model).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .fields import Candidate, Layout, _order
from .normalize import Money, date_value, find_dates, fix_ocr_digits

DEFAULT_MODEL = Path(__file__).with_name("models") / "receipt-fields.npz"
FORMAT = 1  # the archive layout this module reads
# Fields the selector knows how to find candidates for, and the kind of value each holds.
FIELD_KINDS = {
    "supplier_name": "name",
    "customer_name": "name",
    "supplier_address": "address",
    "receipt_date": "date",
    "invoice_date": "date",
    "due_date": "date",
    "total_amount": "amount",
    "net_amount": "amount",
    "tax_amount": "amount",
}
# A shop prints its name and address at the top: on 480 training receipts the name started by line 7 and
# the address by line 9 (both counted from 0); the limits leave room for longer headers.
MAX_NAME_LINE = 10
MAX_ADDRESS_START = 10
MAX_ADDRESS_LINES = 5


# ---------------------------------------------------------------------------------------------- lines


@dataclass
class LineInfo:
    """What the general rules say about one line; computed once, shared by every candidate using it."""

    text: str
    index: int
    page: int
    conf: float
    y: float
    x_center: float
    width: float
    height: float
    letters: int
    digits: int
    upper_share: float
    words: int
    address: float
    postcode: bool
    region: bool
    street: bool
    house: bool
    suffix: bool
    suffix_at_start: bool
    contact: bool
    registration: bool
    document: bool
    dated: bool
    money: bool
    amounts: list[tuple[Money, Any]]  # (amount, segment) printed on the line, left to right
    name_like: bool
    total_label: float
    not_total: bool
    paid: bool
    change: bool
    rounding: bool
    summary: bool


_NO_ADDRESS = dict.fromkeys(("postcode", "region", "street", "house", "slash", "comma"), False)


def line_infos(layout: Layout) -> tuple[list[Any], list[LineInfo], int]:
    """(the receipt module's lines, their infos, the number of header lines)."""
    from . import receipt as r

    lines = r.lines_of(layout)
    header_len = len(r._header(lines))
    heights = sorted(max(s.y1 - s.y0 for s in ln.segs) for ln in lines) or [1.0]
    median_h = heights[len(heights) // 2] or 1.0
    # names and addresses are read off the first lines only: the rest need no address or name marks; and
    # only a line with an amount, or above one, can label a total or a payment
    head = max(MAX_NAME_LINE, MAX_ADDRESS_START + MAX_ADDRESS_LINES) + 1
    amounts_of = [r._amounts(ln) for ln in lines]
    infos = []
    for j, ln in enumerate(lines):
        t = ln.text
        letters = ln.letters
        amounts = amounts_of[j]
        near_top = ln.index < head
        parts = r.address_parts(t) if near_top else _NO_ADDRESS
        suffix = r.COMPANY_SUFFIX.search(t) if near_top else None
        contact = r.is_contact(ln) if near_top else False
        registration = r.is_registration(ln) if near_top else False
        document = r.document_word(t) if near_top else False
        dated = r.dated(t) if near_top else False
        address = r.address_score(ln, parts)
        labels = bool(amounts) or (j + 1 < len(lines) and bool(amounts_of[j + 1]))
        label_text = r._label_text(ln, amounts) if labels else ""
        if near_top:
            x0, x1 = min(s.x0 for s in ln.segs), max(s.x1 for s in ln.segs)
            geometry = {"y": min(s.y0 for s in ln.segs), "x_center": (x0 + x1) / 2, "width": x1 - x0,
                        "height": max(s.y1 - s.y0 for s in ln.segs) / median_h,
                        "upper_share": sum(map(str.isupper, t)) / letters if letters else 0.0}  # fmt: skip
        else:
            geometry = {"y": 0.0, "x_center": 0.0, "width": 0.0, "height": 0.0, "upper_share": 0.0}
        change = labels and bool(r._CHANGE.search(t))
        infos.append(
            LineInfo(
                text=t, index=ln.index, page=ln.page, conf=ln.conf, **geometry,
                letters=letters, digits=r._digits(t) if near_top else 0,
                words=len(t.split()), address=address, postcode=parts["postcode"], region=parts["region"],
                street=parts["street"], house=parts["house"],
                suffix=bool(suffix), suffix_at_start=bool(suffix and suffix.start() == 0),
                contact=contact, registration=registration, document=document, dated=dated,
                money=bool(amounts) or (bool(re.search(r"\d\.\d{2}$", t.rstrip())) and address < 1.5), amounts=amounts,
                name_like=near_top and r.name_shape(ln) and not (contact or registration or document or dated),
                total_label=r._label_strength(label_text) if labels else 0.0,
                not_total=labels and bool(r._NOT_TOTAL.search(label_text)),
                paid=labels and bool(r._PAID.search(t)) and not change, change=change,
                rounding=labels and bool(r._ROUNDING.search(t)), summary=bool(r._SUMMARY.search(t)),
            )
        )  # fmt: skip
    return lines, infos, header_len


def _stop(info: LineInfo) -> bool:
    return info.contact or info.registration or info.document or info.dated or info.money


# ---------------------------------------------------------------------------------------------- candidates


@dataclass
class FieldCandidate:
    """One possible value of a field: what it says, where it is, and its features."""

    field: str
    read_value: Callable[[], str]  # the value as it would be stored (name, address, ISO date, amount): made on demand
    mention: str  # as printed
    features: dict[str, float]
    make: Callable[[float], Candidate]  # the engine's Candidate for this value at a given confidence
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def value(self) -> str:
        return self.read_value()


def fold(text: str) -> str:
    """Lower case, without accents, whitespace or punctuation: how printed names and addresses compare."""
    text = unicodedata.normalize("NFKD", text)
    return _NOT_WORD.sub("", "".join(ch for ch in text if not unicodedata.combining(ch))).lower()


_NOT_WORD = re.compile(r"[\W_]+")


_JUNK = re.compile(r"[`<>~|_\\^]")  # characters no printed name carries: OCR read a smudge
_LEADING_LABEL = re.compile(r"^\s*[A-Za-z][\w .]{0,20}?:\s*(?=\S)")  # "Dimiliki: ...", "Owned by: ..."
_LEADING_CODE = re.compile(r"^\s*[#*\-]?[\d\W]+\s+(?=[A-Za-z])")  # "#0042 ACME ...": a till or branch code


def _name_variants(text: str) -> list[tuple[str, str]]:
    """(kind, value) readings of a name line: as printed, cleaned of smudges,
    cut after its legal suffix (a registration number or branch may follow on the line), and without a
    leading label or code. The model learns which reading a layout calls for."""
    from .receipt import COMPANY_SUFFIX

    out = [("full", text)]
    clean = " ".join(_JUNK.sub(" ", text).split())
    out.append(("clean", clean))
    matches = list(COMPANY_SUFFIX.finditer(clean))
    if matches:
        end = matches[-1].end()
        end += 1 if clean[end : end + 1] == "." else 0
        if clean[end:].strip(" .,;:"):
            out.append(("to_suffix", clean[:end]))
    for kind, rx in (("after_label", _LEADING_LABEL), ("after_code", _LEADING_CODE)):
        for _, v in list(out):
            m = rx.match(v)
            if m and sum(map(str.isalpha, v[m.end() :])) >= 3:
                out.append((kind, v[m.end() :]))
    seen: set[str] = set()
    unique = []
    for kind, v in out:
        key = v.strip()
        if key and key not in seen:
            seen.add(key)
            unique.append((kind, v.strip()))
    return unique


_VARIANTS = ("full", "clean", "to_suffix", "after_label", "after_code")


def _name_shape(value: str, suffix_rx: re.Pattern[str]) -> dict[str, float]:
    """How a name reading is shaped: a legal suffix and what follows it, a label or a code before it."""
    matches = list(suffix_rx.finditer(value))
    tail = value[matches[-1].end() :] if matches else ""
    return {
        "variant_suffix": float(bool(matches)),
        "suffix_at_end": float(bool(matches) and not tail.strip(" .,;:")),
        "tail_digits": float(sum(map(str.isdigit, tail))),  # a registration number after the suffix
        "tail_brackets": float("(" in tail or ")" in tail),
        "colon": float(":" in value[:25]),  # "Owned by: ..."
        "leading_code": float(bool(_LEADING_CODE.match(value))),
        "junk": float(bool(_JUNK.search(value))),
        "lower_share": sum(map(str.islower, value)) / max(1, sum(map(str.isalpha, value))),
    }


def _name_candidates(
    name: str, lines: list[Any], infos: list[LineInfo], header_len: int, rule: Candidate | None
) -> list[FieldCandidate]:
    from .receipt import COMPANY_SUFFIX, _fix_name, _mention, _merged

    out = []
    first_address = next((i.index for i in infos if i.address >= 1.5 and not i.suffix), len(infos))
    name_like_seen = 0
    limit = min(len(lines), MAX_NAME_LINE)
    rule_fold = fold(rule.normalized.get("text", "")) if rule is not None else ""
    for i in range(limit):
        info = infos[i]
        if info.page > 0:
            break
        for n in (1, 2):
            if i + n > limit or info.letters < 2:
                continue
            group = infos[i : i + n]
            if any(_stop(g) for g in group):
                continue  # a phone, registration number, date, amount or slip word is on no name line
            mention, spans = _mention(lines[i : i + n], " ", "")
            after = infos[i + n] if i + n < len(infos) else None
            before = infos[i - 1] if i > 0 else None
            base = {
                "index": float(i),
                "index_in_header": i / max(header_len, 1),
                "in_header": float(i + n <= header_len),
                "lines": float(n),
                "letters": float(sum(g.letters for g in group)),
                "digit_share": sum(g.digits for g in group) / max(1, sum(g.letters + g.digits for g in group)),
                "upper_share": min(g.upper_share for g in group),
                "words": float(sum(g.words for g in group)),
                "suffix": float(any(g.suffix for g in group)),
                "suffix_second": float(n == 2 and group[1].suffix),
                "suffix_at_start": float(group[0].suffix_at_start),
                "name_like": float(all(g.name_like for g in group)),
                "address": max(g.address for g in group),
                "address_after": after.address if after else -1.0,
                "registration_after": float(bool(after and after.registration)),
                "suffix_after": float(bool(after and after.suffix)),
                "address_before": before.address if before else -1.0,
                "name_like_before": float(name_like_seen),
                "lines_to_address": float(first_address - i),
                "conf": min(g.conf for g in group),
                "height": max(g.height for g in group),
                "x_center": group[0].x_center,
                "width": max(g.width for g in group),
                "y": group[0].y,
            }
            seg = _merged(lines[i : i + n], mention)
            for kind, variant in _name_variants(mention):
                value = _fix_name(variant)
                if sum(map(str.isalpha, value)) < 2:
                    continue
                f = dict(base)
                f.update({f"variant_{k}": float(k == kind) for k in _VARIANTS})
                f["dropped"] = 1.0 - len(value) / max(len(mention), 1)
                f.update(_name_shape(value, COMPANY_SUFFIX))
                f["rule"] = float(bool(rule_fold) and fold(value) == rule_fold)

                def make(
                    conf: float, mention: str = mention, value: str = value, seg: Any = seg, spans: Any = spans
                ) -> Candidate:
                    return Candidate(name, mention, {"text": value}, conf, seg, _order(seg), {"spans": spans})  # fmt: skip

                out.append(FieldCandidate(name, lambda value=value: value, mention, f, make))
        if info.name_like:
            name_like_seen += 1
    return out


def _address_candidates(
    name: str, lines: list[Any], infos: list[LineInfo], header_len: int, rule: Candidate | None
) -> list[FieldCandidate]:
    from .receipt import _mention, _merged, fix_address_words

    out = []
    limit = min(len(lines), MAX_ADDRESS_START + MAX_ADDRESS_LINES)
    rule_fold = fold(rule.mention) if rule is not None else ""
    # per line, once: its text without trailing separators, that text with OCR look-alikes fixed, and folded
    # (a span's value and fold are its lines' joined, since both work word by word)
    printed = [ln.text.rstrip(" ,") for ln in lines[:limit]]
    fixed: dict[int, str] = {}  # OCR look-alikes undone, per line, for the values read (the winner's, or in training)

    def value_of(s: int, e: int) -> str:
        for i in range(s, e):
            if i not in fixed:
                fixed[i] = fix_address_words(printed[i])
        return ", ".join(fixed[i] for i in range(s, e))

    folded = [fold(t) for t in printed]
    for s in range(min(limit, MAX_ADDRESS_START)):
        if infos[s].page > 0:
            break
        for e in range(s + 1, min(s + MAX_ADDRESS_LINES, limit) + 1):
            group = infos[s:e]
            if group[-1].page > 0:
                break
            mention = ", ".join(printed[s:e])
            before = infos[s - 1] if s > 0 else None
            after = infos[e] if e < len(infos) else None
            scores = [g.address for g in group]
            f = {
                "start": float(s),
                "start_in_header": s / max(header_len, 1),
                "end_in_header": float(e <= header_len),
                "lines": float(e - s),
                "score_sum": sum(scores),
                "score_min": min(scores),
                "score_first": scores[0],
                "score_last": scores[-1],
                "zero_lines": float(sum(1 for x in scores if x == 0)),
                "postcode": float(sum(g.postcode for g in group)),
                "postcode_last": float(group[-1].postcode or group[-1].region),
                "region": float(sum(g.region for g in group)),
                "street": float(sum(g.street for g in group)),
                "house_first": float(group[0].house or group[0].digits > 0),
                "stops": float(sum(_stop(g) for g in group)),
                "suffix": float(sum(g.suffix for g in group)),
                "name_like_first": float(group[0].name_like),
                "ends_comma": float(lines[e - 1].text.rstrip().endswith(",")),
                "before_suffix": float(bool(before and before.suffix)),
                "before_name_like": float(bool(before and before.name_like)),
                "before_registration": float(bool(before and before.registration)),
                "before_address": before.address if before else -1.0,
                "after_stop": float(after is None or _stop(after)),
                "after_address": after.address if after else -1.0,
                "after_contact": float(bool(after and after.contact)),
                "conf": min(g.conf for g in group),
                "height": max(g.height for g in group),
                "rule": float(bool(rule_fold) and "".join(folded[s:e]) == rule_fold),
            }

            def make(conf: float, s: int = s, e: int = e) -> Candidate:
                mention, spans = _mention(lines[s:e], ", ", " ,")
                seg = _merged(lines[s:e], mention)
                return Candidate(name, mention, {"text": value_of(s, e)}, conf, seg, _order(seg), {"spans": spans})

            out.append(FieldCandidate(name, lambda s=s, e=e: value_of(s, e), mention, f, make))
    return out


_DIGIT = re.compile(r"\d")
_DATE_LABEL = re.compile(r"\b(?:date|dated|tarikh|bizdate|inv\s*date|trans\s*date|tgl|datum)\b", re.I)
_TIME = re.compile(r"\s*(?:[,-]\s*)?\d{1,2}:\d{2}")


def _date_candidates(
    name: str, lines: list[Any], infos: list[LineInfo], header_len: int, rule: Candidate | None
) -> list[FieldCandidate]:
    found: dict[str, list[tuple[int, Any, Any, str, bool, bool, bool]]] = {}
    for ln in lines:
        for k, seg in enumerate(ln.segs):
            if len(_DIGIT.findall(seg.text)) < 2:
                continue  # every printed date has digits (its day at least, or OCR's look-alikes of them)
            text = fix_ocr_digits(seg.text) if seg.conf < 1.0 else seg.text
            for d in find_dates(text):
                labelled = bool(_DATE_LABEL.search(text[: d.start])) or (
                    k > 0 and bool(_DATE_LABEL.search(ln.segs[k - 1].text))
                )
                after = text[d.end : d.end + 14] + " " + " ".join(x.text for x in ln.segs[k + 1 : k + 2])
                timed = bool(_TIME.match(after))
                mention = text[d.start : d.end]
                found.setdefault(d.value.isoformat(), []).append(
                    (ln.index, seg, d, mention, labelled, timed, not mention[:1].isdigit() or bool(re.search(r"[A-Za-z]", mention)))
                )  # fmt: skip
    n_lines = max(len(lines), 1)
    rule_value = rule.normalized.get("text") if rule is not None else None
    out = []
    order = sorted(found, key=lambda v: found[v][0][0])
    for rank, value in enumerate(order):
        hits = found[value]
        first_line, seg, d, mention, _, _, worded = hits[0]
        year = d.value.year
        f = {
            "rank": float(rank),
            "distinct": float(len(found)),
            "count": float(len(hits)),
            "line": first_line / n_lines,
            "in_header": float(first_line < header_len),
            "labelled": float(any(h[4] for h in hits)),
            "timed": float(any(h[5] for h in hits)),
            "worded": float(worded),
            "ambiguous": float(d.ambiguous),
            "year_offset": float(abs(year - 2018)) if 1990 <= year <= 2040 else 50.0,
            "conf": seg.conf,
            "rule": float(value == rule_value),
        }

        def make(conf: float, mention: str = mention, d: Any = d, seg: Any = seg) -> Candidate:
            return Candidate(name, mention, date_value(d.value), conf, seg, _order(seg))

        out.append(FieldCandidate(name, lambda value=value: value, mention, f, make))
    return out


def _amount_candidates(
    name: str, lines: list[Any], infos: list[LineInfo], header_len: int, rule: Candidate | None
) -> list[FieldCandidate]:
    seen: dict[Decimal, list[tuple[int, Money, Any, float, bool]]] = {}
    labelled_values: set[Decimal] = set()
    for j, info in enumerate(infos):
        got = info.amounts
        for pos, (m, seg) in enumerate(got):
            seen.setdefault(m.amount, []).append((j, m, seg, info.total_label, pos == len(got) - 1))
        if not got and info.total_label > 0 and j + 1 < len(lines):
            nxt = infos[j + 1].amounts
            if nxt and infos[j + 1].letters <= 3:
                m, seg = nxt[-1]
                seen.setdefault(m.amount, []).append((j + 1, m, seg, info.total_label, True))
                labelled_values.add(m.amount)
    if not seen:
        return []
    summary_line = next((i.index for i in infos if i.summary), len(infos))

    def values_on(pred: Callable[[LineInfo], bool]) -> set[Decimal]:
        out: set[Decimal] = set()
        for j, info in enumerate(infos):
            if pred(info):
                got = infos[j].amounts or (
                    infos[j + 1].amounts if j + 1 < len(lines) and infos[j + 1].letters <= 3 else []
                )
                if got:
                    out.add(got[-1][0].amount)
        return out

    paid, change = values_on(lambda i: i.paid), values_on(lambda i: i.change)
    rounding = values_on(lambda i: i.rounding and i.total_label < 0.97)
    derived = {p - c for p in paid for c in change if p - c > 0}
    best_label = {v: max(h[3] for h in hits) for v, hits in seen.items()}
    labelled_totals = {v for v, s in best_label.items() if s > 0 and v > 0}
    rounded = {v + r for v in labelled_totals for r in rounding if r != 0 and abs(r) < Decimal("0.10")}
    largest = max(seen)
    n_lines = max(len(lines), 1)
    rule_value = rule.normalized["money"].amount if rule is not None and "money" in rule.normalized else None
    ranked = sorted(seen, reverse=True)
    out = []
    for value, hits in seen.items():
        last_line, m, seg, _, _ = hits[-1]
        label_hits = [h for h in hits if h[3] > 0]
        anchor = max(label_hits, key=lambda h: h[3]) if label_hits else hits[-1]
        f = {
            "label": best_label[value],
            "labelled_elsewhere": float(len(labelled_totals - {value})),
            "label_count": float(len(label_hits)),
            "label_stronger_elsewhere": float(any(best_label[v] > best_label[value] for v in labelled_totals)),
            "label_rank": float(len({best_label[v] for v in labelled_totals if best_label[v] > best_label[value]})),
            "largest_labelled": float(bool(labelled_totals) and value == max(labelled_totals)),
            "not_total": float(any(infos[h[0]].not_total for h in hits)),
            "paid": float(value in paid),
            "change": float(value in change),
            "rounding_line": float(any(infos[h[0]].rounding for h in hits)),
            "derived": float(value in derived),
            "near_derived": float(any(abs(d - value) < Decimal("0.10") for d in derived)),
            # cash minus change was printed and says another amount was paid
            "payment_disagrees": float(bool(derived) and all(abs(d - value) >= Decimal("0.10") for d in derived)),
            "rounded": float(value in rounded),
            "count": float(len(hits)),
            "rank": float(ranked.index(value)),
            "share_of_largest": float(value / largest) if largest > 0 else 0.0,
            "cents_zero": float(value == value.to_integral_value()),
            "negative": float(value < 0),
            "first_line": hits[0][0] / n_lines,
            "last_line": last_line / n_lines,
            "after_summary": float(hits[0][0] > summary_line),
            "in_header": float(hits[0][0] < header_len),
            "last_on_line": float(any(h[4] for h in hits)),
            "currency": float(any(h[1].currency for h in hits)),
            "conf": max(h[2].conf for h in hits),
            "rule": float(value == rule_value),
        }

        def make(conf: float, anchor: Any = anchor) -> Candidate:
            j, money, seg, _, _ = anchor
            label_line = lines[j]
            from .receipt import _label_text

            extra = {"label_seg": label_line.segs[0], "label": _label_text(label_line)}
            return Candidate(name, money.text, {"money": money}, conf, seg, _order(seg), extra)

        out.append(FieldCandidate(name, lambda value=value: f"{value:.2f}", m.text, f, make))
    return out


GENERATORS = {
    "name": _name_candidates,
    "address": _address_candidates,
    "date": _date_candidates,
    "amount": _amount_candidates,
}


def candidates(layout: Layout, rules: dict[str, Candidate], fields: list[str]) -> dict[str, list[FieldCandidate]]:
    """The candidates of each of `fields` (names in FIELD_KINDS), with the rules' own picks (`rules`, by
    field) marked as a feature."""
    lines, infos, header_len = line_infos(layout)
    return {f: GENERATORS[FIELD_KINDS[f]](f, lines, infos, header_len, rules.get(f)) for f in fields}


# ---------------------------------------------------------------------------------------------- the model


class FieldModel:
    """Boosted trees (one ensemble per field) and the isotonic calibration of their winners' scores.

    Trees are stored flat: for node i, `feature[i]`, `threshold[i]` (go left when x <= threshold, or when x
    is missing and `missing_left[i]`), `left[i]`/`right[i]` (node indices), `leaf[i]` and `value[i]`; `roots`
    are the trees' first nodes. All trees walk down together, one NumPy step per level; a leaf's children
    are itself, so a walk that reached its leaf stays there while deeper trees go on."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any], digest: str):
        self.meta = meta
        self.digest = digest
        self.fields: dict[str, dict[str, Any]] = {}
        for name, info in meta["fields"].items():
            p = f"{name}/"
            leaf = arrays[p + "leaf"].astype(bool)
            me = np.arange(len(leaf), dtype=np.int64)
            self.fields[name] = {
                "features": info["features"],
                "feature": np.where(leaf, 0, arrays[p + "feature"]).astype(np.int64),
                "threshold": np.where(leaf, np.inf, arrays[p + "threshold"]),
                "missing_left": arrays[p + "missing_left"].astype(bool),
                # children[1] is the left child (x <= threshold), children[0] the right one
                "children": np.stack([np.where(leaf, me, arrays[p + "right"]), np.where(leaf, me, arrays[p + "left"])]),
                "value": arrays[p + "value"],
                "roots": arrays[p + "roots"].astype(np.int64),
                "calib_x": arrays[p + "calib_x"],
                "calib_y": arrays[p + "calib_y"],
                "baseline": float(info["baseline"]),
                "depth": int(info["depth"]),
            }

    @property
    def tag(self) -> str:
        return f"fs-{self.digest[:10]}"

    @property
    def document_types(self) -> tuple[str, ...]:
        return tuple(self.meta.get("document_types", ("receipt",)))

    @property
    def auto_accept(self) -> float | None:
        t = self.meta.get("auto_accept", {}).get("threshold")
        return None if t is None else float(t)

    def raw_scores(self, name: str, X: np.ndarray) -> np.ndarray:
        """The ensemble's log-odds for each row of X (rows: candidates, columns: the field's features)."""
        m = self.fields[name]
        n = X.shape[0]
        node = np.broadcast_to(m["roots"], (n, len(m["roots"])))
        rows = np.arange(n)[:, None]
        missing = bool(np.isnan(X).any())
        feature, threshold, children = m["feature"], m["threshold"], m["children"]
        for _ in range(m["depth"]):
            x = X[rows, feature[node]]
            go_left = x <= threshold[node]
            if missing:
                go_left = np.where(np.isnan(x), m["missing_left"][node], go_left)
            node = children[go_left.view(np.int8), node]
        return m["baseline"] + m["value"][node].sum(axis=1)

    def calibrate(self, name: str, raw: float) -> float:
        m = self.fields[name]
        return float(np.interp(raw, m["calib_x"], m["calib_y"]))

    def matrix(self, name: str, cands: list[FieldCandidate]) -> np.ndarray:
        names = self.fields[name]["features"]
        return np.array([[c.features.get(f, np.nan) for f in names] for c in cands], dtype=np.float64).reshape(
            len(cands), len(names)
        )

    def choose(self, name: str, cands: list[FieldCandidate]) -> tuple[FieldCandidate, float, float] | None:
        """(the best candidate, its margin score, its calibrated confidence), or None without candidates."""
        if not cands or name not in self.fields:
            return None
        raw = self.raw_scores(name, self.matrix(name, cands))
        best, score = winner(raw)
        return cands[best], score, self.calibrate(name, score)


def winner(raw: np.ndarray) -> tuple[int, float]:
    """The best-scored candidate and its score against its rivals: its log-odds less log(1 + the sum of the
    others' odds). A winner far ahead keeps its score; one with a close rival (two unlabelled amounts, two
    name-like lines) loses it, which is what its chance of being right does. Calibration maps this score."""
    best = int(np.argmax(raw))
    others = np.delete(raw, best)
    rivals = float(np.logaddexp.reduce(np.append(others, 0.0))) if len(others) else 0.0
    return best, float(raw[best]) - rivals


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_path() -> Path | None:
    """The field-selection model in use: `DOCPIPE_FIELD_MODEL` (a path, or `none`), else the shipped one."""
    raw = os.environ.get("DOCPIPE_FIELD_MODEL", "").strip()
    if raw.lower() in ("none", "off", "rules"):
        return None
    path = Path(raw).expanduser() if raw else DEFAULT_MODEL
    return path if path.exists() or raw else None


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> FieldModel:
    p = Path(path)
    with np.load(p, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays.pop("meta.json")).decode("utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{p} is a field model of format {meta.get('format')}, this engine reads format {FORMAT}; "
                         "retrain it with `docpipe models train extraction`")  # fmt: skip
    return FieldModel(arrays, meta, _digest(p))


def load_model(path: Path | None = None) -> FieldModel | None:
    """The model at `path` (default: `model_path()`), or None when selection is switched off or none ships.
    A configured path that does not exist is an error, not a silent fallback to the rules."""
    path = path or model_path()
    if path is None:
        return None
    if not path.exists():
        raise FileNotFoundError(f"field model {path} (DOCPIPE_FIELD_MODEL) does not exist; train one with "
                                "`docpipe models train extraction --dataset DIR --out PATH` or unset the variable")  # fmt: skip
    return _load(str(path), path.stat().st_mtime)


def model_tag() -> str:
    """The model's part of the engine version: `fs-<hash>`, or "" when the rules choose alone."""
    m = load_model()
    return m.tag if m is not None else ""


def auto_accept_threshold(default: float = 0.8) -> float:
    """Confidence at or above which a field skips review: chosen on cross-validated predictions when the
    model was trained (the target precision is in its receipt), else `default`."""
    m = load_model()
    t = m.auto_accept if m is not None else None
    return default if t is None else t


def select(
    layout: Layout, rules: dict[str, Candidate], schema: tuple[str, ...], doc_type: str, model: FieldModel | None = None
) -> dict[str, Candidate]:
    """The rules' picks with each field of `schema` that the model knows replaced by the model's choice
    and confidence, for the document types the model was trained on.

    Each chosen Candidate carries `extra["extractor"]`: the model's tag, or "rules" for fields it left."""
    model = model if model is not None else load_model()
    out = dict(rules)
    for c in out.values():
        c.extra.setdefault("extractor", "rules")
    if model is None or doc_type not in model.document_types:
        return out
    known = [f for f in schema if f in model.fields and f in FIELD_KINDS]
    for name, cands in candidates(layout, rules, known).items():
        got = model.choose(name, cands)
        if got is None:
            continue
        best, _, conf = got
        chosen = best.make(conf)
        chosen.extra["extractor"] = model.tag
        out[name] = chosen
    return out
