"""OCR of page images: rapidocr (PP-OCR models bundled in its wheel, run on onnxruntime) by default,
Tesseract as the lighter alternative (`DOCPIPE_OCR_ENGINE=tesseract`).

Why rapidocr: on scanned receipts it reads far more of what matters (share of receipts whose true
company/date/address/total appears in the OCR text: 0.75/1.00/0.82/1.00 against Tesseract's
0.60/0.85/0.37/0.85), and field accuracy is capped by what OCR reads. Tesseract needs ~10x less memory
and is 2-4x faster, which can matter on small workers; it is otherwise worse on every field.

Both return rows of `Segment`s in reading order, boxes normalised to the page, the same shape as a PDF
text layer, so field extraction does not care where the text came from.
"""

from __future__ import annotations

import math
import os
import threading
import unicodedata
from pathlib import Path
from statistics import median
from typing import Any

from .layout import Segment

ENGINES = ("rapidocr", "tesseract")
# rapidocr shrinks larger images to this long side before detection: rendering PDF pages beyond it is wasted
RAPIDOCR_MAX_SIDE = 2000
# Text detection runs on the page shrunk to this; recognition reads the 2000 px image. On SROIE receipts 960 px
# instead of 1280 px keeps every field goal (company/date/address/total 0.98/1.00/0.78/0.98 with the int8
# detector, against 0.96/1.00/0.74/1.00 at 1280 px in float) at ~55% of detection's CPU time.
DET_MAX_SIDE = 960
# Text lines are read 48 px high; rapidocr pads every batch of lines to at least REC_MIN_WIDTH px. Its default
# (320) pads short lines ("1", "12.50") with mostly blank input; 96 reads the same text at ~2/3 of the cost.
REC_MIN_WIDTH = 96

# rapidocr's bundled models (its defaults for Det/Rec). Those in INT8_MODELS run as int8 copies made on this
# machine (see quantize.py) unless DOCPIPE_OCR_INT8=0. On SROIE receipts the int8 detector cuts detection's
# CPU time by ~30% with every field goal still met; an int8 recogniser saved ~20% of recognition but lost
# addresses (0.72 against 0.74 in float, the goal being 0.73), so recognition stays float.
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
INT8_MODELS: tuple[str, ...] = ("det",)
CALIBRATION_DET_SIDE = 1280

_ENGINE: Any = None
_ENGINE_VARIANT = ""
_ENGINE_LOCK = threading.Lock()


def default_engine() -> str:
    name = (os.environ.get("DOCPIPE_OCR_ENGINE") or "rapidocr").strip().lower()
    if name not in ENGINES:
        from docpipe.config import ConfigError

        raise ConfigError(f"DOCPIPE_OCR_ENGINE={name!r} is not one of {', '.join(ENGINES)}")
    return name


def _rapidocr_params(threads: int) -> dict[str, Any]:
    # Measured on scanned receipts (CPU seconds per image, interleaved runs): detecting on an image of at
    # most DET_MAX_SIDE px instead of at least 736 px saves ~20% at the same field accuracy, and skipping the
    # 180-degree line classifier ~4% (scans come upright). Padding short lines to 96 px instead of 320 px
    # before recognition saves ~30% of recognition with the same text read. onnxruntime's memory arena
    # would save ~4% but keeps the largest page's buffers for good: without it a 500-page PDF peaks at
    # ~620 MB instead of 810-950 MB.
    return {
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Global.max_side_len": RAPIDOCR_MAX_SIDE,
        "Det.limit_type": "max",
        "Det.limit_side_len": DET_MAX_SIDE,
        "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
        "EngineConfig.onnxruntime.enable_cpu_mem_arena": False,
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


def bundled_model(name: str) -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models" / name


class _Recorder:
    """An inference session that keeps a copy of every input it runs on."""

    def __init__(self, session: Any, sink: list[Any]) -> None:
        self._session, self._sink = session, sink

    def __call__(self, x: Any) -> Any:
        self._sink.append(x.copy())
        return self._session(x)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def calibration_inputs(params: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, list[Any]]:
    """What the detection ("det") and recognition ("rec") models in `kinds` are fed while the float engine
    (`params`) reads the generated calibration pages: preprocessed exactly as in production."""
    import numpy as np
    from rapidocr import RapidOCR

    from .quantize import calibration_pages

    pages = [np.asarray(p) for p in calibration_pages()]
    engine: Any = RapidOCR(params=params)
    use_rec = "rec" in kinds
    engine(pages[0], use_rec=use_rec)  # loads the models
    seen: dict[str, list[Any]] = {kind: [] for kind in kinds}
    if "det" in kinds:
        engine.text_det.session = _Recorder(engine.text_det.session, seen["det"])
    if use_rec:
        engine.text_rec.session = _Recorder(engine.text_rec.session, seen["rec"])
    for page in pages:
        engine(page, use_rec=use_rec)
    return seen


def int8_params(params: dict[str, Any]) -> dict[str, Any]:
    """Model paths of the int8 copies of the models in INT8_MODELS ({} with DOCPIPE_OCR_INT8=0; a model
    whose copy cannot be made stays float). Missing copies are built here, calibrated on one reading of the calibration pages."""
    from . import quantize

    if not quantize.enabled():
        return {}
    cache: dict[str, dict[str, list[Any]]] = {}

    def inputs(kind: str) -> list[Any]:
        if not cache:
            # activation ranges from pages detected at CALIBRATION_DET_SIDE: on SROIE, a detector calibrated
            # at 1280 px and run at 960 px read company/address/confident fields at 0.98/0.78/0.992, one
            # calibrated at 960 px at 0.90/0.74/0.959
            cache["seen"] = calibration_inputs({**params, "Det.limit_side_len": CALIBRATION_DET_SIDE}, INT8_MODELS)
        return cache["seen"][kind]

    out: dict[str, Any] = {}
    for kind, name, key in (("det", DET_MODEL, "Det.model_path"), ("rec", REC_MODEL, "Rec.model_path")):
        if kind not in INT8_MODELS or key in params:
            continue
        keep_float = quantize.head_nodes if kind == "rec" else None

        def build(src: Path, dst: Path, kind: str = kind, keep_float: Any = keep_float) -> None:
            quantize.quantize_static(src, dst, inputs(kind), keep_float=keep_float)

        path = quantize.int8_model(bundled_model(name), build)
        if path is not None:
            out[key] = str(path)
    return out


def prepare_int8() -> dict[str, str]:
    """Build the missing int8 copies now, as the engine would on first use; their rapidocr model paths."""
    return int8_params(_rapidocr_params(1))


def rapidocr_variant() -> str:
    """Which models the rapidocr engine reads: "int8r<recipe>" for the int8 copies, "" for the float
    models. Before the engine is loaded, what it will most likely load (the copies can still fail)."""
    from . import quantize

    with _ENGINE_LOCK:
        if _ENGINE is not None:
            return _ENGINE_VARIANT
    return f"int8r{quantize.RECIPE_VERSION}" if quantize.enabled() and INT8_MODELS else ""


def _rapidocr() -> Any:
    """The process's rapidocr engine, created on first use (models load in ~0.5 s and take ~150 MB; the
    first use on a machine also builds the int8 copies, ~1-2 CPU-minutes)."""
    global _ENGINE, _ENGINE_VARIANT
    with _ENGINE_LOCK:
        if _ENGINE is None:
            # One inference thread: on a shared worker, threads inside one page contend with the other
            # processes; throughput comes from one process per core, each reading its own documents.
            threads = int(os.environ.get("DOCPIPE_OCR_THREADS") or 1)
            import cv2
            from rapidocr import RapidOCR

            from .quantize import RECIPE_VERSION

            cv2.setNumThreads(threads)  # its resizes and warps would otherwise start a thread per core
            params = _rapidocr_params(threads)
            int8 = int8_params(params)
            _ENGINE = RapidOCR(params={**params, **int8})
            kinds = [kind for kind in INT8_MODELS if f"{kind.capitalize()}.model_path" in int8]
            _ENGINE_VARIANT = f"int8r{RECIPE_VERSION}" if kinds else ""
            if kinds and kinds != list(INT8_MODELS):
                _ENGINE_VARIANT += "-" + "+".join(kinds)
        return _ENGINE


def clean_text(text: str) -> str:
    """rapidocr's Latin output with its artefacts undone: full-width forms (（ ：) as ASCII, and the
    accents it puts on plain capitals ("SETIA ÁLAM") removed."""
    text = unicodedata.normalize("NFKC", text)
    if not any(ord(ch) > 0x24F for ch in text):  # leave CJK and other scripts as read
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(text.split())


def rapidocr_rows(img: Any, index: int, *, dpi: float) -> list[list[Segment]]:
    """Rows of segments read by rapidocr from a PIL image (one segment per detected text line)."""
    import numpy as np

    engine = _rapidocr()
    arr = np.asarray(img.convert("RGB"))
    out = engine(arr)
    if out.boxes is None or out.txts is None:
        return []
    width, height = img.size
    items = []
    for box, txt, score in zip(out.boxes.tolist(), out.txts, out.scores, strict=False):
        text = clean_text(txt)
        if not text:
            continue
        items.append((box, text, float(score)))
    return group_lines(items, index, float(width), float(height), 72.0 / dpi)


def group_lines(
    items: list[tuple[list[list[float]], str, float]], index: int, width: float, height: float, px_to_pt: float
) -> list[list[Segment]]:
    """Text-line boxes (four corner points, text, score) as rows: boxes whose centres sit on one line of
    the page, once the page's skew is taken out, form a row, ordered left to right."""
    if not items:
        return []
    angles = []
    for box, _, _ in items:
        (x0, y0), (x1, y1) = box[0], box[1]
        if x1 - x0 > 2 * max(abs(box[3][1] - box[0][1]), 1.0):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    skew = median(angles) if angles else 0.0
    cos, sin = math.cos(-skew), math.sin(-skew)
    boxes = []
    for box, text, score in items:
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        cx, cy = sum(xs) / 4, sum(ys) / 4
        ry = cx * sin + cy * cos  # the centre's height on the levelled page
        h = max((abs(box[3][1] - box[0][1]) + abs(box[2][1] - box[1][1])) / 2, 1.0)
        seg = Segment(text, index, min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height, score,
                      h * px_to_pt)  # fmt: skip
        boxes.append((ry, h, cx * cos - cy * sin, seg))
    boxes.sort(key=lambda b: b[0])
    rows: list[list[tuple[float, float, float, Segment]]] = []
    for b in boxes:
        ry, h, rx, seg = b
        if rows:
            row = rows[-1]
            row_y = sum(x[0] for x in row) / len(row)
            row_h = median(x[1] for x in row)
            overlaps = any(min(seg.x1, o[3].x1) - max(seg.x0, o[3].x0) > 0.3 * min(seg.x1 - seg.x0, o[3].x1 - o[3].x0)
                           for o in row)  # fmt: skip
            if abs(ry - row_y) < 0.5 * min(h, row_h) and not overlaps:
                row.append(b)
                continue
        rows.append([b])
    return [[b[3] for b in sorted(row, key=lambda b: b[2])] for row in rows]


def ocr_rows(img: Any, index: int, *, dpi: float, engine: str, psm: int, timeout: float) -> list[list[Segment]]:
    """Rows of segments of a page image, read by `engine` ("rapidocr" or "tesseract")."""
    if engine == "tesseract":
        from .layout import ocr_image

        return ocr_image(img, index, dpi=dpi, psm=psm, timeout=timeout)
    return rapidocr_rows(img, index, dpi=dpi)
