"""The Google moderation backend's pieces that need no server: chunking, billing, pacing, pool size.
(Requests against a stand-in of the REST endpoint: tests/integration/test_moderation_google.py.)"""

from __future__ import annotations

import pytest

from docpipe.moderation import get_backend
from docpipe.moderation.google import (
    PRICE_ENV,
    RPM_ENV,
    GoogleModerationBackend,
    billing_units,
    chunk_utf8,
    fit_chunks,
    pool_slots,
)


@pytest.mark.parametrize(
    "text", ["a" * 50, "é" * 40 + " x", "日本語のテキスト " * 30, "🙂 emoji " * 40, "no spaces" * 30]
)
def test_chunks_rejoin_to_the_text_and_respect_the_byte_limit(text):
    chunks = chunk_utf8(text, max_bytes=64)
    assert "".join(chunks) == text
    assert all(len(c.encode("utf-8")) <= 64 for c in chunks)
    assert all(c for c in chunks)


def test_chunks_cut_at_whitespace_when_there_is_some():
    text = " ".join(["word"] * 100)
    chunks = chunk_utf8(text, max_bytes=50)
    assert all(c.endswith(" ") for c in chunks[:-1])


def test_json_measure_splits_escaped_text_further():
    text = "é" * 300  # 600 bytes of UTF-8, 1,802 bytes as a JSON string with \\u escapes
    assert len(chunk_utf8(text, 1000)) == 1
    chunks = fit_chunks(text, 1000, measure=lambda s: len(__import__("json").dumps(s)))
    assert "".join(chunks) == text and len(chunks) >= 2


def test_billing_units_are_started_hundreds_of_characters():
    assert [billing_units(t) for t in ("x", "x" * 100, "x" * 101, "é" * 250)] == [1, 1, 2, 3]


def test_price_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(PRICE_ENV, "0.00025")
    assert get_backend("google", client=object()).price_per_unit == 0.00025
    monkeypatch.setenv(PRICE_ENV, "cheap")
    with pytest.raises(ValueError, match=PRICE_ENV):
        get_backend("google", client=object())


def test_pacing_spaces_requests(monkeypatch):
    monkeypatch.setenv(RPM_ENV, "120")
    sleeps: list[float] = []
    backend = GoogleModerationBackend(client=object(), sleep=sleeps.append)
    backend._clock = lambda: 100.0  # a frozen clock: every call is "now"
    for _ in range(3):
        backend._pace()
    assert sleeps == [pytest.approx(0.5), pytest.approx(1.0)]


def test_pool_size_for_the_quota():
    assert pool_slots(600, seconds_per_request=0.3) == 3
    assert pool_slots(600, seconds_per_request=0.05) == 1


def test_invalid_options_are_rejected():
    with pytest.raises(ValueError, match="max_chunk_bytes"):
        GoogleModerationBackend(client=object(), max_chunk_bytes=2_000_000)
    with pytest.raises(ValueError, match="max_attempts"):
        GoogleModerationBackend(client=object(), max_attempts=0)
