"""The local moderation engine: no network, no GPU; batched, a ~2 KB text costs ~0.5-0.9 ms of CPU.

Scores, per chunk of text (10k characters, overlapping), then the max over chunks:

* **Toxic / Profanity** - the alt-profanity-check model (tf-idf + calibrated linear SVMs, scored
  with NumPy: profanity.py), run once per batch over every chunk, plus the sentences of long chunks that contain an obscenity or an
  insult (tf-idf normalisation would otherwise dilute one obscenity in 10k characters to nothing).
  The model's score counts in full for Toxic only with a target: a threat / insult / dehumanising
  pattern, insult or slur vocabulary, or a group of people named in the text - then it is the
  score of the text with its group words masked ("I am gay" is not offensive; profanity models
  think it is), and only with a word of contempt in the text (news about a group is scored high
  for "die" or "cancer" alone). Otherwise it stops at 0.45, under the review threshold: swearing at nobody is
  scored, not held. Toxic also takes 0.9 x the strongest of Insult, Derogatory and the threat
  patterns.
* **Derogatory (hate towards groups)** - hate.score(): a group named by identity and a hostile
  predicate in the same sentence (dehumanising, calls for violence or exclusion, stereotypes,
  negative traits, sweeping claims), damped in counter-speech and under negation; see hate.py.
* **every other category** - lexicons.scan(): term weights accumulate as
  ``1 - (1 - a) * exp(-b / L)``, where ``a`` is the strongest *explicit* hit (a slur, a threat
  pattern: not diluted by length), ``b`` the sum of the other hits (repeats of a term count
  1, 1/2, 1/3, ...) and ``L = max(1, sqrt(tokens / 50))`` normalises for length, so ten weapon words
  in a tweet score high and ten in a 300-page report do not.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

from docpipe.models import ModerationVerdict, PiiFinding

from . import hate as hs
from . import lexicons as lx
from . import profanity
from .pii import default_region, find_pii, validate_region
from .thresholds import (
    CATEGORIES,
    PII_REVIEW_ENV,
    CategoryThreshold,
    decide,
    env_flag,
    resolve_thresholds,
)

log = logging.getLogger(__name__)

ENGINE = "docpipe-local"
ENGINE_VERSION = "1.2"  # 1.2: violence and self-harm incitement towards people, disability and gender contempt

CHUNK_SIZE = 10_000
CHUNK_OVERLAP = 500  # > the longest span a pattern can match, so nothing is lost at a boundary
LENGTH_UNIT = 50  # tokens below which no length normalisation applies
WINDOW_MIN_CHARS = 600  # chunks longer than this get sentence windows re-scored by the model
MAX_WINDOWS = 24
BATCH_SIZE = 2_000  # texts per model call: amortises sklearn's per-call overhead, bounds memory
UNCORROBORATED_TOXIC_CAP = 0.45  # < the default Toxic review threshold

_THREAT_PATTERNS = ("threat", "veiled_threat", "death_wish", "group_violence")
_WEAK_PATTERNS = ("group_cooccurrence", "masked_profanity")
_LEXICAL_CATEGORIES = [c for c in CATEGORIES if c != "Toxic"]
# ceilings for scores made of ordinary (non-explicit) words only
_LEXICAL_CAP = {"Insult": 0.7, "Derogatory": 0.7, "Violent": 0.7, "Profanity": 0.9, "Sexual": 0.8}
_TONE_CATEGORIES = ("Profanity", "Insult", "Derogatory", "Violent")
# fmt: off
# contempt and disgust words that the category lexicons do not score on their own
_NEGATIVE_TONE = frozenset({
    "horrible", "terrible", "awful", "disgusting", "gross", "nasty", "fat", "fatty", "fatso", "slob", "slobs",
    "ugly", "stupid", "dumb", "miserable", "silly", "lame", "cuck", "cucks", "pathetic", "worthless", "useless",
    "evil", "sick", "filthy", "dirty", "smelly", "stinking", "lazy", "weird", "weirdo", "creepy", "freak", "freaks",
    "hate", "hated", "hates", "hating", "trash", "garbage", "loser", "losers", "idiot", "idiots", "ridiculous",
    "shameful", "shame", "ashamed", "embarrassing", "laughable", "repulsive", "vile", "despicable", "inferior",
    "primitive", "backward", "savage", "barbaric", "crazy", "insane", "psycho", "retarded", "wrong", "bad",
    "worst", "worse", "problem", "problems", "annoying", "boring", "dangerous", "threat", "unbearable",
}) | hs.TRAIT_WORDS | hs.DEHUMANISING_WORDS
# fmt: on
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})

# ---------------------------------------------------------------------------------------------
# alt-profanity-check's model, scored with NumPy from an export of its arrays (profanity.py): loads in
# ~10 ms instead of the ~3-7 CPU s of importing scikit-learn, once per process

_model_lock = threading.Lock()
_predict_prob: Callable[[list[str]], Any] | None = None


def _model() -> Callable[[list[str]], Any]:
    global _predict_prob
    if _predict_prob is None:
        with _model_lock:
            if _predict_prob is None:
                _predict_prob = profanity.predictor()
    return _predict_prob


def model_version() -> str:
    return profanity.version()


# ---------------------------------------------------------------------------------------------


def chunk_text(text: str, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[str]:
    """Split `text` into chunks of at most `size` characters that overlap by about `overlap`,
    cutting at whitespace when there is some near the boundary."""
    if len(text) <= size:
        return [text]
    if not 0 <= overlap < size // 2:
        raise ValueError("chunk overlap must be >= 0 and less than half the chunk size")
    chunks = []
    start = 0
    n = len(text)
    while start < n:
        end = min(start + size, n)
        if end < n:
            cut = text.rfind(" ", end - 200, end)
            cut = max(cut, text.rfind("\n", end - 200, end))
            if cut > start:
                end = cut
        chunks.append(text[start:end])
        if end >= n:
            break
        nxt = end - overlap
        ws = text.find(" ", nxt, end)
        nxt = ws + 1 if ws != -1 else nxt
        start = nxt if nxt > start else end  # always move forward
    return chunks


def _combine(hits: list[tuple[float, bool]], length_factor: float, cap: float = 1.0) -> float:
    """1 - (1 - a) * exp(-b / L): `a` the strongest explicit hit, `b` everything else. Without
    explicit evidence the score stops at `cap` (for the abuse categories: below their block
    threshold - many violent words make a report about violence, not a threat)."""
    a = 0.0
    total = 0.0
    for w, explicit in hits:
        total += w
        if explicit and w > a:
            a = w
    b = total - a
    if a == 0.0:
        return min(cap, 1.0 - math.exp(-b / length_factor))
    return 1.0 - (1.0 - a) * math.exp(-b / length_factor)


class _Prepared:
    __slots__ = ("scan", "model_rows", "lexical", "masked")

    def __init__(self, scan: lx.ScanResult, model_rows: list[str], lexical: dict[str, float], masked: bool):
        self.scan = scan
        self.model_rows = model_rows
        self.lexical = lexical
        self.masked = masked  # the last model row is the text with its group words masked


def _prepare(chunk: str) -> _Prepared:
    lowered = chunk.lower()
    if not lowered.isascii():
        lowered = lowered.translate(_QUOTES)
    tokens = lx.TOKEN_RE.findall(lowered)
    hate = hs.score(lowered, tokens)
    res = lx.scan(lowered, tokens, damp_spans=hate.counter_spans)
    if hate.score > 0.0:
        res.patterns["group_hate"] = hate.score
        res.hits.setdefault("Derogatory", []).append((hate.score, True))
        if "violence" in hate.kinds:
            res.hits.setdefault("Violent", []).append((0.9 * hate.score, True))
    lf = max(1.0, math.sqrt(res.n_tokens / LENGTH_UNIT))
    lexical = {cat: _combine(h, lf, _LEXICAL_CAP.get(cat, 1.0)) for cat, h in res.hits.items() if cat}
    rows = [lowered]
    if res.model_trigger and len(lowered) > WINDOW_MIN_CHARS:
        for sent in lx.SENTENCE_SPLIT.split(lowered):
            if len(rows) > MAX_WINDOWS:
                break
            if sent.strip() and not lx.MODEL_TRIGGERS.isdisjoint(lx.TOKEN_RE.findall(sent)):
                rows.append(sent[:1000])
    # Offensive language about a group is the core of hate speech, so naming a group corroborates
    # the model - scored on the text with the group words replaced by "people": profanity models
    # score identity words themselves as offensive ("I am gay" ~0.8), which would flag every
    # mention of a group.
    # ... and only with some hostile tone in the text: news about a group ("23% of men will die of
    # cancer") makes the model score high on death and disease words alone.
    masked = hate.names_group and not hate.counter_spans
    if masked and not any(lexical.get(c, 0.0) > 0.0 for c in _TONE_CATEGORIES):
        masked = not _NEGATIVE_TONE.isdisjoint(tokens)
    if masked:
        rows.append(hs.mask_groups(lowered))
    return _Prepared(res, rows, lexical, masked)


def _chunk_scores(prep: _Prepared, probs: list[float]) -> dict[str, float]:
    lex = prep.lexical
    scores = {cat: lex.get(cat, 0.0) for cat in _LEXICAL_CATEGORIES}
    p_group = 0.0
    if prep.masked and probs:
        p_group, probs = probs[-1], probs[:-1]
    p = max(probs) if probs else 0.0
    pats = prep.scan.patterns
    prof_lex = lex.get("Profanity", 0.0)
    # The model's score counts as Toxic only with a target: a threat / insult / dehumanising
    # pattern, insult or slur vocabulary, or a group named in the text (then the score of the text
    # with its group words masked). Swearing at nobody ("this printer is fucking useless") and rude
    # complaints stay under the review threshold: they are scored, not held.
    corroborated = (
        any(w >= 0.5 for name, w in pats.items() if name not in _WEAK_PATTERNS)
        or max(lex.get("Insult", 0.0), lex.get("Derogatory", 0.0)) >= 0.5
    )
    threat = max((pats[name] for name in _THREAT_PATTERNS if name in pats), default=0.0)
    model_toxic = p if corroborated else max(min(p, UNCORROBORATED_TOXIC_CAP), p_group)
    scores["Toxic"] = max(model_toxic, 0.9 * max(scores["Insult"], scores["Derogatory"], threat))
    # The model is trained on offensive language in general; as "Profanity" it counts in full
    # only when there is an obscenity in the text (not just a mild "hell" or "damn").
    scores["Profanity"] = max(prof_lex, p if prof_lex >= 0.25 else 0.5 * p)
    return scores


# ---------------------------------------------------------------------------------------------


class LocalModerationBackend:
    """Moderation without external services. See the module docstring for how scores are made."""

    name = "local"

    def __init__(
        self,
        thresholds: Mapping[str, Any] | str | None = None,
        *,
        pii_region: str | None = None,
        pii_review: bool | None = None,
        detect_pii: bool = True,
        chunk_size: int = CHUNK_SIZE,
        chunk_overlap: int = CHUNK_OVERLAP,
    ):
        self.thresholds: dict[str, CategoryThreshold] = resolve_thresholds(thresholds)
        self.pii_region = validate_region(pii_region or default_region())
        env_pii = env_flag(PII_REVIEW_ENV)
        self.pii_review = bool(pii_review if pii_review is not None else env_pii)
        self.detect_pii = detect_pii
        if chunk_size < 1000:
            raise ValueError("chunk_size must be at least 1000 characters")
        if not 0 <= chunk_overlap < chunk_size // 2:
            raise ValueError("chunk_overlap must be >= 0 and less than half of chunk_size")
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.version = f"{ENGINE_VERSION}+alt-profanity-check.{model_version()}"

    def __repr__(self) -> str:
        return (
            f"LocalModerationBackend(version={self.version!r}, pii_region={self.pii_region!r}, "
            f"pii_review={self.pii_review})"
        )

    # -- scoring ---------------------------------------------------------------------------

    def score_many(self, texts: list[str]) -> list[dict[str, float]]:
        """Category confidences for each text, without PII or a decision."""
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"moderation expects str, got {type(t).__name__}")
        out: list[dict[str, float]] = []
        for i in range(0, len(texts), BATCH_SIZE):
            out.extend(self._score_batch(texts[i : i + BATCH_SIZE]))
        return out

    def _score_batch(self, texts: list[str]) -> list[dict[str, float]]:
        preps: list[list[_Prepared]] = []
        rows: list[str] = []
        for text in texts:
            if not text.strip():
                preps.append([])
                continue
            per_text = [_prepare(c) for c in chunk_text(text, self.chunk_size, self.chunk_overlap)]
            preps.append(per_text)
            for p in per_text:
                rows.extend(p.model_rows)
        probs = [float(x) for x in _model()(rows)] if rows else []
        out: list[dict[str, float]] = []
        pos = 0
        for per_text in preps:
            merged = dict.fromkeys(CATEGORIES, 0.0)
            for p in per_text:
                k = len(p.model_rows)
                chunk = _chunk_scores(p, probs[pos : pos + k])
                pos += k
                for cat, s in chunk.items():
                    if s > merged[cat]:
                        merged[cat] = s
            out.append({cat: round(min(1.0, max(0.0, merged[cat])), 4) for cat in CATEGORIES})
        return out

    # -- the protocol ----------------------------------------------------------------------

    def moderate_many(self, texts: list[str]) -> list[ModerationVerdict]:
        texts = list(texts)
        scores = self.score_many(texts)
        verdicts = []
        for text, cats in zip(texts, scores, strict=True):
            pii: list[PiiFinding] = find_pii(text, self.pii_region) if self.detect_pii else []
            decision, reasons = decide(cats, self.thresholds, pii, self.pii_review)
            verdicts.append(ModerationVerdict(decision, cats, pii, ENGINE, self.version, reasons))
        if log.isEnabledFor(logging.DEBUG):  # counts only: never text or PII values
            log.debug(
                "moderated %d texts: %s",
                len(verdicts),
                {d: sum(v.decision == d for v in verdicts) for d in ("allow", "review", "block")},
            )
        return verdicts

    def moderate(self, text: str) -> ModerationVerdict:
        return self.moderate_many([text])[0]
