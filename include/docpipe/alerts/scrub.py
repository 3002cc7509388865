"""Removing document text, PII and secrets from strings that leave the pipeline (alerts, Sentry).

Documents flow through every task, so any exception message may quote one. The rules, in order:
1. secrets: credentials in URLs, `password=`/`token=`/`api_key=`-style pairs, bearer tokens, JWTs,
   AWS access key ids and secret-looking 40-character strings, Slack webhook paths, private keys;
2. PII: what `docpipe.moderation.pii` finds (e-mail, phone, card, IBAN, national ids) plus any
   e-mail-shaped string and any run of 9+ digits;
3. document text: quoted strings (`'...'`, `"..."`, `b'...'`) longer than 32 characters become
   `'[text: N chars]'`, and only the first line of a multi-line message is kept (documents have
   line breaks, error messages rarely do);
4. what is left is cut to `max_len` characters.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), REDACTED),
    (re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/\s:@'\"]+:[^/\s@'\"]+@", re.I), rf"\1{REDACTED}@"),
    (re.compile(r"https://hooks\.slack\.com/\S+", re.I), f"https://hooks.slack.com/{REDACTED}"),
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/-]+=*", re.I), f"Bearer {REDACTED}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), REDACTED),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"), REDACTED),
    (
        re.compile(
            r"(?i)\b((?:[a-z_]*_)?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key"
            r"|private[_-]?key|authorization|credentials?|dsn|fernet[_-]?key))(\s*[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^\s,;)}\]]+)"
        ),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), REDACTED),
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}")
_LONG_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[\d\s().-]{7,}\d)(?![\w])")
_QUOTED = re.compile(r"""(?<![A-Za-z0-9_])(b?)('(?:[^'\\]|\\.){33,}'|"(?:[^"\\]|\\.){33,}")""", re.S)


def scrub_secrets(text: str) -> str:
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def scrub_pii(text: str) -> str:
    try:  # the moderation engine's detectors know more formats; the regexes below are the floor
        from docpipe.moderation.pii import find_pii

        for f in sorted(find_pii(text), key=lambda f: f.start, reverse=True):
            text = text[: f.start] + f"[{f.pii_type}]" + text[f.end :]
    except Exception:
        pass
    text = _EMAIL.sub("[email]", text)
    return _LONG_NUMBER.sub(lambda m: "[number]" if sum(c.isdigit() for c in m.group()) >= 9 else m.group(), text)


def scrub_document_text(text: str) -> str:
    return _QUOTED.sub(lambda m: f"'[text: {len(m.group(2)) - 2} chars]'", text)


def scrub_text(text: Any, max_len: int = 300) -> str:
    """One string made safe to send to people and tools outside the pipeline."""
    if text is None:
        return ""
    text = scrub_document_text(scrub_pii(scrub_secrets(str(text)))).strip()
    first, _, rest = text.partition("\n")
    if rest.strip():
        text = f"{first.rstrip()} [{rest.count(chr(10)) + 1} more lines cut]"
    if len(text) > max_len:
        text = text[:max_len] + f"... [{len(text) - max_len} more chars cut]"
    return text


def scrub_structure(value: Any, *, max_len: int = 300) -> Any:
    """`scrub_text` applied to every string in nested dicts/lists (keys are kept)."""
    if isinstance(value, str):
        return scrub_text(value, max_len=max_len)
    if isinstance(value, dict):
        return {k: scrub_structure(v, max_len=max_len) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_structure(v, max_len=max_len) for v in value]
    return value
