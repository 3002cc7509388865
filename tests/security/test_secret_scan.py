"""No secret in the repository: the scanner over every file git tracks or would add, and proof that
it finds the kinds of secret it claims to (planted in memory, never written to the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .secret_scanner import scan_repository, scan_text

ROOT = Path(__file__).resolve().parents[2]


def test_repository_holds_no_secrets() -> None:
    findings = scan_repository(ROOT)
    assert not findings, (
        "possible secrets (mask shown; allow a deliberate fixture in secret_scanner.FIXTURES):\n"
        + "\n".join(map(str, findings))
    )


# Assembled at run time so that this file itself holds none of them: (rule, line, the secret in it).
_J = "."
_AWS_SECRET = "q8Lr2nVw9/Zt4Kx7Pc1Hm6" + "Yb3Fd5Js0Ga8Ue2Wi" + "R"  # secret-scan: ignore
_PG_PASSWORD = "Tr0ub4dor-and-3"  # secret-scan: ignore
PLANTED = [
    ("aws-access-key-id", "aws_access_key_id = " + "AKIA" + "Q3EGH7VZ2LXW4T5M", "Q3EGH7VZ2LXW4T5M"),
    ("aws-secret-access-key", "aws_secret_access_key: " + _AWS_SECRET, _AWS_SECRET),
    ("private-key", "-----BEGIN " + "RSA PRIVATE KEY-----", "PRIVATE KEY"),
    ("github-token", "token: " + "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "i9J0k1L2m3N4o5P6q7R8"),
    (
        "slack-webhook",
        "https://hooks.slack.com/services/" + "T0A1B2C3D/B4E5F6G7H/" + "x9Y8z7W6v5U4t3S2r1Q0p9O8",
        "x9Y8z7W6v5U4t3S2r1Q0p9O8",
    ),
    ("google-api-key", "key=" + "AIza" + "SyD4f8Gh2Jk6Lm0Np3Qr7St1Uv5Wx9Yz2Ab", "Np3Qr7St1Uv5Wx9Yz2A"),
    (
        "jwt",
        "Bearer " + "eyJhbGciOiJSUzI1NiJ9" + _J + "eyJzdWIiOiJhZG1pbiIsImV4cCI6MX0" + _J + "Zm9vYmFyYmF6cXV4cXV1eA",
        "Zm9vYmFyYmF6cXV4cXV1eA",
    ),
    (
        "sentry-dsn-key",
        "dsn = 'https://" + "0123456789abcdef" + "0123456789abcdef" + "@o1.ingest.sentry.io/42'",
        "89abcdef0123456789abcdef",
    ),
    ("password-in-url", "postgresql://app:" + _PG_PASSWORD + "@db.internal:5432/docpipe", _PG_PASSWORD),
    ("secret-assignment", 'fernet_key = "' + "Zm9vYmFyYmF6cXV4" + "LTEyMzQ1Njc4OTA=" + '"', "LTEyMzQ1Njc4OTA"),
    ("secret-assignment", "DOCPIPE_API_TOKEN=" + "9f8e7d6c5b4a" + "39281706fedcba", "39281706fedcba"),
]


@pytest.mark.parametrize(("rule", "line", "secret"), PLANTED, ids=[f"{p[0]}-{i}" for i, p in enumerate(PLANTED)])
def test_scanner_finds_planted_secrets(rule: str, line: str, secret: str) -> None:
    found = scan_text(line, "planted.py")
    assert any(f.rule.startswith(rule) for f in found), (rule, found)
    assert all(secret not in f.excerpt for f in found), "the report must not repeat the secret"


@pytest.mark.parametrize(
    "line",
    [
        'password = os.environ["DOCPIPE_PG_PASSWORD"]',
        "AIRFLOW_CONN_SNOWFLAKE_DEFAULT password local-only",
        'celery_broker_url = "rediss://:${random_password.broker.result}@${local.host}:6379/0"',
        "postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres/airflow",
        'token = "[redacted]"',
        "secret_arn = aws_secretsmanager_secret.conn.arn",
        "sha256 = 3f786850e387550fdab836ed7e6dc881de23001b",
    ],
)
def test_scanner_ignores_references_and_placeholders(line: str) -> None:
    assert scan_text(line) == []
