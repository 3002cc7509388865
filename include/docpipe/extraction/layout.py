"""Positioned text of a page, from a PDF text layer (pypdfium2) or from Tesseract OCR.

Both readers produce the same shape: rows of `Segment`s in reading order, where a segment is a run of
words without a wide horizontal gap (a table cell, a label, a value). Boxes are normalised to [0, 1]
with the origin at the top left of the page as displayed.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import threading
from dataclasses import dataclass
from statistics import median
from typing import Any

# pdfium keeps global state and is not thread-safe; every call into it goes through this lock.
PDFIUM_LOCK = threading.RLock()

# A gap wider than this many text heights between two words separates two segments. OCR boxes hug the
# glyphs (a line's median word is ~0.65 em tall) and monospace fonts leave ~1 em between words, hence 2.0.
GAP_FACTOR = 1.2
OCR_GAP_FACTOR = 2.0
OCR_MIN_WORD_CONF = 25  # below this Tesseract's "words" are specks, rules and shading
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ufffe\uffff]")


@dataclass
class Segment:
    text: str
    page: int  # zero-based
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float  # 0..1: 1.0 for a text layer, Tesseract's mean word confidence for OCR
    size: float  # text height in points: a stand-in for the font size
    start: int = 0  # offsets of `text` in the document text, set when the text is assembled
    end: int = 0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def bbox(self) -> list[float]:
        return [round(min(max(v, 0.0), 1.0), 4) for v in (self.x0, self.y0, self.x1, self.y1)]


@dataclass
class PageText:
    number: int  # 1-based
    width: float
    height: float
    unit: str  # "points" | "pixels"
    rows: list[list[Segment]]
    ocr: bool

    @property
    def segments(self) -> list[Segment]:
        return [s for row in self.rows for s in row]


_DESCENDERS = set("gjpqy,;()[]{}|/@$")
_TALL = set("bdfhiklt0123456789!?#%&'\"") | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _glyph_extent(word: str) -> float:
    """How tall a word's ink is, in font sizes: OCR boxes hug the glyphs, so "ace" is shorter than "Age"."""
    tall = any(ch in _TALL for ch in word)
    low = any(ch in _DESCENDERS for ch in word)
    return (0.72 if tall else 0.52) + (0.21 if low else 0.0)


Word = tuple  # (text, x0, y0, x1, y1, conf[, font size]) in display units


def _split_row(words: list[Word], page: int, sx: float, sy: float,
               unit_to_pt: float, line_h: float | None = None, gap_factor: float = GAP_FACTOR) -> list[Segment]:  # fmt: skip
    """Group words (text, X0, Y0, X1, Y1, conf[, font size]) of one line, in display units, into segments.

    `line_h` is the line's text height when word boxes do not share one (OCR boxes hug each glyph)."""
    segs: list[Segment] = []
    cur: list[Word] = []

    def flush() -> None:
        if not cur:
            return
        x0 = min(w[1] for w in cur)
        y0 = min(w[2] for w in cur)
        x1 = max(w[3] for w in cur)
        y1 = max(w[4] for w in cur)
        heights = sorted(w[6] if len(w) > 6 else w[4] - w[2] for w in cur)
        segs.append(
            Segment(" ".join(w[0] for w in cur), page, x0 / sx, y0 / sy, x1 / sx, y1 / sy,
                    sum(w[5] for w in cur) / len(cur), heights[len(heights) // 2] * unit_to_pt)
        )  # fmt: skip
        cur.clear()

    for w in words:
        if cur:
            prev = cur[-1]
            h = line_h or max(prev[4] - prev[2], w[4] - w[2], 1e-6)
            gap = w[1] - prev[3]
            off_line = abs((w[2] + w[4]) / 2 - (prev[2] + prev[4]) / 2) > 0.6 * h
            if gap > gap_factor * h or gap < -0.5 * h or off_line:
                flush()
        cur.append(w)
    flush()
    return segs


# ---------------------------------------------------------------------------------------------- PDF text layer


def _readable(ch: str) -> bool:
    # fonts without a Unicode map come out as private-use code points or U+FFFD: that text layer is useless
    return ch.isprintable() and not ("\ue000" <= ch <= "\uf8ff") and ch != "\ufffd"


def read_text_layer(page: Any, index: int) -> tuple[list[list[Segment]], int]:
    """Rows of segments from a pypdfium2 page's text layer, and its count of readable non-space characters.

    Two char-box lookups per word (its first and last character) are enough for word boxes, which keeps
    a page at about a millisecond; boxes are the font's loose boxes so that a line has one height.
    """
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = page.get_cropbox()
    rot = page.get_rotation() % 360
    disp_w, disp_h = (top - bottom, right - left) if rot in (90, 270) else (right - left, top - bottom)

    def to_display(x: float, y: float) -> tuple[float, float]:
        if rot == 90:
            return y - bottom, x - left
        if rot == 180:
            return right - x, y - bottom
        if rot == 270:
            return top - y, right - x
        return x - left, top - y

    tp = page.get_textpage()
    try:
        n = tp.count_chars()
        if n <= 0:
            return [], 0
        text = tp.get_text_range()
        if len(text) != n:  # rare: chars pdfium inserts or drops; read them one by one to keep indices aligned
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(tp.raw, i) or 32) for i in range(n))
        rect = pdfium_c.FS_RECTF()
        raw_tp = tp.raw
        get_box = pdfium_c.FPDFText_GetLooseCharBox
        rect_p = ctypes.byref(rect)

        def box(i: int) -> tuple[float, float, float, float]:
            get_box(raw_tp, i, rect_p)
            if rot == 0:
                return rect.left - left, top - rect.top, rect.right - left, top - rect.bottom
            ax, ay = to_display(rect.left, rect.top)
            bx, by = to_display(rect.right, rect.bottom)
            return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

        rows: list[list[Segment]] = []
        nonspace = 0
        for line in re.finditer(r"[^\r\n]+", text):
            words: list[Word] = []
            for w in re.finditer(r"\S+", line.group(0)):
                s, e = line.start() + w.start(), line.start() + w.end() - 1
                word = _CONTROL.sub("", w.group(0))
                if not word:
                    continue
                a, c = box(s), box(e) if e != s else None
                x0, y0, x1, y1 = (
                    a if c is None else (min(a[0], c[0]), min(a[1], c[1]), max(a[2], c[2]), max(a[3], c[3]))
                )
                words.append((word, x0, y0, x1, y1, 1.0))
                nonspace += sum(_readable(ch) for ch in word)
            if words:
                rows.append(_split_row(words, index, disp_w, disp_h, 1.0))
        return rows, nonspace
    finally:
        tp.close()


# ---------------------------------------------------------------------------------------------- OCR


def estimate_skew(img: Any, max_deg: float = 3.0) -> float:
    """The angle (degrees, PIL's counter-clockwise sense) that levels the text lines of a grayscale image.

    Projection profile on a thumbnail: ink pixels are projected along each candidate slope, and the slope
    whose row histogram is sharpest wins (coarse 0.5-degree steps, then 0.1 around the best); ~20 ms a page.
    """
    import numpy as np

    small = img.copy()
    small.thumbnail((1000, 1000))
    a = np.asarray(small)
    ys, xs = np.nonzero(a < 128)
    if len(xs) < 200:
        return 0.0
    if len(xs) > 60_000:
        keep = np.random.default_rng(0).choice(len(xs), 60_000, replace=False)  # fixed seed: deterministic
        xs, ys = xs[keep], ys[keep]
    xs_f, ys_f = xs.astype(np.float64), ys.astype(np.float64)

    def sharpness(deg: float) -> float:
        proj = np.round(ys_f - xs_f * math.tan(math.radians(deg))).astype(np.int64)
        h = np.bincount(proj - proj.min())
        return float((h.astype(np.float64) ** 2).sum())

    coarse = max((sharpness(d), d) for d in np.arange(-max_deg, max_deg + 1e-9, 0.5))[1]
    fine = max((sharpness(d), d) for d in np.arange(coarse - 0.4, coarse + 0.41, 0.1))[1]
    return round(float(fine), 2)


def deskew(img: Any) -> tuple[Any, float]:
    """The image rotated so that its text lines are level (unchanged when already within 0.15 degrees)."""
    from PIL import Image

    angle = estimate_skew(img)
    if abs(angle) < 0.15:
        return img, 0.0
    return img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255), angle


def ocr_image(img: Any, index: int, *, dpi: float, psm: int, timeout: float) -> list[list[Segment]]:
    """Rows of segments read by Tesseract from a grayscale PIL image (deskewed first)."""
    import pytesseract

    img, _ = deskew(img)

    # one OpenMP thread per Tesseract: 4-7x faster on small machines; parallelise across documents instead
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    d = pytesseract.image_to_data(
        img, lang="eng", config=f"--psm {psm} --dpi {int(dpi)}", output_type=pytesseract.Output.DICT, timeout=timeout
    )
    width, height = img.size
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for i, raw_text in enumerate(d["text"]):
        word = _CONTROL.sub("", raw_text or "").strip()
        conf = float(d["conf"][i])
        if not word or conf < OCR_MIN_WORD_CONF:
            continue
        if not any(ch.isalnum() for ch in word) and conf < 60:
            continue  # rules, specks and table borders read as punctuation
        left, top, w, h = (float(d[k][i]) for k in ("left", "top", "width", "height"))
        key = (int(d["block_num"][i]), int(d["par_num"][i]), int(d["line_num"][i]))
        lines.setdefault(key, []).append((word, left, top, left + w, top + h, conf / 100.0, h / _glyph_extent(word)))
    rows: list[list[Segment]] = []
    px_to_pt = 72.0 / dpi
    for words in lines.values():
        words.sort(key=lambda w: w[1])
        # Tesseract's word boxes hug the glyphs: judge gaps by the line's typical word height instead
        h = max(median(w[4] - w[2] for w in words), 1.0)
        rows.append(
            _split_row(words, index, float(width), float(height), px_to_pt, line_h=h, gap_factor=OCR_GAP_FACTOR)
        )
    return rows
