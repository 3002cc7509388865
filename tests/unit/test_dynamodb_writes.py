"""DynamoDB read-model writes without a server: retries (botocore Stubber) and concurrent writers
(moto in-process).

moto never throttles, so the retry paths are driven with Stubber, which hands each queued error
straight to our code (botocore's own retries do not run on stubbed calls).
"""

from __future__ import annotations

import random
import threading
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from docpipe.storage import dynamodb, synthetic

TABLE = "docpipe-documents-test"


def _client() -> Any:
    return boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
        endpoint_url="http://127.0.0.1:1",  # never reached: every call is stubbed
    )  # fmt: skip


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _backoff(attempts: int = 5) -> tuple[dynamodb.Backoff, Sleeps]:
    sleeps = Sleeps()
    return dynamodb.Backoff(attempts=attempts, base=0.1, cap=0.5, sleep=sleeps, rng=random.Random(7)), sleeps


def _expected_put(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Item": item,
        "ConditionExpression": "attribute_not_exists(document_id) OR #v <= :v",
        "ExpressionAttributeNames": {"#v": "version"},
        "ExpressionAttributeValues": {":v": item["version"]},
    }


@pytest.mark.parametrize("code", sorted(dynamodb.RETRYABLE_ERRORS))
def test_throttling_is_retried_with_the_condition_on_every_attempt(code):
    (doc,) = synthetic.processed_documents(1)
    item = dynamodb.processed_item(doc)
    client = _client()
    backoff, sleeps = _backoff()
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_client_error("put_item", service_error_code=code, http_status_code=400,
                                  expected_params=_expected_put(item))  # fmt: skip
        stub.add_response("put_item", {}, expected_params=_expected_put(item))
        result = dynamodb.write_documents(client, TABLE, [doc], [], workers=1, backoff=backoff)
        stub.assert_no_pending_responses()
    assert result == dynamodb.DynamoWriteResult(written=1, stale=0)
    assert len(sleeps) == 3
    # Full jitter: each wait is drawn from [0, min(cap, base * 2**attempt)].
    assert all(0 <= s <= min(0.5, 0.1 * 2**n) for n, s in enumerate(sleeps))


def test_backoff_is_exponential_capped_and_jittered():
    backoff, _ = _backoff()
    draws = {n: [backoff.delay(n) for _ in range(400)] for n in range(6)}
    for n, values in draws.items():
        ceiling = min(0.5, 0.1 * 2**n)
        assert max(values) <= ceiling
        assert max(values) > 0.9 * ceiling and min(values) < 0.1 * ceiling  # spread over the whole range
    assert max(draws[5]) <= 0.5  # capped


def test_a_newer_version_in_the_table_counts_as_stale_not_as_an_error():
    docs = synthetic.processed_documents(3)
    client = _client()
    backoff, sleeps = _backoff()
    with Stubber(client) as stub:
        stub.add_response("put_item", {}, expected_params={"TableName": TABLE, "Item": ANY, "ConditionExpression": ANY,
                                                            "ExpressionAttributeNames": ANY,
                                                            "ExpressionAttributeValues": ANY})  # fmt: skip
        stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
        stub.add_response("put_item", {})
        result = dynamodb.write_documents(client, TABLE, docs, [], workers=1, backoff=backoff)
    assert result == dynamodb.DynamoWriteResult(written=2, stale=1)
    assert sleeps == []  # a failed condition is an answer, not a reason to retry


def test_throttling_that_never_ends_raises_after_the_last_attempt():
    (doc,) = synthetic.processed_documents(1)
    client = _client()
    backoff, sleeps = _backoff(attempts=4)
    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_client_error("put_item", service_error_code="ProvisionedThroughputExceededException",
                                  http_status_code=400)  # fmt: skip
        with pytest.raises(dynamodb.DynamoWriteError, match="ProvisionedThroughputExceededException after 4 tries"):
            dynamodb.write_documents(client, TABLE, [doc], [], workers=1, backoff=backoff)
        stub.assert_no_pending_responses()
    assert len(sleeps) == 3


def test_other_errors_are_not_retried():
    (doc,) = synthetic.processed_documents(1)
    client = _client()
    backoff, sleeps = _backoff()
    with Stubber(client) as stub:
        stub.add_client_error("put_item", service_error_code="ValidationException", http_status_code=400)
        with pytest.raises(client.exceptions.ClientError, match="ValidationException"):
            dynamodb.write_documents(client, TABLE, [doc], [], workers=1, backoff=backoff)
    assert sleeps == []


def test_several_writes_in_flight_share_one_backoff():
    """16 workers and 40 throttling answers among them: every item is written, one wait per refusal
    (which thread gets which answer is up to the scheduler)."""
    docs = synthetic.processed_documents(40)
    client = _client()
    backoff, sleeps = _backoff(attempts=50)
    with Stubber(client) as stub:
        for _ in docs:
            stub.add_client_error("put_item", service_error_code="ThrottlingException", http_status_code=400)
        for _ in docs:
            stub.add_response("put_item", {})
        result = dynamodb.write_documents(client, TABLE, docs, [], workers=16, backoff=backoff)
    assert result.written == 40 and len(sleeps) == 40


def test_a_batch_holding_one_document_twice_writes_its_newest_version():
    old = synthetic.processed_documents(1, version=1)[0]
    new = synthetic.processed_documents(1, version=2)[0]
    items = dynamodb.newest_items([dynamodb.processed_item(new), dynamodb.processed_item(old)])
    assert [it["content_sha256"]["S"] for it in items] == [new.content_sha256]


def test_two_concurrent_writers_of_different_versions_end_with_the_newer(monkeypatch):
    """Both writers run at once with 8 requests in flight each, one in reverse order, against moto.

    DynamoDB evaluates a condition and writes atomically; moto's backend takes no lock, so its
    put_item is serialised here to stand for that guarantee."""
    moto = pytest.importorskip("moto")
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    original = DynamoDBBackend.put_item

    def atomic_put_item(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", atomic_put_item)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # the session's moto server is not wanted here
    old = synthetic.processed_documents(120, version=1)
    new = synthetic.processed_documents(120, version=2)
    with moto.mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        dynamodb.ensure_table(client, TABLE)
        barrier = threading.Barrier(2)
        results: dict[str, dynamodb.DynamoWriteResult] = {}

        def write(name: str, docs: list) -> None:
            barrier.wait()
            results[name] = dynamodb.write_documents(client, TABLE, docs, [], workers=8)

        threads = [threading.Thread(target=write, args=("old", old)),
                   threading.Thread(target=write, args=("new", new[::-1]))]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        items = client.scan(TableName=TABLE)["Items"]
    assert results["new"].written == 120  # the newer version is never refused
    assert results["old"].written + results["old"].stale == 120
    assert len(items) == 120
    assert {it["content_sha256"]["S"] for it in items} == {d.content_sha256 for d in new}
