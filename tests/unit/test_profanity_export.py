"""alt-profanity-check's model scored from its exported arrays: same scores as the package, no
scikit-learn at scoring time, the export cached once and reused."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from docpipe.moderation import profanity

TEXTS = [
    "",
    "ok",
    "the and of",  # stop words only: no known term
    "You are an IDIOT!!",
    "what a lovely day in the park with the kids",
    "fuck " * 40,
    "shit, this invoice is late again. Total 12.50 EUR",
    "ünïcödé wörds ök, naïve café",
    "Go back to where you came from, you stupid animals",
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCPIPE_MODEL_CACHE", str(tmp_path / "models"))
    return tmp_path / "models"


def test_scores_match_the_package(cache):
    from profanity_check import predict_prob

    model = profanity.load()
    ours, theirs = model.predict_prob(TEXTS), np.asarray(predict_prob(TEXTS))
    assert ours.shape == (len(TEXTS),)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert ours[5] > 0.9 and ours[4] < 0.2  # and the scores mean something
    # one text at a time scores as in a batch
    np.testing.assert_allclose([model.predict_prob([t])[0] for t in TEXTS], ours, rtol=0, atol=1e-12)
    assert model.predict_prob([]).shape == (0,)


def test_the_export_is_written_once_and_reused(cache, monkeypatch):
    path = profanity.cache_path()
    assert path.parent == cache and not path.exists()
    profanity.load()
    assert path.exists()
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temp file left behind

    def no_export():
        raise AssertionError("the cached export should have been used")

    monkeypatch.setattr(profanity, "export_arrays", no_export)
    assert profanity.load().predict_prob(["idiot"])[0] > 0.5


def test_scoring_from_the_cache_does_not_import_scikit_learn(cache):
    profanity.load()  # the export (this process imports scikit-learn once)
    code = (
        "import sys\n"
        "from docpipe.moderation.local import LocalModerationBackend\n"
        "v = LocalModerationBackend().moderate('you are a stupid idiot')\n"
        "assert v.categories['Toxic'] > 0.5, v\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'profanity_check', 'joblib'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                         check=True)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_an_unwritable_cache_falls_back_to_the_package(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("DOCPIPE_MODEL_CACHE", str(blocker / "models"))
    predict = profanity.predictor()
    from profanity_check import predict_prob

    assert predict is predict_prob
    assert predict(["you idiot"])[0] > 0.5


def test_models_prepare_builds_the_cache_and_skips_what_is_switched_off(cache, capsys, monkeypatch):
    import argparse
    import json

    from docpipe.commands import models_prepare

    monkeypatch.setenv("DOCPIPE_OCR_INT8", "0")  # the int8 OCR build has its own tests (test_ocr_quantize.py)
    monkeypatch.setenv("DOCPIPE_OCR_CHARSET", "all")  # and so has the Latin recogniser (test_ocr_charset.py)
    assert models_prepare.run(argparse.Namespace(json=True)) == 0
    rows = {r["model"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert all(r["error"] is None for r in rows.values())
    assert rows["OCR text detector (int8)"]["path"] is None
    assert rows["OCR recogniser (Latin characters)"]["path"] is None
    assert rows["alt-profanity-check (NumPy export)"]["path"] == str(profanity.cache_path())
    assert [p.name for p in cache.iterdir()] == [profanity.cache_path().name]
