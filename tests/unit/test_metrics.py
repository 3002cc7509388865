"""The pipeline's StatsD metrics: what one batch emits, and that the client is a no-op without metrics."""

from __future__ import annotations

from types import SimpleNamespace

from docpipe import metrics
from docpipe.ingest import process


def _doc(decision: str, confidences: list[float], extract_ms: int) -> SimpleNamespace:
    return SimpleNamespace(
        extract_ms=extract_ms,
        moderate_ms=3,
        moderation=SimpleNamespace(decision=decision),
        extraction=SimpleNamespace(entities=[SimpleNamespace(confidence=c) for c in confidences]),
    )


def test_a_batch_emits_latencies_decisions_and_low_confidence_fields(monkeypatch) -> None:
    counters: dict[str, int] = {}
    timings: list[tuple[str, float]] = []
    monkeypatch.setattr(
        metrics, "incr", lambda name, count=1: counters.__setitem__(name, counters.get(name, 0) + count)
    )
    monkeypatch.setattr(metrics, "timing", lambda name, ms: timings.append((name, ms)))

    docs = [_doc("allow", [0.95, 0.5], 120), _doc("allow", [0.79], 80), _doc("review", [0.9, 0.85, 0.1], 40)]
    process._emit_batch_metrics(docs)  # type: ignore[arg-type]

    assert counters == {
        "docpipe.moderation.allow": 2,
        "docpipe.moderation.review": 1,
        "docpipe.fields.extracted": 6,
        "docpipe.fields.low_confidence": 3,  # 0.5, 0.79 and 0.1 are below 0.8
    }
    assert sorted(ms for name, ms in timings if name == "docpipe.extract.duration") == [40, 80, 120]
    assert [ms for name, ms in timings if name == "docpipe.moderate.duration"] == [3, 3, 3]


def test_metrics_go_through_airflows_client(monkeypatch) -> None:
    sent: list[tuple[str, object]] = []

    class FakeStats:
        @staticmethod
        def incr(name: str, count: int = 1) -> None:
            sent.append((name, count))

        @staticmethod
        def timing(name: str, ms: float) -> None:
            sent.append((name, ms))

    monkeypatch.setattr(metrics, "_stats", lambda: FakeStats)
    metrics.incr("docpipe.x", 2)
    metrics.incr("docpipe.zero", 0)  # nothing to count: nothing sent
    metrics.timing("docpipe.t", 12.5)
    assert sent == [("docpipe.x", 2), ("docpipe.t", 12.5)]
