"""int8 copies of the OCR models: built into the cache once, reused, left alone when switched off, and
never in the way when they cannot be made."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from docpipe.extraction import ocr, quantize


def _tiny_model(path: Path, seed: int = 0) -> Path:
    """Conv -> Relu -> MatMul -> Add -> Softmax, opset 11, with a metadata entry (like the rec model's
    character list)."""
    rng = np.random.default_rng(seed)
    w = numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(size=(4,)).astype(np.float32), "b")
    shape = numpy_helper.from_array(np.array([1, -1, 4], dtype=np.int64), "shape")
    m = numpy_helper.from_array(rng.normal(size=(4, 5)).astype(np.float32), "m")
    bias = numpy_helper.from_array(rng.normal(size=(5,)).astype(np.float32), "bias")
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Transpose", ["r"], ["t"], name="transpose", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["t", "shape"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "m"], ["mm"], name="head_matmul"),
        helper.make_node("Add", ["mm", "bias"], ["logits"], name="head_add"),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=2),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64, 5])],
        [w, b, shape, m, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    helper.set_model_props(model, {"character": "a\nb\nc"})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _inputs(n: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.uniform(-1, 1, size=(1, 3, 8, 8)).astype(np.float32) for _ in range(n)]


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "models"
    monkeypatch.setenv("DOCPIPE_MODEL_CACHE", str(d))
    monkeypatch.delenv("DOCPIPE_OCR_INT8", raising=False)
    return d


def _build(src: Path, dst: Path) -> None:
    quantize.quantize_static(src, dst, _inputs(), keep_float=quantize.head_nodes)


def test_the_int8_copy_is_built_into_the_cache(tmp_path, cache):
    src = _tiny_model(tmp_path / "tiny.onnx")
    path = quantize.ensure_model(src, _build)
    assert path.parent == cache and path.is_file()
    assert quantize.file_sha256(src)[:16] in path.name and f"int8r{quantize.RECIPE_VERSION}" in path.name
    assert sorted(p.name for p in cache.iterdir()) == [path.name, path.name + ".lock"]  # no temp file left

    model = onnx.load(str(path))
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    weight_dq = [n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == "w_quantized"]
    assert weight_dq, "the conv weight is stored as int8"
    assert {p.key: p.value for p in model.metadata_props}["character"] == "a\nb\nc"
    # the classifier head stays float: no quantize step between the last projection and the softmax
    producers = {o: n for n in model.graph.node for o in n.output}
    node = next(n for n in model.graph.node if n.op_type == "Softmax")
    while node.op_type not in ("MatMul", "Gemm"):
        assert node.op_type not in ("QuantizeLinear", "DequantizeLinear"), node
        node = producers[node.input[0]]

    x = _inputs(1)[0]
    assert np.abs(_run(path, x) - _run(src, x)).max() < 0.05


def test_the_cached_copy_is_reused_and_a_new_source_gets_its_own(tmp_path, cache):
    src = _tiny_model(tmp_path / "tiny.onnx")
    builds: list[Path] = []

    def build(s: Path, d: Path) -> None:
        builds.append(s)
        _build(s, d)

    first = quantize.ensure_model(src, build)
    again = quantize.ensure_model(src, build)
    assert again == first and len(builds) == 1

    _tiny_model(src, seed=2)  # same file name, other weights
    other = quantize.ensure_model(src, build)
    assert other != first and len(builds) == 2


def test_concurrent_builders_build_once(tmp_path, cache):
    src = _tiny_model(tmp_path / "tiny.onnx")
    builds = []
    start = threading.Barrier(3)

    def build(s: Path, d: Path) -> None:
        builds.append(s)
        _build(s, d)

    results: list[Path] = []

    def worker() -> None:
        start.wait()
        results.append(quantize.ensure_model(src, build))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len(set(results)) == 1 and results[0].is_file()


def test_a_failed_build_leaves_the_float_model_and_no_file(tmp_path, cache, caplog):
    src = _tiny_model(tmp_path / "tiny.onnx")

    def broken(s: Path, d: Path) -> None:
        d.write_bytes(b"half a model")
        raise RuntimeError("calibration went wrong")

    with caplog.at_level(logging.WARNING, logger="docpipe.extraction.quantize"):
        assert quantize.int8_model(src, broken) is None
    assert "calibration went wrong" in caplog.text and "float model" in caplog.text
    assert not quantize.cached_path(src).exists()
    assert not [p for p in cache.iterdir() if not p.name.endswith(".lock")]
    # the next attempt builds again, and can succeed
    assert quantize.int8_model(src, _build) == quantize.cached_path(src)


def test_no_calibration_inputs_is_a_failure(tmp_path, cache):
    src = _tiny_model(tmp_path / "tiny.onnx")
    assert quantize.int8_model(src, lambda s, d: quantize.quantize_static(s, d, [])) is None


@pytest.mark.parametrize(("value", "on"), [(None, True), ("1", True), ("0", False), ("false", False), ("Off", False)])
def test_the_env_switch(monkeypatch, value, on):
    if value is None:
        monkeypatch.delenv("DOCPIPE_OCR_INT8", raising=False)
    else:
        monkeypatch.setenv("DOCPIPE_OCR_INT8", value)
    assert quantize.enabled() is on


def test_switched_off_the_engine_reads_the_float_models(monkeypatch, cache):
    monkeypatch.setenv("DOCPIPE_OCR_INT8", "0")
    monkeypatch.setenv("DOCPIPE_OCR_CHARSET", "all")  # the wheel's recogniser too (test_ocr_charset.py)

    def no_int8(*args, **kwargs):
        raise AssertionError("int8 copies must not be made when switched off")

    monkeypatch.setattr(quantize, "int8_model", no_int8)
    monkeypatch.setattr(ocr, "calibration_inputs", no_int8)
    monkeypatch.setattr(ocr, "_ENGINE", None)
    assert ocr.int8_params(ocr._rapidocr_params(1)) == {}
    assert ocr.rapidocr_variant() == ""
    assert not cache.exists()


def test_cached_copies_are_used_without_calibrating(monkeypatch, tmp_path, cache):
    det, rec = tmp_path / "det.onnx", tmp_path / "rec.onnx"
    monkeypatch.setattr(ocr, "INT8_MODELS", ("det", "rec"))
    monkeypatch.setattr(ocr, "calibration_inputs", lambda *a: pytest.fail("calibrated although cached"))
    monkeypatch.setattr(quantize, "int8_model", lambda src, build: det if "det" in Path(src).name else rec)
    assert ocr.int8_params(ocr._rapidocr_params(1)) == {"Det.model_path": str(det), "Rec.model_path": str(rec)}


def test_a_model_whose_copy_fails_stays_float(monkeypatch, tmp_path, cache):
    det = tmp_path / "det.onnx"
    monkeypatch.setattr(ocr, "INT8_MODELS", ("det", "rec"))
    monkeypatch.setattr(quantize, "int8_model", lambda src, build: det if "det" in Path(src).name else None)
    assert ocr.int8_params(ocr._rapidocr_params(1)) == {"Det.model_path": str(det)}


def test_missing_copies_are_built_from_one_calibration_run(monkeypatch, cache):
    monkeypatch.setattr(ocr, "INT8_MODELS", ("det", "rec"))
    calls = []

    def fake_inputs(params, kinds):
        calls.append(kinds)
        return {"det": ["d"], "rec": ["r"]}

    seen = {}

    def fake_quantize(src, dst, inputs, *, keep_float=None):
        seen[Path(src).name] = (list(inputs), keep_float)
        Path(dst).write_bytes(b"int8")

    monkeypatch.setattr(ocr, "calibration_inputs", fake_inputs)
    monkeypatch.setattr(quantize, "quantize_static", fake_quantize)
    params = ocr.int8_params(ocr._rapidocr_params(1))
    assert calls == [("det", "rec")]
    assert seen[ocr.DET_MODEL] == (["d"], None)
    assert seen[ocr.REC_MODEL] == (["r"], quantize.head_nodes)
    assert Path(params["Det.model_path"]).read_bytes() == b"int8"
    assert Path(params["Det.model_path"]).parent == cache
    # a second engine finds them
    monkeypatch.setattr(ocr, "calibration_inputs", lambda *a: pytest.fail("rebuilt"))
    assert ocr.int8_params(ocr._rapidocr_params(1)) == params


def test_head_nodes_are_the_softmax_and_the_final_projection(tmp_path):
    model = onnx.load(str(_tiny_model(tmp_path / "tiny.onnx")))
    assert sorted(quantize.head_nodes(model)) == ["head_add", "head_matmul", "softmax"]


def test_by_default_only_the_detector_is_int8(monkeypatch, cache):
    built = []

    def fake_quantize(src, dst, inputs, *, keep_float=None):
        built.append(Path(src).name)
        Path(dst).write_bytes(b"int8")

    calibrated_with = []

    def fake_inputs(params, kinds):
        calibrated_with.append(params)
        return {kind: ["x"] for kind in kinds}

    monkeypatch.setattr(ocr, "calibration_inputs", fake_inputs)
    monkeypatch.setattr(quantize, "quantize_static", fake_quantize)
    assert list(ocr.int8_params(ocr._rapidocr_params(1))) == ["Det.model_path"]
    assert built == [ocr.DET_MODEL]
    # calibrated on pages detected at the calibration size, whatever size detection runs at
    assert calibrated_with[0]["Det.limit_side_len"] == ocr.CALIBRATION_DET_SIDE
    assert ocr._rapidocr_params(1)["Det.limit_side_len"] == ocr.DET_MAX_SIDE
