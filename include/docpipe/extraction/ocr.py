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
from statistics import median
from typing import Any

from .layout import Segment

ENGINES = ("rapidocr", "tesseract")
# rapidocr shrinks larger images to this long side before detection: rendering PDF pages beyond it is wasted
RAPIDOCR_MAX_SIDE = 2000
DET_MAX_SIDE = 1280  # text detection runs on the page shrunk to this; recognition reads the 2000 px image
# Text lines are read 48 px high; rapidocr pads every batch of lines to at least REC_MIN_WIDTH px. Its default
# (320) pads short lines ("1", "12.50") with mostly blank input; 96 reads the same text at ~2/3 of the cost.
REC_MIN_WIDTH = 96

_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()


def default_engine() -> str:
    name = (os.environ.get("DOCPIPE_OCR_ENGINE") or "rapidocr").strip().lower()
    if name not in ENGINES:
        from docpipe.config import ConfigError

        raise ConfigError(f"DOCPIPE_OCR_ENGINE={name!r} is not one of {', '.join(ENGINES)}")
    return name


def _rapidocr() -> Any:
    """The process's rapidocr engine, created on first use (models load in ~0.5 s and take ~150 MB)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            # One inference thread: on a shared worker, threads inside one page contend with the other
            # processes; throughput comes from one process per core, each reading its own documents.
            threads = int(os.environ.get("DOCPIPE_OCR_THREADS") or 1)
            import cv2
            from rapidocr import RapidOCR

            cv2.setNumThreads(threads)  # its resizes and warps would otherwise start a thread per core

            # Measured on scanned receipts (CPU seconds per image, interleaved runs): detecting on an image of at
            # most 1280 px instead of at least 736 px saves ~20% at the same field accuracy, and skipping the
            # 180-degree line classifier ~4% (scans come upright). Padding short lines to 96 px instead of 320 px
            # before recognition saves ~30% of recognition with the same text read. onnxruntime's memory arena
            # would save ~4% but keeps the largest page's buffers for good: without it a 500-page PDF peaks at
            # ~620 MB instead of 810-950 MB.
            _ENGINE = RapidOCR(
                params={
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
            )
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
