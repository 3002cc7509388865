"""A small secret scanner for the repository: provider key formats, private keys, credentials in URLs,
and high-entropy values assigned to secret-looking names.

    findings = scan_repository(root)          # git-tracked files plus new files git does not ignore
    findings = scan_text(text, "path")        # one file's text

Local-only values the project ships on purpose (the demo's admin login, moto's dummy keys, the
fakesnow password) are listed with their reason in `ALLOWED`; anything else that looks like a secret
is a finding. Run it by hand: `uv run python tests/security/secret_scanner.py`.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# (rule, pattern, group holding the secret (0 = whole match))
PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("aws-access-key-id", re.compile(r"\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b"), 1),
    (
        "aws-secret-access-key",
        re.compile(
            r"(?i)aws.{0,20}?(?:secret|private).{0,20}?['\"]?\s*[:=]\s*['\"]?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
        1,
    ),  # fmt: skip
    (
        "private-key",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
        0,
    ),
    ("github-token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"), 1),
    ("slack-token", re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})"), 1),
    (
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/services/(T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,})"),
        1,
    ),
    ("google-api-key", re.compile(r"\b(AIza[0-9A-Za-z_-]{35})\b"), 1),
    ("gcp-service-account-key", re.compile(r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\""), 1),
    ("stripe-secret-key", re.compile(r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})\b"), 1),
    ("jwt", re.compile(r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})\b"), 1),
    ("sentry-dsn-key", re.compile(r"https://([0-9a-f]{32})(?::[0-9a-f]{32})?@[A-Za-z0-9.-]+/\d+"), 1),
    (
        "snowflake-private-key-passphrase",
        re.compile(r"(?i)private_key_(?:file_pwd|passphrase)['\"]?\s*[:=]\s*['\"]([^'\"\s$]{6,})['\"]"),
        1,
    ),  # fmt: skip
    (
        "password-in-url",
        re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://[^/\s:@'\"<>{}$]{1,64}:([^/\s@'\"<>{}$]{3,128})@[A-Za-z0-9.-]"),
        1,
    ),
)

# name = "value" / name: value / NAME=value, for names that hold secrets
_ASSIGNMENT = re.compile(
    r"(?i)\b([a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"fernet[_-]?key|jwt[_-]?secret|client[_-]?secret|credentials?))\b['\"]?\s*(?::|=|=>)\s*['\"]?"
    r"([^'\"\s,;)}\]]{8,})"
)

# Values the project ships on purpose, with why they are not secrets.
ALLOWED: dict[str, str] = {
    "local-only": "the fakesnow stand-in's password; fakesnow ignores it",
    "docpipe-local": "moto's dummy AWS credentials (moto accepts any)",
    "admin": "the local Airflow UI login (documented, local only)",
    "airflow": "the official docker-compose's default Postgres/Airflow login (local only)",
    "docpipe": "local Postgres login of docker-compose",
}

# Fake credentials that tests feed to the scrubbers on purpose (they must look real to be scrubbed).
FIXTURES: dict[str, str] = {
    "s3cr3t": "tests/unit/test_alerts.py: a password in a URL the alert scrubber must remove",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl": "tests/unit/test_alerts.py: an unsigned JWT ('signature')",
    "p%40ss": "tests/unit/test_bench_ingest.py: a made-up password in a conninfo-to-URI conversion",
}

# Values that are references or placeholders rather than secrets.
_PLACEHOLDER = re.compile(
    r"(?i)^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|<[^>]+>|\*+|x{3,}|\.\.\.|changeme|change-me|example\S*|"
    r"dummy\S*|fake\S*|test\S*|placeholder\S*|your[_-]\S*|redacted|\[redacted\]|none|null|true|false|"
    r"os\.environ.*|env\(.*|var\.\S+|local\.\S+|data\.\S+|module\.\S+|aws_\S+|random_password\S*|"
    r"settings\.\S+|self\.\S+|conn\.\S+|args\.\S+|config\.\S+|\S*_(?:env|var|name|id|arn|path|file|key_id)|"
    r"\S+\(.*|\S*\.(?:get|read|format)\S*)$"
)

BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".pdf", ".tif", ".tiff", ".ico", ".parquet", ".db", ".gz",
                   ".zip", ".woff", ".woff2", ".ttf", ".onnx", ".pkl", ".joblib"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    excerpt: str  # the secret itself is masked

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.excerpt}"


def entropy(s: str) -> float:
    counts = Counter(s)
    return -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())


def _mask(line: str, secret: str) -> str:
    shown = secret[:4] + "..." if len(secret) > 8 else "..."
    return line.strip().replace(secret, shown)[:160]


def _allowed(value: str) -> bool:
    return (
        value in ALLOWED
        or value in FIXTURES
        or "EXAMPLE" in value  # AWS's documented example keys (AKIAIOSFODNN7EXAMPLE, ...EXAMPLEKEY)
        or "${" in value  # a Terraform/shell reference, resolved at deploy time
        or value.startswith("arn:")  # a resource name, not a credential
        or bool(_PLACEHOLDER.match(value))
    )


def scan_text(text: str, path: str = "<text>") -> list[Finding]:
    findings = []
    for n, line in enumerate(text.splitlines(), 1):
        if "secret-scan: ignore" in line:  # a deliberate fixture, marked where it stands
            continue
        for rule, pattern, group in PATTERNS:
            for m in pattern.finditer(line):
                value = m.group(group)
                if _allowed(value):
                    continue
                findings.append(Finding(path, n, rule, _mask(line, value)))
        for m in _ASSIGNMENT.finditer(line):
            value = m.group(2).rstrip("'\"")
            if _allowed(value) or len(value) < 12:
                continue
            # a real credential is long and random; words, paths and identifiers are not
            if entropy(value) >= 3.5 and sum(c.isdigit() for c in value) >= 2 and not re.fullmatch(r"[a-z_.]+", value):
                findings.append(Finding(path, n, f"secret-assignment ({m.group(1)})", _mask(line, value)))
    return findings


_NOT_SOURCE = {".git", ".venv", ".docpipe", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
               ".pytest_cache"}  # fmt: skip


def repository_files(root: Path) -> list[Path]:
    """Tracked files and new files git does not ignore (what the next commit can contain); outside a git
    checkout (an unpacked source archive), every file but the virtualenv, caches and local state."""
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                          capture_output=True)  # fmt: skip
    if proc.returncode == 0:
        return [root / p for p in proc.stdout.decode().split("\0") if p]
    return [p for p in root.rglob("*") if p.is_file() and not _NOT_SOURCE & set(p.relative_to(root).parts)]


def scan_repository(root: Path) -> list[Finding]:
    findings = []
    for path in repository_files(root):
        if path.suffix.lower() in BINARY_SUFFIXES or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        findings.extend(scan_text(data.decode("utf-8", "replace"), str(path.relative_to(root))))
    return findings


if __name__ == "__main__":
    found = scan_repository(Path(__file__).resolve().parents[2])
    print("\n".join(map(str, found)) or "no secrets found")
    sys.exit(1 if found else 0)
