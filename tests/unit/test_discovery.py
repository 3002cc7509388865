"""Discovery lists exactly the interval's hour partitions; batching respects Airflow's map limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from docpipe.ingest import discovery
from docpipe.ingest.process import needs_processing, summarise
from docpipe.models import ObjectRef
from docpipe.storage.postgres import ExistingDocument, source_hour

H = datetime(2026, 3, 14, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _in_memory_aws(monkeypatch):
    """These tests use moto's in-process mock, not the session's moto server."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def _ref(key: str = "uploads/acme/2026/03/14/10/a.pdf", etag: str = "e1", size: int = 10) -> ObjectRef:
    return ObjectRef("acme", "b", key, size, etag, H)


def test_hours_in_is_half_open():
    hours = list(discovery.hours_in(H, H + timedelta(hours=3)))
    assert hours == [H, H + timedelta(hours=1), H + timedelta(hours=2)]
    assert list(discovery.hours_in(H, H)) == []


def test_hours_in_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        list(discovery.hours_in(H.replace(tzinfo=None), H.replace(tzinfo=None)))


@mock_aws
def test_discover_lists_only_the_interval():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="uploads-bucket")
    keys = {
        "uploads/acme/2026/03/14/09/early.pdf": False,
        "uploads/acme/2026/03/14/10/in-1.pdf": True,
        "uploads/acme/2026/03/14/10/in-2.png": True,
        "uploads/globex/2026/03/14/10/in-3.pdf": True,
        "uploads/globex/2026/03/14/11/late.pdf": False,
        "uploads/acme/2026/03/14/10/": False,  # folder marker
        "quarantine/acme/2026/03/14/10/x.pdf": False,
    }
    for k in keys:
        s3.put_object(Bucket="uploads-bucket", Key=k, Body=b"x")
    refs = discovery.discover(s3, "uploads-bucket", "uploads", H, H + timedelta(hours=1))
    assert sorted(r.key for r in refs) == sorted(k for k, inside in keys.items() if inside)
    assert {r.tenant_id for r in refs} == {"acme", "globex"}
    only = discovery.discover(s3, "uploads-bucket", "uploads", H, H + timedelta(hours=1), tenants=["globex"])
    assert [r.key for r in only] == ["uploads/globex/2026/03/14/10/in-3.pdf"]


@mock_aws
def test_manifests_round_trip():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="processed-bucket")
    refs = [_ref(f"uploads/acme/2026/03/14/10/{i}.pdf") for i in range(5)]
    descs = discovery.write_manifests(s3, "processed-bucket", "document_ingest", "manual__2026-03-14T10:00:00+00:00",
                                      discovery.make_batches(refs, 2))  # fmt: skip
    assert [d["count"] for d in descs] == [2, 2, 1]
    index, back = discovery.read_manifest(s3, "processed-bucket", descs[1]["manifest_key"])
    assert index == 1 and back == refs[2:4]


def test_batches_grow_to_stay_under_the_map_limit():
    refs = [_ref(f"k{i}") for i in range(5000)]
    batches = discovery.make_batches(refs, 2)
    assert len(batches) <= discovery.MAX_MAPPED_TASKS
    assert sum(len(b) for b in batches) == 5000
    assert discovery.make_batches([], 10) == []


def test_batches_close_at_the_byte_budget():
    # three small born-digital files, two scans of 300 bytes, one file larger than the whole budget
    sizes = [10, 10, 10, 300, 300, 2000, 10]
    refs = [_ref(f"k{i}", size=n) for i, n in enumerate(sizes)]
    batches = discovery.make_batches(refs, 100, max_bytes=500)
    assert [[r.size for r in b] for b in batches] == [[10, 10, 10, 300], [300], [2000], [10]]
    assert [r.key for b in batches for r in b] == [r.key for r in refs]  # order kept, nothing lost
    # the document count still closes batches under the budget
    assert [len(b) for b in discovery.make_batches(refs[:3], 2, max_bytes=500)] == [2, 1]
    # no budget: count only
    assert [len(b) for b in discovery.make_batches(refs, 4)] == [4, 3]


def test_byte_budget_grows_to_stay_under_the_map_limit():
    refs = [_ref(f"k{i}", size=1000) for i in range(3000)]
    batches = discovery.make_batches(refs, 1000, max_bytes=1000)  # one document per batch would be 3,000 tasks
    assert len(batches) <= discovery.MAX_MAPPED_TASKS
    assert sum(len(b) for b in batches) == 3000
    assert max(len(b) for b in batches) < 1000  # the budget grew only as far as needed


def test_batches_fill_every_slot_of_a_round():
    refs = [_ref(f"k{i}", size=4000) for i in range(9001)]
    # nine full batches and one of a single document would leave a slot idle for the whole last round
    batches = discovery.make_batches(refs, 1000, max_bytes=8 * 1024 * 1024, spread=2)
    assert len(batches) == 10
    assert max(len(b) for b in batches) - min(len(b) for b in batches) <= 10
    assert max(len(b) for b in batches) <= 1000
    assert [r.key for b in batches for r in b] == [r.key for r in refs]  # order kept, nothing lost
    # an hour smaller than one batch still uses both slots; a round of three slots takes three batches
    assert [len(b) for b in discovery.make_batches(refs[:1000], 2500, spread=2)] == [500, 500]
    assert len(discovery.make_batches(refs[:4000], 1000, spread=3)) == 6
    # never more batches than documents, nor more than Airflow maps
    assert [len(b) for b in discovery.make_batches(refs[:1], 2500, spread=4)] == [1]
    assert len(discovery.make_batches(refs, 1, spread=1000)) <= discovery.MAX_MAPPED_TASKS


def test_spread_keeps_the_byte_budget():
    # scans: the byte budget binds; spreading over two slots must not make any batch heavier than it
    refs = [_ref(f"k{i}", size=270_000) for i in range(100)]
    batches = discovery.make_batches(refs, 2500, max_bytes=16 * 1024 * 1024, spread=2)
    assert [len(b) for b in batches] == [50, 50]
    budget = 10_000_000
    batches = discovery.make_batches(refs, 2500, max_bytes=budget, spread=2)
    assert len(batches) % 2 == 0
    assert all(sum(r.size for r in b) <= budget for b in batches)


def test_document_id_is_stable_and_distinct():
    a, b = _ref("uploads/acme/x.pdf"), _ref("uploads/acme/y.pdf")
    assert a.document_id == _ref("uploads/acme/x.pdf", etag="other").document_id
    assert a.document_id != b.document_id


@pytest.mark.parametrize(
    ("existing", "mode", "expected"),
    [
        (None, "changed", True),
        (ExistingDocument("d", "e1", "processed", "v1"), "changed", False),
        (ExistingDocument("d", "e0", "processed", "v1"), "changed", True),  # new bytes
        (ExistingDocument("d", "e1", "processed", "v0"), "changed", True),  # engine upgrade
        (ExistingDocument("d", "e1", "quarantined", None), "changed", False),
        (ExistingDocument("d", "e1", "quarantined", None), "failed", True),
        (ExistingDocument("d", "e1", "processed", "v1"), "all", True),
    ],
)
def test_needs_processing(existing, mode, expected):
    assert needs_processing(_ref(), existing, mode, "v1") is expected


def test_needs_processing_rejects_unknown_mode():
    with pytest.raises(ValueError, match="reprocess mode"):
        needs_processing(_ref(), None, "sometimes", "v1")


def test_summarise_flags_missing_documents():
    outcomes = [
        {"processed": 3, "quarantined": 1, "unchanged": 0, "quarantine_reasons": {"corrupt": 1}},
        {"processed": 2, "quarantined": 1, "unchanged": 1, "quarantine_reasons": {"corrupt": 1}},
    ]
    s = summarise(outcomes, listed=9)
    assert (s["processed"], s["quarantined"], s["unchanged"], s["missing"]) == (5, 2, 1, 1)
    assert s["quarantine_reasons"] == {"corrupt": 2}
    assert summarise(outcomes, listed=8)["missing"] == 0


def test_source_hour_from_key():
    assert source_hour("uploads/acme/2026/03/14/10/a.pdf", H + timedelta(hours=5)) == H
    assert source_hour("elsewhere/a.pdf", H + timedelta(minutes=30)) == H
