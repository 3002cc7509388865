"""Categories, per-category decision thresholds and the allow / review / block decision."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docpipe.models import Decision, PiiFinding

# Google Cloud Natural Language `moderateText` categories, with Google's exact names.
CATEGORIES: list[str] = [
    "Toxic",
    "Insult",
    "Profanity",
    "Derogatory",
    "Sexual",
    "Death, Harm & Tragedy",
    "Violent",
    "Firearms & Weapons",
    "Public Safety",
    "Health",
    "Religion & Belief",
    "Illicit Drugs",
    "War & Conflict",
    "Politics",
    "Finance",
    "Legal",
]

THRESHOLDS_ENV = "DOCPIPE_MODERATION_THRESHOLDS"
PII_REVIEW_ENV = "DOCPIPE_MODERATION_PII_REVIEW"


@dataclass(frozen=True)
class CategoryThreshold:
    """A category blocks at score >= block and goes to review at score >= review; None = never."""

    block: float | None
    review: float | None


# Harmful-content categories block; topical ones (Health, Finance, Legal, Politics, Religion) never
# block and review only at very high confidence or not at all: an invoice is "Finance" and a
# discharge letter is "Health", and neither is a reason to hold a document.
DEFAULT_THRESHOLDS: dict[str, CategoryThreshold] = {
    "Toxic": CategoryThreshold(block=0.8, review=0.5),
    "Insult": CategoryThreshold(block=0.8, review=0.5),
    # swearing alone is scored, not held: set a review threshold for tenants that want it reviewed
    "Profanity": CategoryThreshold(block=None, review=None),
    "Derogatory": CategoryThreshold(block=0.8, review=0.5),
    "Sexual": CategoryThreshold(block=0.85, review=0.5),
    "Death, Harm & Tragedy": CategoryThreshold(block=None, review=0.9),
    "Violent": CategoryThreshold(block=0.8, review=0.5),
    "Firearms & Weapons": CategoryThreshold(block=None, review=0.7),
    "Public Safety": CategoryThreshold(block=None, review=0.9),
    "Health": CategoryThreshold(block=None, review=None),
    "Religion & Belief": CategoryThreshold(block=None, review=0.95),
    "Illicit Drugs": CategoryThreshold(block=0.9, review=0.6),
    "War & Conflict": CategoryThreshold(block=None, review=0.9),
    "Politics": CategoryThreshold(block=None, review=0.95),
    "Finance": CategoryThreshold(block=None, review=None),
    "Legal": CategoryThreshold(block=None, review=None),
}


class ThresholdConfigError(ValueError):
    """Moderation thresholds given in the wrong shape; the message says where and how to fix it."""


_SHAPE = (
    'expected a JSON object mapping category names to {"block": number|null, "review": number|null}, '
    'e.g. {"Toxic": {"block": 0.9, "review": 0.6}}'
)


def _number(source: str, cat: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ThresholdConfigError(f"{source}: {cat}.{key} must be a number between 0 and 1 or null, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ThresholdConfigError(f"{source}: {cat}.{key} must be between 0 and 1, got {value}")
    return float(value)


def parse_thresholds(
    overrides: Mapping[str, Any] | str, source: str = "thresholds", base: Mapping[str, CategoryThreshold] | None = None
) -> dict[str, CategoryThreshold]:
    """Merge `overrides` (a mapping, or its JSON text) into `base` (the defaults).

    Only the categories and keys given change: ``{"Health": {"review": 0.8}}`` keeps Health's
    block threshold and every other category as they were. Raises ThresholdConfigError.
    """
    merged = dict(base if base is not None else DEFAULT_THRESHOLDS)
    if isinstance(overrides, str):
        try:
            overrides = json.loads(overrides)
        except json.JSONDecodeError as exc:
            raise ThresholdConfigError(
                f"{source}: not valid JSON ({exc.msg} at position {exc.pos}); {_SHAPE}"
            ) from None
    if not isinstance(overrides, Mapping):
        raise ThresholdConfigError(f"{source}: got {type(overrides).__name__}; {_SHAPE}")
    for cat, spec in overrides.items():
        if cat not in DEFAULT_THRESHOLDS:
            near = [c for c in CATEGORIES if c.lower() == str(cat).lower()]
            hint = f" (did you mean {near[0]!r}?)" if near else f"; valid categories: {', '.join(CATEGORIES)}"
            raise ThresholdConfigError(f"{source}: unknown category {cat!r}{hint}")
        if not isinstance(spec, Mapping):
            raise ThresholdConfigError(f"{source}: {cat} must be an object with 'block' and/or 'review', got {spec!r}")
        unknown = set(spec) - {"block", "review"}
        if unknown:
            raise ThresholdConfigError(
                f"{source}: {cat} has unknown key(s) {sorted(unknown)}; use 'block' and 'review'"
            )
        cur = merged[cat]
        block = _number(source, cat, "block", spec["block"]) if "block" in spec else cur.block
        review = _number(source, cat, "review", spec["review"]) if "review" in spec else cur.review
        if block is not None and review is not None and review > block:
            raise ThresholdConfigError(
                f"{source}: {cat} review threshold {review} is above its block threshold {block}"
            )
        merged[cat] = CategoryThreshold(block=block, review=review)
    return merged


def resolve_thresholds(
    thresholds: Mapping[str, Any] | str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, CategoryThreshold]:
    """Defaults, then env DOCPIPE_MODERATION_THRESHOLDS (JSON), then the explicit argument."""
    env = os.environ if environ is None else environ
    out = dict(DEFAULT_THRESHOLDS)
    raw = env.get(THRESHOLDS_ENV)
    if raw and raw.strip():
        out = parse_thresholds(raw, source=f"env {THRESHOLDS_ENV}", base=out)
    if thresholds is not None:
        out = parse_thresholds(thresholds, source="thresholds argument", base=out)
    return out


def env_flag(name: str, environ: Mapping[str, str] | None = None) -> bool | None:
    env = os.environ if environ is None else environ
    raw = env.get(name)
    if raw is None or not raw.strip():
        return None
    val = raw.strip().lower()
    if val in {"1", "true", "yes", "on"}:
        return True
    if val in {"0", "false", "no", "off"}:
        return False
    raise ThresholdConfigError(f"env {name}: expected true/false, got {raw!r}")


def decide(
    scores: Mapping[str, float],
    thresholds: Mapping[str, CategoryThreshold],
    pii: list[PiiFinding] | None = None,
    pii_review: bool = False,
) -> tuple[Decision, list[str]]:
    """The decision and the reasons that produced it (every category over a threshold is listed,
    block reasons first)."""
    blocks: list[str] = []
    reviews: list[str] = []
    for cat in CATEGORIES:
        t = thresholds[cat]
        s = scores.get(cat, 0.0)
        if t.block is not None and s >= t.block:
            blocks.append(f"{cat} {s:.2f} >= block {t.block:.2f}")
        elif t.review is not None and s >= t.review:
            reviews.append(f"{cat} {s:.2f} >= review {t.review:.2f}")
    if pii and pii_review:
        kinds = sorted({f.pii_type for f in pii})
        reviews.append(f"PII present ({', '.join(kinds)}; {len(pii)} finding(s)) and PII review is on")
    decision: Decision = "block" if blocks else "review" if reviews else "allow"
    return decision, blocks + reviews
