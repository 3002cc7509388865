"""Derived copies of the OCR models, built on this machine on first use and kept in a cache directory:
int8 copies, and a recogniser whose classifier keeps only the characters of one script.

The PP-OCR models are third-party files shipped inside the rapidocr wheel; instead of carrying a modified
copy in this repository, the derived copy is made where it runs. int8: static quantization (QDQ) with int8
weights per output channel in a 7-bit range (onnxruntime's advice for CPUs without VNNI, whose 8-bit
multiplies can saturate otherwise), and uint8 activations whose ranges are calibrated on pages rendered
by docpipe's own sample generator, never on customer or third-party documents. Pruned classes: the
recogniser's last projection with the columns of the other characters dropped (see `prune_classes`).

A copy is named by the source file's sha256, a recipe tag (`int8r1`, `latinr1`, ...) and the onnxruntime
version, so a new wheel, a changed recipe or a new onnxruntime builds a new copy instead of reusing a
stale one, and copies of different recipes never share a name. It is written to a temporary file and
renamed into place, under a file lock, so concurrent workers build it once and never read half a file.
Anything going wrong leaves the caller on the model the copy derives from.

Environment:
- DOCPIPE_OCR_INT8=0 turns the int8 models off (float models, as the wheel ships them);
- DOCPIPE_OCR_CHARSET=all reads with the wheel's recogniser instead of the Latin copy (see ocr.py);
- DOCPIPE_MODEL_CACHE is the cache directory (default ~/.cache/docpipe/models).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from docpipe.config import model_cache_dir

log = logging.getLogger(__name__)

# Bump whenever the recipe below changes what a copy contains: copies of older recipes are then rebuilt.
RECIPE_VERSION = 1
# Calibration pages: generated scans, a seed of their own (tests and benchmarks use others).
CALIBRATION_SEED = 9001
CALIBRATION_PAGES = 8

_OFF = {"0", "false", "no", "off"}


def enabled() -> bool:
    """Whether OCR should run on int8 models (DOCPIPE_OCR_INT8, on unless set to 0/false/no/off)."""
    return (os.environ.get("DOCPIPE_OCR_INT8") or "1").strip().lower() not in _OFF


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def int8_tag() -> str:
    """The recipe tag of the int8 copies."""
    return f"int8r{RECIPE_VERSION}"


def cached_path(src: str | Path, tag: str | None = None) -> Path:
    """Where the copy of `src` made by the recipe `tag` (default: the int8 one) lives: named by the source's
    content, the recipe and onnxruntime's version."""
    import onnxruntime

    src = Path(src)
    key = f"{file_sha256(src)[:16]}-{tag or int8_tag()}-ort{onnxruntime.__version__}"
    return model_cache_dir() / f"{src.stem}-{key}.onnx"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (a lock file) across processes, where the platform has one."""
    try:
        import fcntl
    except ImportError:  # no flock: concurrent builders each write their own temp file; the last rename wins
        yield
        return
    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_model(src: str | Path, build: Callable[[Path, Path], None], *, tag: str | None = None) -> Path:
    """The cached copy of `src` made by the recipe `tag` (default: int8), made by `build(src, tmp_path)` when
    missing. The copy appears atomically: a temp file in the cache directory, renamed into place once complete."""
    src = Path(src)
    target = cached_path(src, tag)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.with_name(target.name + ".lock")):
        if target.is_file():  # another process built it while this one waited
            return target
        fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            build(src, Path(tmp))
            os.chmod(tmp, 0o644)  # mkstemp makes it private; every worker may read the copy
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return target


def derived_model(
    src: str | Path, tag: str, build: Callable[[Path, Path], None], *, instead: str = "the float model"
) -> Path | None:
    """`ensure_model` for the recipe `tag`, or None (with a warning naming what runs `instead`) when the copy
    cannot be made: the caller keeps the model it was derived from."""
    try:
        return ensure_model(src, build, tag=tag)
    except Exception as exc:  # noqa: BLE001 - any failure means "run the source model"
        log.warning("%s copy of %s unavailable, using %s: %s: %s", tag, src, instead, type(exc).__name__, exc)
        return None


def int8_model(src: str | Path, build: Callable[[Path, Path], None]) -> Path | None:
    """The int8 copy of `src` (`derived_model`), or None: the caller keeps the float model."""
    return derived_model(src, int8_tag(), build)


def head_nodes(model: Any) -> list[str]:
    """Names of a recognition model's classifier head: the last MatMul (or Gemm), everything after it,
    and every Softmax. Quantizing them would round the per-character probabilities that become OCR
    confidences."""
    nodes = list(model.graph.node)  # ONNX graphs are stored in topological order
    names = [n.name for n in nodes if n.op_type == "Softmax"]
    last = max((i for i, n in enumerate(nodes) if n.op_type in ("MatMul", "Gemm")), default=None)
    if last is not None:
        reached = set(nodes[last].output)
        names.append(nodes[last].name)
        for n in nodes[last + 1 :]:
            if reached & set(n.input):
                reached |= set(n.output)
                names.append(n.name)
    return list(dict.fromkeys(names))


def prune_classes(src: Path, dst: Path, keep: Callable[[str], bool]) -> int:
    """Write to `dst` the CTC recognition model `src` reduced to the classes of the characters for which
    `keep(char)` holds; the number of classes left.

    The model ends in a projection to one score per class (the last MatMul, with an initializer weight
    [features, classes] and an optional bias Add), then a softmax. As rapidocr reads it, class 0 is the CTC
    blank, classes 1..n are the n characters of the metadata entry "character" (one a line) and class n+1
    the space rapidocr appends to that list; blank and space are always kept. The kept classes' logits are
    unchanged: the softmax spreads what the dropped characters scored over the kept ones. The character
    list, the output's shape and the shapes recorded for the tensors after the projection are rewritten
    to the classes kept."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    meta = {p.key: p for p in model.metadata_props}
    if "character" not in meta:
        raise ValueError(f"{src} has no character list (metadata 'character')")
    chars = meta["character"].value.splitlines()  # as rapidocr splits it
    classes = len(chars) + 2
    nodes = list(model.graph.node)  # topological order
    last = max((i for i, n in enumerate(nodes) if n.op_type in ("MatMul", "Gemm")), default=None)
    if last is None or nodes[last].op_type != "MatMul":
        raise ValueError(f"{src} does not end in a MatMul projection")
    inits = {i.name: i for i in model.graph.initializer}
    uses: dict[str, int] = {}
    for n in nodes:
        for name in n.input:
            uses[name] = uses.get(name, 0) + 1
    head = nodes[last]
    weight = inits.get(head.input[1])
    if weight is None or list(weight.dims)[-1:] != [classes] or uses[weight.name] != 1:
        raise ValueError(f"{src}: the projection's weight is not a [features, {classes}] initializer of its own")
    params = [weight]
    consumers = [n for n in nodes[last + 1 :] if head.output[0] in n.input]
    if len(consumers) == 1 and consumers[0].op_type == "Add":
        other = [name for name in consumers[0].input if name != head.output[0]]
        bias = inits.get(other[0]) if len(other) == 1 else None
        if bias is not None and list(bias.dims) == [classes] and uses[bias.name] == 1:
            params.append(bias)
    kept = [j for j, ch in enumerate(chars) if keep(ch)]
    index = np.array([0] + [1 + j for j in kept] + [classes - 1])
    for init in params:
        arr = numpy_helper.to_array(init)
        init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(np.take(arr, index, axis=-1)), init.name))
    # the tensors from the projection on carry a class axis: record its new size where a shape was stored
    reached = set(head.output)
    for n in nodes[last + 1 :]:
        if reached & set(n.input):
            reached |= set(n.output)
    for info in [*model.graph.value_info, *model.graph.output]:
        if info.name in reached:
            for dim in info.type.tensor_type.shape.dim:
                if dim.dim_value == classes:
                    dim.dim_value = len(index)
    meta["character"].value = "\n".join(chars[j] for j in kept)
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)  # raises on any shape left stale
    onnx.save(model, str(dst))
    return len(index)


def quantize_static(
    src: Path, dst: Path, inputs: Sequence[Any], *, keep_float: Callable[[Any], list[str]] | None = None
) -> None:
    """Write to `dst` the int8 (QDQ) copy of the ONNX model `src`, activations calibrated on `inputs`
    (arrays for its single input). `keep_float(model)` names nodes to leave in float."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as ort_quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not inputs:
        raise ValueError("no calibration inputs")
    source = onnx.load(str(src))
    input_name = source.graph.input[0].name
    with tempfile.TemporaryDirectory(dir=dst.parent) as tmp:
        # per-channel scales need opset 13 (DequantizeLinear's axis); the wheel's models are opset 11
        if max((o.version for o in source.opset_import if o.domain in ("", "ai.onnx")), default=0) < 13:
            converted = version_converter.convert_version(source, 13)
        else:
            converted = source
        opset13 = os.path.join(tmp, "opset13.onnx")
        onnx.save(converted, opset13)
        prepared = os.path.join(tmp, "prepared.onnx")
        quant_pre_process(opset13, prepared, skip_symbolic_shape=True)  # folds Conv+Add etc. before quantizing
        excluded = keep_float(onnx.load(prepared)) if keep_float else []

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self._it = iter(inputs)

            def get_next(self) -> dict[str, Any] | None:
                x = next(self._it, None)
                return None if x is None else {input_name: x}

        quantized = os.path.join(tmp, "int8.onnx")
        ort_quantize_static(
            prepared,
            quantized,
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=excluded,
        )
        model = onnx.load(quantized)
        # the recognition model carries its character list as metadata; the quantizer drops it
        present = {p.key for p in model.metadata_props}
        for prop in source.metadata_props:
            if prop.key not in present:
                model.metadata_props.add(key=prop.key, value=prop.value)
        onnx.save(model, str(dst))


def calibration_pages(n: int = CALIBRATION_PAGES, seed: int = CALIBRATION_SEED) -> list[Any]:
    """The first `n` pages (PIL images) of generated scans: invoices, receipts and forms."""
    import io

    from PIL import Image, ImageSequence

    from docpipe.samples.generator import generate_documents

    pages: list[Any] = []
    for doc in generate_documents(4 * n, tenants=["calibration"], seed=seed, scanned_share=1.0):
        if doc.filename.endswith(".pdf"):
            import pypdfium2 as pdfium

            from .layout import PDFIUM_LOCK

            with PDFIUM_LOCK:
                pdf = pdfium.PdfDocument(doc.data)
                try:
                    for page in pdf:
                        w, h = page.get_size()
                        pages.append(page.render(scale=min(300 / 72, 2000 / max(w, h))).to_pil().convert("RGB"))
                finally:
                    pdf.close()
        else:
            img = Image.open(io.BytesIO(doc.data))
            pages += [frame.convert("RGB") for frame in ImageSequence.Iterator(img)]
        if len(pages) >= n:
            break
    return pages[:n]
