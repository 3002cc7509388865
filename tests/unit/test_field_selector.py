"""The learned field selector: candidates, the NumPy tree evaluator, calibration, training and its commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from docpipe.cli import main
from docpipe.extraction import labelled, selector, training
from docpipe.extraction.fields import Layout
from docpipe.extraction.layout import PageText, Segment

DATASETS = Path(os.environ.get("DOCPIPE_DATASETS", Path(__file__).resolve().parents[3] / "shared" / "datasets"))


def _layout(lines: list[str | tuple[str, str]]) -> Layout:
    """One OCR-like page: a row per entry; a tuple is a label at the left and an amount at the right."""
    rows = []
    for i, entry in enumerate(lines):
        y = 0.02 + i * 0.03
        if isinstance(entry, tuple):
            left, right = entry
            rows.append(
                [
                    Segment(left, 0, 0.1, y, 0.4, y + 0.02, 0.95, 8.0),
                    Segment(right, 0, 0.7, y, 0.85, y + 0.02, 0.95, 8.0),
                ]
            )
        else:
            rows.append([Segment(entry, 0, 0.1, y, 0.1 + 0.015 * len(entry), y + 0.02, 0.95, 8.0)])
    return Layout([PageText(1, 600.0, 1600.0, "pixels", rows, True)])


RECEIPT = [
    "KEDAI RUNCIT MAJU SDN BHD 123456-X",
    "NO. 12, JALAN BESAR,",
    "43000 KAJANG, SELANGOR",
    "TEL: 03-8888 1234",
    "DATE: 15 JUN 18 10:22",
    ("MILK", "3.20"),
    ("BREAD", "4.50"),
    ("TOTAL", "7.70"),
    ("CASH", "10.00"),
    ("CHANGE", "2.30"),
]


def test_candidates_cover_the_readings_a_receipt_allows():
    from docpipe.extraction.receipt import receipt_fields

    layout = _layout(RECEIPT)
    fields = ["supplier_name", "supplier_address", "receipt_date", "total_amount"]
    got = selector.candidates(layout, receipt_fields(layout), fields)
    names = {c.value for c in got["supplier_name"]}
    # the name without the registration number printed after it on the line
    assert "KEDAI RUNCIT MAJU SDN BHD" in names
    assert "KEDAI RUNCIT MAJU SDN BHD 123456-X" in {c.mention for c in got["supplier_name"]}
    assert "NO. 12, JALAN BESAR, 43000 KAJANG, SELANGOR" in {c.value for c in got["supplier_address"]}
    assert [c.value for c in got["receipt_date"]] == ["2018-06-15"]  # a worded date with a two-digit year
    total = next(c for c in got["total_amount"] if c.value == "7.70")
    assert total.features["label"] > 0 and total.features["derived"] == 1.0  # cash 10.00 - change 2.30
    assert next(c for c in got["total_amount"] if c.value == "10.00").features["paid"] == 1.0


def test_name_readings_drop_smudges_registrations_and_labels():
    readings = {v for _, v in selector._name_variants("Owned by: KEDAI `MAJU SDN BHD (123456-X)")}
    assert "Owned by: KEDAI `MAJU SDN BHD (123456-X)" in readings  # as printed
    assert "Owned by: KEDAI MAJU SDN BHD (123456-X)" in readings  # a smudge read as a backtick dropped
    assert "Owned by: KEDAI MAJU SDN BHD" in readings  # cut after the suffix
    assert "KEDAI MAJU SDN BHD" in readings  # and without the label


def test_exported_trees_score_exactly_like_scikit_learn():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] * X[:, 2] + rng.normal(scale=0.3, size=600)) > 0
    clf = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=9, random_state=0).fit(X, y)
    tf = training.TrainedField([f"f{i}" for i in range(5)], training.export_trees(clf, 5, 0.5),
                               np.array([-1e9, 1e9]), np.array([0.0, 1.0]))  # fmt: skip
    X_test = rng.normal(size=(200, 5))
    X_test[:7, 3] = np.nan  # missing values follow the split's learned side
    np.testing.assert_allclose(training._raw(tf, X_test), clf.decision_function(X_test), rtol=1e-9, atol=1e-9)


def test_a_close_rival_lowers_the_winners_score():
    alone = selector.winner(np.array([3.0, -4.0]))
    contested = selector.winner(np.array([3.0, 2.9]))
    assert alone[0] == contested[0] == 0
    assert alone[1] > 2.9 > 1.0 > contested[1]


def test_grouped_folds_never_split_an_issuer():
    groups = ["a"] * 7 + ["b"] * 3 + ["c"] * 3 + ["d"] * 2 + ["e"] * 5 + ["f"]
    folds = training._grouped_folds(groups, 3)
    assert sorted(i for f in folds for i in f) == list(range(len(groups)))
    for fold in folds:
        inside = {groups[i] for i in fold}
        assert not inside & {groups[i] for other in folds if other is not fold for i in other}
    assert training._grouped_folds(groups, 3) == folds  # reproducible


def test_reliability_table_and_expected_calibration_error():
    conf = [0.95, 0.95, 0.95, 0.95, 0.55, 0.55, 0.15]
    ok = [True, True, True, False, True, False, False]
    bins, ece = training.reliability(conf, ok)
    top = bins[9]
    assert (top.count, top.mean_confidence, top.accuracy) == (4, pytest.approx(0.95), 0.75)
    assert (bins[5].count, bins[5].accuracy) == (2, 0.5) and bins[1].count == 1 and bins[0].count == 0
    assert ece == pytest.approx((4 * 0.2 + 2 * 0.05 + 1 * 0.15) / 7)


def test_the_threshold_is_the_lowest_that_keeps_the_target_precision():
    conf = [0.99, 0.97, 0.96, 0.9, 0.9, 0.5]
    ok = [True, True, True, True, False, True]
    t = training.choose_threshold(conf, ok, target=0.95)
    assert (t.threshold, t.precision, t.coverage) == (0.96, 1.0, 0.5)
    assert training.choose_threshold([0.9, 0.8], [False, True], target=0.95).threshold is None


def test_strict_and_reference_scoring_rules():
    assert labelled.correct("supplier_name", "MR D.I.Y. (M) SDN BHD", "MR. D.I.Y.(M) SDN BHD")
    assert not labelled.correct("supplier_name", "MR D.I.Y. (M) SDN BHD", "MR D.I.Y. (M)")
    assert labelled.correct("supplier_name", "MR D.I.Y. (M) SDN BHD", "MR D.I.Y. (M)", "reference")
    assert not labelled.correct("total_amount", "100.00", "100.90")
    assert labelled.correct("total_amount", "100.00", "100.90", "reference")  # within 1%
    assert not labelled.correct("total_amount", "100.00", "101.50", "reference")
    assert labelled.correct("receipt_date", "15 JUN 18", "2018-06-15", "reference")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gen") / "receipts"
    assert main(["samples", "export", "--out", str(root), "--count", "36", "--scanned-share", "0", "--seed", "5"]) == 0
    return root


@pytest.mark.slow
def test_train_writes_a_reproducible_versioned_model_with_its_receipt(generated, tmp_path, monkeypatch, capsys):
    cache = tmp_path / "pages"
    monkeypatch.setenv("DOCPIPE_PAGE_CACHE", str(cache))
    out = tmp_path / "m.npz"
    args = ["models", "train", "extraction", "--dataset", str(generated), "--out", str(out), "--cv", "3",
            "--terms", "generated by docpipe samples export", "--workers", "1"]  # fmt: skip
    assert main(args) == 0
    receipt = json.loads(Path(f"{out}.json").read_text())
    assert receipt["fields"] == ["supplier_name", "supplier_address", "receipt_date", "total_amount"]
    assert receipt["data"] == [{"folder": "receipts", "documents": 36}]
    assert receipt["data_terms"] == ["generated by docpipe samples export"]
    assert len(receipt["cross_validation"]["folds"]) == 3
    assert receipt["skipped_fields"] == ["currency"]
    assert 0 < receipt["auto_accept"]["threshold"] < 1  # calibrated: never certain
    assert any(cache.iterdir())  # pages were read once and cached
    first = out.read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == first  # same data, same command: the same bytes, the same hash
    assert receipt["sha256"] == json.loads(Path(f"{out}.json").read_text())["sha256"]

    # the engine names the model in its version and on every field it chose
    monkeypatch.setenv("DOCPIPE_FIELD_MODEL", str(out))
    from docpipe.extraction.local import LocalExtractionBackend

    engine = LocalExtractionBackend()
    assert engine.version.endswith("+" + receipt["engine_version_tag"])
    doc = sorted((generated / "img").iterdir())[0]
    result = engine.extract(doc.read_bytes(), filename=doc.name)
    by_type = {e.type: e for e in result.entities}
    assert by_type["supplier_name"].extractor == receipt["engine_version_tag"]
    assert by_type["currency"].extractor == receipt["engine_version_tag"]  # read off the chosen total
    assert result.document["entities"][0]["extractor"] in (receipt["engine_version_tag"], "rules")

    monkeypatch.setenv("DOCPIPE_FIELD_MODEL", str(tmp_path / "missing.npz"))
    with pytest.raises(FileNotFoundError, match="docpipe models train extraction"):
        selector.load_model()


@pytest.mark.slow
def test_eval_writes_predictions_reliability_and_a_plot(generated, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCPIPE_PAGE_CACHE", str(tmp_path / "pages"))
    preds, plot = tmp_path / "p.jsonl", tmp_path / "r.png"
    args = ["eval", "extraction", "--dataset", str(generated), "--cv", "3", "--predictions", str(preds),
            "--plot", str(plot), "--workers", "1", "--json"]  # fmt: skip
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 36
    # the engine runs whole (the generated keys also hold the currency, which the rules read)
    assert set(report["accuracy"]) == {"company", "date", "address", "total", "currency"}
    assert report["accuracy"]["total"] >= 0.9  # clean born-digital receipts
    assert 36 * 4 <= sum(b["count"] for b in report["reliability"]) <= 36 * 5
    assert [f["fold"] for f in report["folds"]] == [0, 1, 2]
    lines = [json.loads(x) for x in preds.read_text().splitlines()]
    assert len(lines) == 36
    first = lines[0]
    assert {"id", "company", "company_confidence", "date", "address", "total", "total_confidence", "fold"} <= set(first)
    from PIL import Image

    with Image.open(plot) as im:
        assert im.size == (640, 600)


@pytest.mark.slow
@pytest.mark.skipif(not (DATASETS / "sroie-dev" / "box").is_dir(), reason=f"no SROIE transcripts at {DATASETS}")
def test_grouped_cross_validation_on_the_annotators_transcripts(capsys):
    """On SROIE's own transcripts (no OCR), the learned selector reads shops it was not trained on."""
    args = ["eval", "extraction", "--dataset", str(DATASETS / "sroie-dev"), "--cv", "5", "--transcripts", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 50
    acc = report["accuracy"]
    assert acc["date"] >= 0.9 and acc["total"] >= 0.8 and acc["company"] >= 0.6 and acc["address"] >= 0.6, acc
    assert report["expected_calibration_error"] < 0.2


@pytest.mark.parametrize(
    "printed, iso",
    [
        ("15 JUN 18", "2018-06-15"),  # worded month, two-digit year
        ("15-Jun-18 11:02", "2018-06-15"),
        ("26-05-2018", "2018-05-26"),
        ("Sold 2021-07-0309:41:17", "2021-07-03"),  # OCR glued the time to the day
        ("03072021 09:41:17", "2021-07-03"),  # a till's compact timestamp, day first
        ("20210703 09:41", "2021-07-03"),  # and year first
    ],
)
def test_dates_in_common_printed_forms(printed, iso):
    from docpipe.extraction.normalize import find_dates

    assert [d.value.isoformat() for d in find_dates(printed)] == [iso]


@pytest.mark.parametrize("printed", ["INVOICE 20210703", "Tel 0123456789 12:30", "Qty 15 JUNK 18"])
def test_numbers_that_are_not_dates(printed):
    from docpipe.extraction.normalize import find_dates

    assert find_dates(printed) == []


def test_commands_say_what_is_wrong_with_their_options(generated, tmp_path, capsys):
    ds = str(generated)
    cases = [
        (["eval", "extraction", "--dataset", ds, "--cv", "1"], "--cv needs at least 2 folds"),
        (["eval", "extraction", "--dataset", ds, "--threshold-on", "nope"], "--threshold-on names nope"),
        (["eval", "extraction", "--dataset", ds, "--target-precision", "1.5"], "--target-precision must be in"),
        (["eval", "extraction", "--dataset", ds, "--transcripts"], "--transcripts needs box/"),
        (["eval", "extraction", "--dataset", str(tmp_path)], "must hold img/"),
        (["models", "train", "extraction", "--dataset", ds, "--out", str(tmp_path / "m.npz"), "--cv", "1"],
         "--cv needs at least 2 folds"),
    ]  # fmt: skip
    for args, message in cases:
        assert main(args) == 1, args
        assert message in " ".join(capsys.readouterr().out.split()), args
    assert not (tmp_path / "m.npz").exists()
