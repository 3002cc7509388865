"""The batch's quarantine paths, without the stack: keys that S3 could not hold behind the quarantine
prefix, a copy that S3 refuses, an S3 outage during the copy, uploads under folders that are not
tenant ids, and an engine that crashes or is unavailable. The stores are stand-ins that record what
the batch hands them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from docpipe.extraction import BackendUnavailable
from docpipe.ingest.process import S3_MAX_KEY_BYTES, BatchContext, process_batch, quarantine_key
from docpipe.models import CorruptDocument, ObjectRef, is_valid_tenant_id
from docpipe.storage import dynamodb, postgres

PREFIX = "uploads/acme/2026/03/15/09/"
HOUR = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)


def _client_error(code: str, status: int, op: str = "CopyObject") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, op)


class FakeS3:
    """get_object returns the stored bytes; copy_object does what `copy` says (default: succeed)."""

    def __init__(self, objects: dict[str, bytes], copy: Any = None) -> None:
        self.objects = objects
        self.copy = copy
        self.copies: dict[str, dict[str, str]] = {}
        self.puts: list[str] = []

    def get_object(self, *, Bucket: str, Key: str, IfMatch: str) -> dict[str, Any]:
        import io

        return {"Body": io.BytesIO(self.objects[Key])}

    def copy_object(self, *, Bucket: str, Key: str, CopySource: dict, MetadataDirective: str, Metadata: dict) -> None:
        if self.copy is not None:
            raise self.copy
        if len(Key.encode()) > S3_MAX_KEY_BYTES:
            raise _client_error("KeyTooLongError", 400)
        self.copies[Key] = dict(Metadata)

    def put_object(self, *, Bucket: str, Key: str, **kwargs: Any) -> None:
        self.puts.append(Key)


class Extractor:
    version = "test-1"

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail

    def extract(self, data: bytes, *, filename: str) -> Any:
        if self.fail is not None:
            raise self.fail
        raise CorruptDocument(f"{filename} is damaged")


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    written: dict[str, list] = {"postgres": [], "dynamodb": []}
    monkeypatch.setattr(postgres, "fetch_existing", lambda conn, ids: {})
    monkeypatch.setattr(postgres, "write_batch", lambda conn, p, q, run_id: written["postgres"].extend(q))
    monkeypatch.setattr(dynamodb, "write_documents", lambda c, t, p, q: written["dynamodb"].extend(q))
    return written


def _ref(key: str, tenant: str = "acme", data: bytes = b"%PDF-1.4 broken") -> ObjectRef:
    return ObjectRef(tenant_id=tenant, bucket="uploads", key=key, size=len(data), etag="e", last_modified=HOUR)


def _ctx(s3: FakeS3, extractor: Extractor | None = None) -> BatchContext:
    return BatchContext(s3=s3, dynamodb=None, pg=None, extractor=extractor or Extractor(), moderator=None,
                        processed_bucket="processed", dynamodb_table="t", run_id="r", max_document_bytes=1 << 20)  # fmt: skip


# ---------------------------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    "name",
    ["B" * 990 + ".pdf", "é" * 495 + ".pdf", "請" * 330, "\U0001f9fe" * 248 + ".tiff", "x" * 985, "y" * 986 + ".pdf"],
)
def test_quarantine_keys_stay_under_the_s3_limit_and_are_stable(name: str) -> None:
    key = PREFIX + name
    assert len(key.encode()) <= S3_MAX_KEY_BYTES  # a key S3 accepted as an upload
    q = quarantine_key(key)
    assert len(q.encode()) <= S3_MAX_KEY_BYTES
    assert q.startswith("quarantine/" + PREFIX)  # still under its tenant and hour
    assert q == quarantine_key(key)  # a rerun writes the same copy
    assert q.encode().decode("utf-8") == q


def test_short_keys_keep_their_plain_quarantine_key_and_long_ones_differ() -> None:
    assert quarantine_key(PREFIX + "invoice.pdf") == "quarantine/" + PREFIX + "invoice.pdf"
    exact = PREFIX + "z" * (S3_MAX_KEY_BYTES - len("quarantine/" + PREFIX))
    assert quarantine_key(exact) == "quarantine/" + exact
    a, b = PREFIX + "L" * 990 + "a.pdf", PREFIX + "L" * 990 + "b.pdf"  # they differ only past the cut
    assert quarantine_key(a) != quarantine_key(b)
    assert quarantine_key(a).endswith(".pdf")


# ---------------------------------------------------------------------------------------------- the batch


def test_a_long_key_is_quarantined_with_its_reason(stores: dict[str, list]) -> None:
    key = PREFIX + "B" * 990 + ".pdf"
    s3 = FakeS3({key: b"%PDF-1.4 broken"})
    outcome = process_batch(_ctx(s3), 0, [_ref(key)])
    assert (outcome.quarantined, outcome.quarantine_reasons) == (1, {"corrupt": 1})
    (q,) = stores["postgres"]
    assert q.quarantine_uri == f"s3://uploads/{quarantine_key(key)}"
    assert s3.copies[quarantine_key(key)]["reason"] == "corrupt"


@pytest.mark.parametrize("error", [_client_error("KeyTooLongError", 400), _client_error("InvalidArgument", 400),
                                   _client_error("AccessDenied", 403), ValueError("boom")])  # fmt: skip
def test_a_refused_quarantine_copy_is_recorded_and_the_batch_goes_on(stores: dict[str, list], error: Exception) -> None:
    keys = [PREFIX + "a.pdf", PREFIX + "b.pdf"]
    s3 = FakeS3(dict.fromkeys(keys, b"%PDF-1.4 broken"), copy=error)
    outcome = process_batch(_ctx(s3), 0, [_ref(k) for k in keys])
    assert (outcome.listed, outcome.quarantined, outcome.processed, outcome.unchanged) == (2, 2, 0, 0)
    assert outcome.quarantine_reasons == {"corrupt": 2}
    assert [q.ref.key for q in stores["postgres"]] == keys == [q.ref.key for q in stores["dynamodb"]]
    for q in stores["postgres"]:
        assert q.reason == "corrupt" and q.quarantine_uri is None
        assert "quarantine copy could not be written" in q.message


def test_a_copy_of_an_object_deleted_meanwhile_says_so(stores: dict[str, list]) -> None:
    key = PREFIX + "a.pdf"
    process_batch(_ctx(FakeS3({key: b"%PDF-1.4"}, copy=_client_error("NoSuchKey", 404))), 0, [_ref(key)])
    (q,) = stores["postgres"]
    assert q.quarantine_uri is None and "deleted before its quarantine copy" in q.message


@pytest.mark.parametrize(
    "error",
    [_client_error("SlowDown", 503), _client_error("InternalError", 500), EndpointConnectionError(endpoint_url="x")],
)
def test_an_s3_outage_during_the_copy_fails_the_batch_for_a_retry(stores: dict[str, list], error: Exception) -> None:
    key = PREFIX + "a.pdf"
    with pytest.raises(type(error)):
        process_batch(_ctx(FakeS3({key: b"%PDF-1.4"}, copy=error)), 0, [_ref(key)])
    assert stores == {"postgres": [], "dynamodb": []}  # nothing recorded: the retry redoes the batch


@pytest.mark.parametrize("tenant", ["Robert'); DROP TABLE docpipe.tenants;--", "ACME", "café", "..", "a b", "-x",
                                    "x" * 64, "acme\n", ""])  # fmt: skip
def test_folders_that_are_not_tenant_ids_are_quarantined_but_never_stored(stores: dict[str, list], tenant: str) -> None:
    assert not is_valid_tenant_id(tenant)
    bad = f"uploads/{tenant}/2026/03/15/09/x.pdf"
    good = PREFIX + "x.pdf"
    s3 = FakeS3({bad: b"%PDF-1.4", good: b"%PDF-1.4"})
    outcome = process_batch(_ctx(s3), 0, [_ref(bad, tenant), _ref(good)])
    assert (outcome.listed, outcome.quarantined) == (2, 2)
    assert outcome.quarantine_reasons == {"invalid_tenant": 1, "corrupt": 1}
    assert s3.copies["quarantine/" + bad]["reason"] == "invalid_tenant"
    assert [q.ref.tenant_id for q in stores["postgres"] + stores["dynamodb"]] == ["acme", "acme"]


def test_valid_tenant_ids_match_the_postgres_check() -> None:
    assert all(map(is_valid_tenant_id, ["acme", "a", "0", "globex-eu_2", "a" * 63]))


def test_an_engine_crash_is_quarantined_but_an_unavailable_engine_fails_the_batch(stores: dict[str, list]) -> None:
    key = PREFIX + "a.pdf"
    outcome = process_batch(_ctx(FakeS3({key: b"%PDF-1.4"}), Extractor(ZeroDivisionError("bug"))), 0, [_ref(key)])
    assert outcome.quarantine_reasons == {"engine_error": 1}
    assert stores["postgres"][0].message.startswith("the extraction engine failed: ZeroDivisionError")
    with pytest.raises(BackendUnavailable):
        process_batch(_ctx(FakeS3({key: b"%PDF-1.4"}), Extractor(BackendUnavailable("quota"))), 0, [_ref(key)])
