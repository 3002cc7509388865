"""OCR of page images: rapidocr (PP-OCR models bundled in its wheel, run on onnxruntime) by default,
Tesseract as the lighter alternative (`DOCPIPE_OCR_ENGINE=tesseract`).

Why rapidocr: on scanned receipts it reads far more of what matters (share of receipts whose true
company/date/address/total appears in the OCR text: 0.75/1.00/0.82/1.00 against Tesseract's
0.60/0.85/0.37/0.85), and field accuracy is capped by what OCR reads. Tesseract needs ~10x less memory
and is 2-4x faster, which can matter on small workers; it is otherwise worse on every field.

Character set (`DOCPIPE_OCR_CHARSET`): rapidocr's recogniser scores every timestep of a text line over
18,710 classes (CTC blank, 18,708 characters of Chinese, Japanese, Korean, Latin and other scripts, space).
`latin` (default) reads with a copy of the model whose last projection keeps only the 758 Latin-script
characters (LATIN_RANGES) plus blank and space: on 12 SROIE receipts recognition and CTC decoding took
0.88 instead of 1.08 CPU s a page (-19%), with 99.86% of the per-timestep best classes unchanged; on the
50 SROIE dev receipts every field figure is the same (company/date/address/total 0.98/1.00/0.78/0.98,
confident fields 0.99) at 1.11 instead of 1.21 CPU s a receipt. `all` reads with the wheel's full model:
for documents in CJK, Cyrillic, Greek, Arabic or other scripts, which the Latin copy cannot read.

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

# DOCPIPE_OCR_CHARSET: "latin" reads with the recogniser pruned to LATIN_RANGES, "all" with the wheel's own.
CHARSETS = ("latin", "all")
# Latin script as the pruned recogniser keeps it: Basic Latin to Latin Extended-B (accented letters of the
# European languages), then general punctuation, super- and subscripts, currency signs (EUR, INR, ...),
# letterlike symbols, number forms and arrows. 758 of the wheel's 18,708 characters.
LATIN_RANGES = ((0x0000, 0x0250), (0x2000, 0x2200))
# Bump whenever LATIN_RANGES or the pruning changes what the pruned model reads: it is then rebuilt and the
# engine version changes.
CHARSET_RECIPE_VERSION = 1

_ENGINE: Any = None
_ENGINE_VARIANT = ""
_ENGINE_LOCK = threading.Lock()


def default_engine() -> str:
    name = (os.environ.get("DOCPIPE_OCR_ENGINE") or "rapidocr").strip().lower()
    if name not in ENGINES:
        from docpipe.config import ConfigError

        raise ConfigError(f"DOCPIPE_OCR_ENGINE={name!r} is not one of {', '.join(ENGINES)}")
    return name


def default_charset() -> str:
    """The recogniser's character set (DOCPIPE_OCR_CHARSET): "latin" (default) or "all"."""
    name = (os.environ.get("DOCPIPE_OCR_CHARSET") or "latin").strip().lower()
    if name not in CHARSETS:
        from docpipe.config import ConfigError

        raise ConfigError(
            f"DOCPIPE_OCR_CHARSET={name!r} is not one of {', '.join(CHARSETS)} (latin: Latin-script text only, "
            "faster; all: every script the recogniser knows, for CJK and other scripts)"
        )
    return name


def is_latin(text: str) -> bool:
    """Whether every character of `text` is in LATIN_RANGES."""
    return all(any(lo <= ord(ch) < hi for lo, hi in LATIN_RANGES) for ch in text)


def charset_tag() -> str:
    """The recipe tag of the pruned recogniser (its cache name and the engine version carry it)."""
    return f"latinr{CHARSET_RECIPE_VERSION}"


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


def charset_params(params: dict[str, Any]) -> dict[str, Any]:
    """The model path of the recogniser of DOCPIPE_OCR_CHARSET: the copy pruned to Latin (built here when
    missing, ~0.2 s), or {} for the wheel's model (with `all`, or with a warning when the copy cannot be made)."""
    from . import quantize

    if default_charset() == "all" or "Rec.model_path" in params:
        return {}

    def build(src: Path, dst: Path) -> None:
        quantize.prune_classes(src, dst, is_latin)

    path = quantize.derived_model(bundled_model(REC_MODEL), charset_tag(), build, instead="the full character set")
    return {} if path is None else {"Rec.model_path": str(path)}


def int8_params(params: dict[str, Any], *, rec_source: str | Path | None = None) -> dict[str, Any]:
    """Model paths of the int8 copies of the models in INT8_MODELS ({} with DOCPIPE_OCR_INT8=0; a model
    whose copy cannot be made stays float). Missing copies are built here, calibrated on one reading of the
    calibration pages. The recogniser's copy is made from `rec_source` (default: the wheel's model)."""
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
    sources = {"det": bundled_model(DET_MODEL), "rec": Path(rec_source or bundled_model(REC_MODEL))}
    for kind, key in (("det", "Det.model_path"), ("rec", "Rec.model_path")):
        if kind not in INT8_MODELS or key in params:
            continue
        keep_float = quantize.head_nodes if kind == "rec" else None

        def build(src: Path, dst: Path, kind: str = kind, keep_float: Any = keep_float) -> None:
            quantize.quantize_static(src, dst, inputs(kind), keep_float=keep_float)

        path = quantize.int8_model(sources[kind], build)
        if path is not None:
            out[key] = str(path)
    return out


def model_params(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The derived models the engine reads, as rapidocr model paths (building those missing), and the
    variant string naming them (see `rapidocr_variant`)."""
    from .quantize import int8_tag

    rec = charset_params(params)
    int8 = int8_params(params, rec_source=rec.get("Rec.model_path"))
    parts = []
    kinds = [kind for kind in INT8_MODELS if f"{kind.capitalize()}.model_path" in int8]
    if kinds:
        parts.append(int8_tag() if kinds == list(INT8_MODELS) else f"{int8_tag()}-{'+'.join(kinds)}")
    if rec:
        parts.append(charset_tag())
    return {**rec, **int8}, "+".join(parts)


def prepare_models() -> dict[str, str]:
    """Build the missing derived models now, as the engine would on first use: the int8 copies and the
    recogniser of DOCPIPE_OCR_CHARSET. Their rapidocr model paths."""
    return model_params(_rapidocr_params(1))[0]


def rapidocr_variant() -> str:
    """Which models the rapidocr engine reads: "int8r<recipe>" for the int8 copies, "latinr<recipe>" for the
    recogniser pruned to Latin, joined by "+"; "" for the models the wheel ships. Before the engine is loaded,
    what it will most likely load (the copies can still fail)."""
    from . import quantize

    with _ENGINE_LOCK:
        if _ENGINE is not None:
            return _ENGINE_VARIANT
    parts = [quantize.int8_tag()] if quantize.enabled() and INT8_MODELS else []
    if default_charset() == "latin":
        parts.append(charset_tag())
    return "+".join(parts)


def _rapidocr() -> Any:
    """The process's rapidocr engine, created on first use (models load in ~0.5 s and take ~150 MB; the
    first use on a machine also builds the derived models, ~1-2 CPU-minutes)."""
    global _ENGINE, _ENGINE_VARIANT
    with _ENGINE_LOCK:
        if _ENGINE is None:
            # One inference thread: on a shared worker, threads inside one page contend with the other
            # processes; throughput comes from one process per core, each reading its own documents.
            threads = int(os.environ.get("DOCPIPE_OCR_THREADS") or 1)
            import cv2
            from rapidocr import RapidOCR

            cv2.setNumThreads(threads)  # its resizes and warps would otherwise start a thread per core
            params = _rapidocr_params(threads)
            models, variant = model_params(params)
            _ENGINE = RapidOCR(params={**params, **models})
            _ENGINE_VARIANT = variant
        return _ENGINE


def clean_text(text: str) -> str:
    """rapidocr's Latin output with its artefacts undone: full-width forms (（ ：) as ASCII, and the
    accents it puts on plain capitals ("SETIA ÁLAM") removed. A line with letters of another script (CJK,
    Cyrillic, ...; only the `all` character set reads them) keeps its marks: decomposing would split kana
    and Hangul. Punctuation, currency and other symbols ("–", "€") do not count as another script."""
    text = unicodedata.normalize("NFKC", text)
    if not any(unicodedata.category(ch).startswith("L") and not is_latin(ch) for ch in text):
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
