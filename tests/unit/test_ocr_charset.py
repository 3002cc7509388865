"""DOCPIPE_OCR_CHARSET: the recogniser pruned to Latin characters is built into the model cache, reads what
the full model reads on Latin pages, changes the engine version, and never stands in the way: `all`
leaves the wheel's model, and a copy that cannot be made falls back to it."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image, ImageDraw, ImageFont

from docpipe.config import ConfigError
from docpipe.extraction import ocr, quantize
from docpipe.extraction.local import ENGINE_VERSION, LocalExtractionBackend

# generated scans of their own (the int8 calibration uses quantize.CALIBRATION_SEED)
PAGES_SEED = 4242


def _reset_engine(monkeypatch) -> None:
    monkeypatch.setattr(ocr, "_ENGINE", None)
    monkeypatch.setattr(ocr, "_ENGINE_VARIANT", "")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "models"
    monkeypatch.setenv("DOCPIPE_MODEL_CACHE", str(d))
    monkeypatch.setenv("DOCPIPE_OCR_INT8", "0")  # the int8 detector has its own tests (test_ocr_quantize.py)
    monkeypatch.delenv("DOCPIPE_OCR_CHARSET", raising=False)
    _reset_engine(monkeypatch)
    return d


@pytest.fixture(scope="module")
def latin_model(tmp_path_factory) -> Path:
    """The Latin recogniser, built once for the module in a cache of its own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCPIPE_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))
        mp.delenv("DOCPIPE_OCR_CHARSET", raising=False)
        return Path(ocr.charset_params(ocr._rapidocr_params(1))["Rec.model_path"])


def _characters(model) -> list[str]:
    return {p.key: p.value for p in model.metadata_props}["character"].splitlines()


def test_the_latin_recogniser_keeps_blank_the_latin_characters_and_space(latin_model, capfd):
    src = ocr.bundled_model(ocr.REC_MODEL)
    # named by the wheel's model and its own recipe: never the name of the int8 copy
    assert latin_model.name == quantize.cached_path(src, "latinr1").name
    assert quantize.file_sha256(src)[:16] in latin_model.name and "-latinr1-" in latin_model.name
    assert latin_model.name != quantize.cached_path(src).name

    full, pruned = onnx.load(str(src)), onnx.load(str(latin_model))
    chars = _characters(pruned)
    assert chars == [ch for ch in _characters(full) if ocr.is_latin(ch)]
    assert len(chars) == 758 and {"A", "z", "0", "É", "ß", "€", "–", "$"} <= set(chars)
    assert not {"中", "あ", "한", "Ж", "α"} & set(chars)

    weights = {i.name: numpy_helper.to_array(i) for i in pruned.graph.initializer}
    full_weights = {i.name: numpy_helper.to_array(i) for i in full.graph.initializer}
    assert weights["linear_8.w_0"].shape == (120, 760) and weights["linear_8.b_0"].shape == (760,)
    position = {ch: i + 1 for i, ch in enumerate(_characters(full))}
    index = [0] + [position[ch] for ch in chars] + [len(position) + 1]  # blank, the characters, space
    np.testing.assert_array_equal(weights["linear_8.w_0"], full_weights["linear_8.w_0"][:, index])
    np.testing.assert_array_equal(weights["linear_8.b_0"], full_weights["linear_8.b_0"][index])
    assert pruned.graph.output[0].type.tensor_type.shape.dim[2].dim_value == 760
    onnx.shape_inference.infer_shapes(pruned, strict_mode=True)  # no stale shape left behind

    capfd.readouterr()
    session = ort.InferenceSession(str(latin_model), providers=["CPUExecutionProvider"])
    out = session.run(None, {"x": np.zeros((2, 3, 48, 96), dtype=np.float32)})[0]
    assert out.shape[0] == 2 and out.shape[2] == 760
    np.testing.assert_allclose(out.sum(axis=2), 1.0, rtol=1e-5)
    assert "shape info" not in capfd.readouterr().err


def test_the_latin_recogniser_reads_latin_pages_as_the_full_one(latin_model):
    from rapidocr import RapidOCR

    params = ocr._rapidocr_params(1)
    full = RapidOCR(params=params)
    latin = RapidOCR(params={**params, "Rec.model_path": str(latin_model)})
    lines = 0
    for page in quantize.calibration_pages(n=2, seed=PAGES_SEED):
        w, h = page.size
        arr = np.asarray(page.crop((0, 0, w, min(h, 450))))  # the header block of each page: kept small
        a, b = full(arr), latin(arr)
        assert list(b.txts) == list(a.txts)
        # the dropped characters' share goes to the kept ones: confidences rise a little, never fall
        diff = np.asarray(b.scores) - np.asarray(a.scores)
        assert diff.min() >= -1e-6 and diff.max() < 0.01
        lines += len(a.txts)
    assert lines >= 10


def test_prune_classes_keeps_the_chosen_columns_and_renormalises(tmp_path):
    """On a tiny CTC-shaped model: the kept classes' probabilities are the full model's, renormalised."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(size=(4, 5)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(size=(5,)).astype(np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["mm"], name="head"),
            helper.make_node("Add", ["mm", "b"], ["logits"], name="bias"),
            helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=2),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "T", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "T", 5])],
        [w, b],
        value_info=[helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, "T", 5]) for n in ("mm", "logits")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    helper.set_model_props(model, {"character": "a\n中\nc"})  # classes: blank, a, 中, c, space
    src, dst = tmp_path / "full.onnx", tmp_path / "latin.onnx"
    onnx.save(model, str(src))

    assert quantize.prune_classes(src, dst, ocr.is_latin) == 4
    pruned = onnx.load(str(dst))
    assert _characters(pruned) == ["a", "c"]
    shapes = {
        v.name: v.type.tensor_type.shape.dim[2].dim_value for v in [*pruned.graph.value_info, *pruned.graph.output]
    }
    assert shapes == {"mm": 4, "logits": 4, "y": 4}
    x = rng.normal(size=(1, 6, 4)).astype(np.float32)
    run = lambda p: ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]  # noqa: E731
    expected = run(src)[..., [0, 1, 3, 4]]
    np.testing.assert_allclose(run(dst), expected / expected.sum(axis=2, keepdims=True), rtol=1e-5)

    del model.metadata_props[:]
    onnx.save(model, str(src))
    with pytest.raises(ValueError, match="character list"):
        quantize.prune_classes(src, dst, ocr.is_latin)


@pytest.mark.parametrize(("value", "charset"), [(None, "latin"), ("latin", "latin"), (" ALL ", "all")])
def test_the_setting(monkeypatch, value, charset):
    if value is None:
        monkeypatch.delenv("DOCPIPE_OCR_CHARSET", raising=False)
    else:
        monkeypatch.setenv("DOCPIPE_OCR_CHARSET", value)
    assert ocr.default_charset() == charset


def test_an_invalid_charset_is_a_config_error(cache, monkeypatch):
    monkeypatch.setenv("DOCPIPE_OCR_CHARSET", "cjk")
    with pytest.raises(ConfigError, match=r"DOCPIPE_OCR_CHARSET='cjk' is not one of latin, all"):
        ocr.default_charset()
    with pytest.raises(ConfigError):
        LocalExtractionBackend(ocr_engine="rapidocr").version  # noqa: B018
    with pytest.raises(ConfigError):
        ocr.charset_params(ocr._rapidocr_params(1))
    assert not cache.exists()


@pytest.mark.parametrize(
    ("int8", "charset", "suffix"),
    [("0", "latin", "+latinr1"), ("0", "all", ""), ("1", "latin", "+int8r1+latinr1"), ("1", "all", "+int8r1")],
)
def test_the_engine_version_names_the_character_set(cache, monkeypatch, int8, charset, suffix):
    monkeypatch.setenv("DOCPIPE_FIELD_MODEL", "none")  # the field model's "+fs-..." is tested with the selector
    monkeypatch.setenv("DOCPIPE_OCR_INT8", int8)
    monkeypatch.setenv("DOCPIPE_OCR_CHARSET", charset)
    assert LocalExtractionBackend(ocr_engine="rapidocr").version == ENGINE_VERSION + suffix
    assert LocalExtractionBackend(ocr_engine="tesseract").version == f"{ENGINE_VERSION}+tesseract"


def test_the_engine_reads_the_model_of_its_charset(latin_model, cache, monkeypatch):
    monkeypatch.setenv("DOCPIPE_MODEL_CACHE", str(latin_model.parent))  # already built
    img = Image.new("RGB", (240, 48), "white")
    ImageDraw.Draw(img).text((8, 8), "TOTAL 12.50", fill="black", font=ImageFont.load_default(28))
    line = np.asarray(img)
    for charset, classes, variant in (("all", 18710, ""), ("latin", 760, "latinr1")):
        monkeypatch.setenv("DOCPIPE_OCR_CHARSET", charset)
        _reset_engine(monkeypatch)
        engine = ocr._rapidocr()
        assert engine(line, use_det=False, use_cls=False).txts == ("TOTAL 12.50",)
        assert engine.text_rec.session.session.get_outputs()[0].shape[2] == classes
        assert len(engine.text_rec.postprocess_op.character) == classes  # blank + characters + space
        assert ocr.rapidocr_variant() == variant
        expected = f"{ENGINE_VERSION}+{variant}" if variant else ENGINE_VERSION
        monkeypatch.setenv("DOCPIPE_FIELD_MODEL", "none")  # the field model's "+fs-..." is tested with the selector
        assert LocalExtractionBackend(ocr_engine="rapidocr").version == expected


def test_all_builds_nothing(cache, monkeypatch):
    monkeypatch.setenv("DOCPIPE_OCR_CHARSET", "all")
    monkeypatch.setattr(quantize, "prune_classes", lambda *a: pytest.fail("pruned although charset=all"))
    assert ocr.model_params(ocr._rapidocr_params(1)) == ({}, "")
    assert ocr.prepare_models() == {}
    assert not cache.exists()


def test_a_recogniser_that_cannot_be_built_falls_back_to_the_full_one(cache, monkeypatch, caplog):
    def broken(src, dst, keep):
        Path(dst).write_bytes(b"half a model")
        raise RuntimeError("disk full")

    monkeypatch.setattr(quantize, "prune_classes", broken)
    with caplog.at_level(logging.WARNING, logger="docpipe.extraction.quantize"):
        assert ocr.model_params(ocr._rapidocr_params(1)) == ({}, "")
    assert "latinr1 copy" in caplog.text and "full character set" in caplog.text and "disk full" in caplog.text
    assert not [p for p in cache.iterdir() if not p.name.endswith(".lock")]  # no half-written model


def test_an_unwritable_cache_leaves_the_full_recogniser(cache, monkeypatch, caplog):
    blocker = cache.parent / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("DOCPIPE_MODEL_CACHE", str(blocker / "models"))
    with caplog.at_level(logging.WARNING, logger="docpipe.extraction.quantize"):
        assert ocr.charset_params(ocr._rapidocr_params(1)) == {}
    assert "full character set" in caplog.text


def test_models_prepare_builds_the_latin_recogniser(cache, monkeypatch):
    from docpipe.commands import models_prepare

    prepare = models_prepare.preparers()["OCR recogniser (Latin characters)"]
    path = prepare()
    assert path is not None and path.parent == cache and "-latinr1-" in path.name
    assert ocr.prepare_models() == {"Rec.model_path": str(path)}  # the engine's own builder finds it
    monkeypatch.setenv("DOCPIPE_OCR_CHARSET", "all")
    assert prepare() is None


@pytest.mark.parametrize(
    ("read", "cleaned"),
    [
        ("SETIA ÁLAM", "SETIA ALAM"),
        ("SETIA ÁLAM – 12", "SETIA ALAM – 12"),  # punctuation of U+2000-U+21FF is still a Latin line
        ("CAFÉ €5.00", "CAFE €5.00"),
        ("（TOTAL：）  12", "(TOTAL:) 12"),
        ("東京タワー が", "東京タワー が"),  # kana keep their marks
        ("한국어 ÁB", "한국어 ÁB"),  # Hangul is not decomposed
        ("Καλημέρα", "Καλημέρα"),
    ],
)
def test_clean_text_strips_accents_from_latin_lines_only(read, cleaned):
    assert ocr.clean_text(read) == cleaned
