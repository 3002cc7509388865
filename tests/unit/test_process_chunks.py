"""A batch is extracted, moderated and put to S3 in chunks: every document still reaches the stores
once, in order, with its fields, and the Document-AI JSON is not kept for the whole batch."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from docpipe.extraction import get_backend as get_extractor
from docpipe.ingest import process
from docpipe.ingest.process import BatchContext, process_batch
from docpipe.models import ObjectRef
from docpipe.moderation import get_backend as get_moderator
from docpipe.samples.generator import generate_documents
from docpipe.storage import dynamodb, postgres

HOUR = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)


class RecordingS3:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.puts: dict[str, dict[str, Any]] = {}
        self.copies: list[str] = []

    def get_object(self, *, Bucket: str, Key: str, IfMatch: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.objects[Key])}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **kwargs: Any) -> None:
        self.puts[Key] = json.loads(Body)

    def copy_object(self, *, Key: str, **kwargs: Any) -> None:
        self.copies.append(Key)


class CountingModerator:
    def __init__(self) -> None:
        self.inner = get_moderator("local")
        self.calls: list[int] = []

    def moderate_many(self, texts: list[str]) -> list[Any]:
        self.calls.append(len(texts))
        return self.inner.moderate_many(texts)


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    written: dict[str, list] = {"processed": [], "quarantined": [], "dynamodb": []}

    def write_batch(conn: Any, processed: list, quarantined: list, run_id: str) -> None:
        written["processed"].extend(processed)
        written["quarantined"].extend(quarantined)

    monkeypatch.setattr(postgres, "fetch_existing", lambda conn, ids: {})
    monkeypatch.setattr(postgres, "write_batch", write_batch)
    monkeypatch.setattr(dynamodb, "write_documents", lambda c, t, p, q: written["dynamodb"].extend(p))
    return written


def _chunk_sizes(page_counts: list[int], documents: int, pages: int) -> list[int]:
    sizes, current = [], []
    for n in page_counts:
        current.append(n)
        if len(current) >= documents or sum(current) >= pages:
            sizes.append(len(current))
            current = []
    return sizes + ([len(current)] if current else [])


@pytest.mark.parametrize(("documents", "pages"), [(3, 100), (200, 2)])
def test_chunks_reach_every_store_once_in_order(
    stores: dict[str, list], monkeypatch: pytest.MonkeyPatch, documents: int, pages: int
) -> None:
    # a chunk closes at `documents` documents or once it holds `pages` pages
    monkeypatch.setattr(process, "CHUNK_DOCUMENTS", documents)
    monkeypatch.setattr(process, "CHUNK_PAGES", pages)
    docs = list(generate_documents(8, tenants=["acme"], seed=4242, scanned_share=0.0, bad=1))
    objects = {f"uploads/acme/2026/03/15/09/{d.filename}": d.data for d in docs}
    refs = [ObjectRef(tenant_id="acme", bucket="uploads", key=k, size=len(v), etag="e", last_modified=HOUR)
            for k, v in objects.items()]  # fmt: skip
    s3, moderator = RecordingS3(objects), CountingModerator()
    ctx = BatchContext(s3=s3, dynamodb=None, pg=None, extractor=get_extractor("local"), moderator=moderator,
                       processed_bucket="processed", dynamodb_table="t", run_id="r", max_document_bytes=1 << 20)  # fmt: skip

    outcome = process_batch(ctx, 0, refs)

    assert (outcome.listed, outcome.processed, outcome.quarantined) == (9, 8, 1)
    stored = stores["processed"]
    # moderated chunk by chunk, never the whole batch at once
    assert moderator.calls == _chunk_sizes([p.extraction.page_count for p in stored], documents, pages)
    assert len(moderator.calls) > 1
    assert [p.ref.key for p in stored] == [
        r.key for r in refs if r.key not in {q.ref.key for q in stores["quarantined"]}
    ]
    assert [p.ref.key for p in stores["dynamodb"]] == [p.ref.key for p in stored]
    # each document's full result went to S3; the stores get the typed fields without the JSON
    assert len(s3.puts) == 8
    for p in stored:
        assert p.result_uri.startswith("s3://processed/")
        body = s3.puts[p.result_uri.removeprefix("s3://processed/")]
        assert body["document"]["text"] and body["document"]["pages"]
        assert p.extraction.document == {}
        assert p.extraction.entities and p.extraction.page_count >= 1
        assert {e["type"] for e in body["document"]["entities"]} == {e.type for e in p.extraction.entities}


def test_reads_run_ahead_in_order_within_a_window() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    submitted: list[int] = []
    lock = threading.Lock()

    def read(i: int) -> int:
        with lock:
            submitted.append(i)
        return i * 10

    consumed = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        for value in process._read_ahead(pool, read, list(range(100)), window=5):
            assert value == consumed * 10  # in order
            consumed += 1
            with lock:
                ahead = len(submitted) - consumed
            assert ahead <= 5  # never more than the window beyond what the caller has taken
    assert consumed == 100 and sorted(submitted) == list(range(100))
