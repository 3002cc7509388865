"""The late-arrival sweep against real S3 (moto) and Postgres: of the objects in the hours before a run,
it returns exactly those the store does not hold at their current version, and nothing outside the
look-back window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from docpipe.config import Settings

pytestmark = pytest.mark.integration

START = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_sweep_returns_only_objects_missing_or_changed_in_the_store(stack) -> None:
    from docpipe.ingest.discovery import discover
    from docpipe.ingest.sweep import late_arrivals
    from docpipe.models import QuarantinedDocument
    from docpipe.storage.postgres import write_batch

    stack.reset()
    settings = Settings.from_env()
    s3 = stack.s3()

    def put(tenant: str, hour: datetime, name: str, body: bytes) -> str:
        key = f"uploads/{tenant}/{hour:%Y/%m/%d/%H}/{name}"
        s3.put_object(Bucket=settings.uploads_bucket, Key=key, Body=body)
        return key

    h1, h2 = START - timedelta(hours=1), START - timedelta(hours=2)
    stored = put("acme", h1, "stored.pdf", b"a")
    changed = put("globex", h2, "changed.pdf", b"b")
    late = put("acme", h2, "late.pdf", b"c")
    put("acme", START - timedelta(hours=3), "too-old.pdf", b"d")  # outside a 2-hour look-back
    put("acme", START, "this-hour.pdf", b"e")  # the run's own hour: listed by discovery, not the sweep

    # The store holds `stored` and `changed` as the runs of their hours saw them.
    refs = {r.key: r for r in discover(s3, settings.uploads_bucket, "uploads", h2, START)}
    with psycopg.connect(stack.app_dsn, autocommit=True) as pg:
        write_batch(pg, [], [QuarantinedDocument(refs[k], None, "corrupt", "seen", None) for k in (stored, changed)],
                    "scheduled__earlier")  # fmt: skip
        s3.put_object(Bucket=settings.uploads_bucket, Key=changed, Body=b"b, fixed")  # re-uploaded since

        found = late_arrivals(s3, pg, settings.uploads_bucket, "uploads", START, lookback_hours=2)
        assert sorted(r.key for r in found) == sorted([changed, late])
        assert late_arrivals(s3, pg, settings.uploads_bucket, "uploads", START, 2, tenants=["globex"])[0].key == changed
        assert late_arrivals(s3, pg, settings.uploads_bucket, "uploads", START, lookback_hours=0) == []
