"""What produced an extracted field (`Entity.extractor`): in the Document-AI JSON and in the
document_fields rows the Postgres writer sends."""

from __future__ import annotations

from dataclasses import replace

from docpipe.models import Entity
from docpipe.storage import postgres, synthetic


def test_to_docai_names_the_extractor_only_when_set():
    learned = Entity("invoice_id", "INV-1", 0.9, 0, {"text": "INV-1"}, None, "fs-abc")
    assert learned.to_docai()["extractor"] == "fs-abc"
    unsaid = Entity("invoice_id", "INV-1", 0.9)  # the constructors written before the attribute still work
    assert unsaid.extractor is None
    assert "extractor" not in unsaid.to_docai()
    assert {k: v for k, v in learned.to_docai().items() if k != "extractor"} == replace(
        learned, extractor=None
    ).to_docai()


def test_field_rows_carry_the_extractor_in_its_column():
    assert len(postgres.FIELD_COLUMNS) == len(postgres._FIELD_TYPES)
    column = postgres.FIELD_COLUMNS.index("extractor")
    assert postgres._FIELD_TYPES[column] == "text"
    (doc,) = synthetic.processed_documents(1, fields=0)
    doc.extraction.entities = [
        Entity("invoice_id", "INV-1", 0.9, 0, {"text": "INV-1"}, None, "fs-abc"),
        Entity("note", "plain", 0.5),
        Entity("note", "nul", 0.5, extractor="ru\x00les"),  # Postgres text cannot hold NUL
    ]
    rows = list(postgres.field_rows(doc))
    assert all(len(r) == len(postgres.FIELD_COLUMNS) for r in rows)
    assert [r[column] for r in rows] == ["fs-abc", None, "rules"]
