"""`docpipe eval extraction` and `docpipe bench extraction`: scoring rules, dataset layout, report shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docpipe.cli import main
from docpipe.extraction import evaluation
from docpipe.samples.generator import generate_documents


@pytest.mark.parametrize(
    "field, expected, got, ok",
    [
        ("company", "MR D.I.Y. (M) SDN BHD", "MR. D.I.Y.(M) SDN BHD", True),
        ("company", "FUYI MINI MARKET", "FUYI MINIMARKET", True),
        ("company", "SETIA ALAM", "SETIA ÁLAM", True),
        ("company", "TEO HENG STATIONERY", "TED HENG STATIONERY", False),
        ("address", "NO.59 JALAN PERMAS 9/5", "NO.59, JALAN PERMAS 9/5", True),
        ("address", "NO.59 JALAN PERMAS 9/5", "NO.59 JALAN PERMAS 9/6", False),
        ("total", "$8.20", "8.20", True),
        ("total", "1,234.50", "1234.5", True),
        ("total", "9.00", "9.01", False),
        ("date", "25/12/2018", "2018-12-25", True),
        ("date", "05 MAR 2018", "2018-03-05", True),
        ("date", "12-01-19", "2019-01-12", True),
        ("date", "25/12/2018", "2018-12-26", False),
        ("date", "25/12/2018", None, False),
    ],
)
def test_fields_are_scored_the_datasets_way(field, expected, got, ok):
    assert evaluation.field_correct(field, expected, got) is ok


def _dataset(root: Path, n: int) -> Path:
    """A folder in the SROIE layout made of generated scanned receipts."""
    (root / "img").mkdir(parents=True)
    (root / "key").mkdir()
    docs = [d for d in generate_documents(40, tenants=["t"], seed=11, scanned_share=1.0)
            if d.kind == "receipt" and not d.filename.endswith((".pdf", ".tif"))][:n]  # fmt: skip
    for i, d in enumerate(docs):
        ext = d.filename.rsplit(".", 1)[1]
        (root / "img" / f"{i:03d}.{ext}").write_bytes(d.data)
        f = d.truth["fields"]
        key = {"company": f["supplier_name"], "date": f["receipt_date"], "address": f["supplier_address"],
               "total": f["total_amount"]}  # fmt: skip
        (root / "key" / f"{i:03d}.json").write_text(json.dumps(key))
    (root / "key" / "999.json").write_text("{}")  # a key without its image is ignored
    return root


def test_the_dataset_must_have_img_and_key(tmp_path):
    with pytest.raises(evaluation.DatasetError, match="img/"):
        evaluation.load_dataset(tmp_path)
    (tmp_path / "img").mkdir()
    (tmp_path / "key").mkdir()
    with pytest.raises(evaluation.DatasetError, match="no document"):
        evaluation.load_dataset(tmp_path)


def test_a_key_field_left_empty_is_not_scored():
    score = evaluation.score_document("x", {"company": "A", "date": "", "address": "", "total": "1.00"}, None, 0.1)
    assert set(score.fields) == {"company", "total"}
    summary = evaluation.summarise([score])
    assert summary["accuracy"] == {"company": 0.0, "date": None, "address": None, "total": 0.0}


@pytest.mark.slow
def test_eval_extraction_json_report(tmp_path, capsys):
    root = _dataset(tmp_path / "ds", 2)
    assert main(["eval", "extraction", "--dataset", str(root), "--json", "--workers", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"documents", "accuracy", "accuracy_reference_rule", "high_confidence_precision",
                           "expected_calibration_error", "reliability", "auto_accept", "seconds_per_document",
                           "selection_ms_per_document"}  # fmt: skip
    assert report["documents"] == 2
    assert set(report["accuracy"]) == {"company", "date", "address", "total"}
    assert report["accuracy"]["total"] == 1.0 and report["accuracy"]["date"] == 1.0  # clean generated scans
    assert report["seconds_per_document"] > 0


@pytest.mark.slow
def test_bench_extraction_json_report(capsys):
    args = ["bench", "extraction", "--json", "--docs", "4", "--scans", "1", "--pages", "30", "--no-alternatives"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"born_digital_pages_per_s_per_core", "scanned_pages_per_s_per_core", "peak_rss_mb_500_pages",
                           "field_model_ms_per_document"}  # fmt: skip
    assert all(v > 0 for v in report.values())  # the model costs something: it runs
