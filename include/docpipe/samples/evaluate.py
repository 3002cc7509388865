"""Score an extraction against a sample's ground truth, field by field."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from docpipe.models import ExtractionResult


def fold(text: str) -> str:
    """Case-, accent- and whitespace-insensitive form for comparing OCR'd names."""
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"\s+", "", "".join(ch for ch in text if not unicodedata.combining(ch))).lower()


def same(expected: str, got: str | None, *, tolerance: float = 0.0) -> bool:
    """Exact match, or (with `tolerance` > 0) a folded match within that share of edits."""
    if got is None:
        return False
    if tolerance <= 0:
        return " ".join(expected.split()) == " ".join(got.split())
    a, b = fold(expected), fold(got)
    return a == b or SequenceMatcher(None, a, b).ratio() >= 1.0 - tolerance


def extracted_values(result: ExtractionResult) -> tuple[dict[str, tuple[str, float]], dict[str, tuple[str, float]]]:
    """({field type: (normalised text, confidence)}, {form label: (value, confidence)}); first entity wins."""
    fields: dict[str, tuple[str, float]] = {}
    form: dict[str, tuple[str, float]] = {}
    for e in result.entities:
        nv = e.normalized_value or {}
        text = str(nv.get("text", e.mention_text))
        if e.type == "form_field":
            form.setdefault(str(nv.get("key", "")), (text, e.confidence))
        else:
            fields.setdefault(e.type, (text, e.confidence))
    return fields, form


@dataclass
class FieldOutcome:
    name: str
    expected: str
    got: str | None
    confidence: float | None
    correct: bool


def score(truth: dict[str, Any], result: ExtractionResult, *, tolerance: float = 0.0) -> list[FieldOutcome]:
    """One outcome per truth field (form fields as `form:<label>`). Text fields use `tolerance`;
    dates, amounts, currencies and ids must match exactly."""
    fields, form = extracted_values(result)
    out = []
    for name, expected in truth.get("fields", {}).items():
        got, conf = fields.get(name, (None, None))
        tol = tolerance if name in ("supplier_name", "customer_name", "supplier_address") else 0.0
        out.append(FieldOutcome(name, expected, got, conf, same(expected, got, tolerance=tol)))
    for label, expected in truth.get("form_fields", {}).items():
        got, conf = form.get(label, (None, None))
        if got is None and tolerance > 0:  # an OCR'd label may differ slightly
            for k, v in form.items():
                if same(label, k, tolerance=tolerance):
                    got, conf = v
                    break
        out.append(FieldOutcome(f"form:{label}", expected, got, conf, same(expected, got, tolerance=tolerance)))
    return out


@dataclass
class Report:
    documents: int = 0
    type_correct: int = 0
    per_field: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    conf_correct: list[float] = field(default_factory=list)
    conf_wrong: list[float] = field(default_factory=list)

    def add(self, truth: dict[str, Any], result: ExtractionResult, *, tolerance: float = 0.0) -> list[FieldOutcome]:
        self.documents += 1
        self.type_correct += result.document_type == truth.get("document_type")
        outcomes = score(truth, result, tolerance=tolerance)
        for o in outcomes:
            key = "form_field" if o.name.startswith("form:") else o.name
            self.per_field[key].append(o.correct)
            if o.confidence is not None:
                (self.conf_correct if o.correct else self.conf_wrong).append(o.confidence)
        return outcomes

    def accuracy(self) -> dict[str, float]:
        return {k: sum(v) / len(v) for k, v in sorted(self.per_field.items()) if v}

    def summary(self) -> dict[str, Any]:
        mean = lambda xs: round(sum(xs) / len(xs), 3) if xs else None  # noqa: E731
        return {
            "documents": self.documents,
            "type_accuracy": round(self.type_correct / self.documents, 3) if self.documents else None,
            "field_accuracy": {k: round(v, 3) for k, v in self.accuracy().items()},
            "mean_confidence_correct": mean(self.conf_correct),
            "mean_confidence_wrong": mean(self.conf_wrong),
            "wrong_or_missing": sum(not c for v in self.per_field.values() for c in v),
        }


def evaluate(pairs: Iterable[tuple[dict[str, Any], ExtractionResult]], *, tolerance: float = 0.0) -> Report:
    report = Report()
    for truth, result in pairs:
        report.add(truth, result, tolerance=tolerance)
    return report
