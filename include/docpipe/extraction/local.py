"""The local Document AI stand-in: PDF text layer first, OCR (rapidocr by default, Tesseract on request)
only for pages without one, rule-based classification, schema fields chosen by rules and a trained field
selector (`selector`), Document-AI-shaped JSON out.

Bad input never leaks a library exception: every failure to read a document is raised as the
`DocumentError` subclass that names its quarantine reason, with a message in plain words.
"""

from __future__ import annotations

import io
import math
import warnings
from typing import Any

from docpipe.models import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    ExtractionResult,
    TooManyPages,
    UnsupportedDocument,
)

from .fields import Layout, classify, extract_fields, form_pairs
from .layout import PDFIUM_LOCK, PageText, Segment, read_text_layer
from .ocr import RAPIDOCR_MAX_SIDE, default_engine, ocr_rows
from .sniff import SUPPORTED, describe, sniff

# Bump whenever the engine's output for the same bytes would change: stored results are re-extracted
# when their engine_version differs from this one.
ENGINE_VERSION = (
    "local-2.3"  # 2.3: learned field selection (its model adds "+fs-<hash>"), two-digit years in worded dates
)

MIME_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}
_PIL_FORMATS = {"png": {"PNG"}, "jpeg": {"JPEG", "MPO"}, "tiff": {"TIFF"}}


def _mb(n: float) -> str:
    return f"{n / 1_000_000:.1f} MB"


class LocalExtractionBackend:
    """Extraction on this machine: pypdfium2 for text layers and rendering, rapidocr (or Tesseract) for scans.

    `ocr_engine` is "rapidocr" or "tesseract" (default: `DOCPIPE_OCR_ENGINE`, else rapidocr); the engine
    version names it, so switching engines re-extracts stored documents."""

    name = "local"

    def __init__(
        self,
        *,
        max_bytes: int = 50 * 1024 * 1024,
        max_pages: int = 200,
        max_pixels: int = 60_000_000,
        ocr_dpi: int = 300,
        psm: int = 4,
        min_text_chars: int = 10,
        ocr_timeout: float = 120.0,
        ocr_engine: str | None = None,
        field_model: Any = None,
    ):
        self.max_bytes = max_bytes
        self.max_pages = max_pages
        self.max_pixels = max_pixels
        self.ocr_dpi = ocr_dpi
        self.psm = psm
        self.min_text_chars = min_text_chars
        self.ocr_timeout = ocr_timeout
        self.ocr_engine = ocr_engine or default_engine()
        # the field selector's model (`selector.FieldModel`); None: the configured one (DOCPIPE_FIELD_MODEL)
        self.field_model = field_model

    @property
    def reader_version(self) -> str:
        """What reads the pages: the OCR engine and, for rapidocr, which models it reads ("int8r1" for the
        int8 copies; "float" for the models the wheel ships). Pages read by the same reader are the same."""
        if self.ocr_engine != "rapidocr":
            return self.ocr_engine
        from .ocr import rapidocr_variant

        return rapidocr_variant() or "float"

    @property
    def version(self) -> str:
        """The engine version stored with every result: the engine's, the reader's (nothing added for
        rapidocr's float models) and the field-selection model's ("fs-" and its hash)."""
        from .selector import model_tag

        reader = self.reader_version
        tag = self.field_model.tag if self.field_model is not None else model_tag()
        parts = [ENGINE_VERSION] + ([reader] if reader != "float" else []) + [tag]
        return "+".join(p for p in parts if p)

    # ------------------------------------------------------------------------------------------ public

    def extract(self, data: bytes, *, filename: str) -> ExtractionResult:
        if not data:
            raise EmptyDocument(f"{filename} is empty (0 bytes)")
        if len(data) > self.max_bytes:
            raise DocumentTooLarge(f"{filename} is {_mb(len(data))}, over the {_mb(self.max_bytes)} limit")
        pages, mime = self.read_pages(data, filename=filename)
        return self.result_from_pages(pages, mime)

    def read_pages(self, data: bytes, *, filename: str) -> tuple[list[PageText], str]:
        """The document's positioned text (text layer or OCR) and its MIME type: the costly half of `extract`,
        which `result_from_pages` turns into fields. Evaluation and training cache it."""
        kind = sniff(data)
        if kind is None:
            raise UnsupportedDocument(f"{filename} is {describe(data)}, not a {SUPPORTED} file")
        pages = self._read_pdf(data, filename) if kind == "pdf" else self._read_image(data, kind, filename)
        return pages, MIME_TYPES[kind]

    def result_from_pages(self, pages: list[PageText], mime: str) -> ExtractionResult:
        """Classification, fields and the Document-AI-shaped JSON of pages read by `read_pages`."""
        return self._result(pages, mime)

    # ------------------------------------------------------------------------------------------ reading

    def _ocr_scale(self, w: float, h: float) -> float:
        """Render scale for a page of w x h points: the OCR resolution, within the pixel limit, and no larger
        than rapidocr reads (it shrinks bigger images before detection)."""
        scale = min(self.ocr_dpi / 72, math.sqrt(self.max_pixels / (w * h)))
        if self.ocr_engine == "rapidocr":
            scale = min(scale, RAPIDOCR_MAX_SIDE / max(w, h))
        return scale

    def _ocr(self, img: Any, index: int, dpi: float, filename: str) -> list[list[Segment]]:
        try:
            return ocr_rows(img, index, dpi=dpi, engine=self.ocr_engine, psm=self.psm, timeout=self.ocr_timeout)
        except RuntimeError as e:
            if "timeout" in str(e).lower():
                raise DocumentError(
                    f"OCR of page {index + 1} of {filename} took over {self.ocr_timeout:.0f} s"
                ) from None
            raise

    def _read_pdf(self, data: bytes, filename: str) -> list[PageText]:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        with PDFIUM_LOCK:
            try:
                pdf = pdfium.PdfDocument(data)
            except pdfium.PdfiumError as e:
                code = getattr(e, "err_code", None)
                if code == pdfium_c.FPDF_ERR_PASSWORD:
                    raise EncryptedDocument(
                        f"{filename} is a password-protected PDF; upload it without a password"
                    ) from None
                if code == pdfium_c.FPDF_ERR_SECURITY:
                    raise EncryptedDocument(
                        f"{filename} is a PDF locked with an unsupported security handler"
                    ) from None
                raise CorruptDocument(
                    f"{filename} is damaged or truncated: it starts like a PDF but cannot be parsed"
                ) from None
        pages: list[PageText] = []
        try:
            with PDFIUM_LOCK:
                n = len(pdf)
            if n == 0:
                raise CorruptDocument(f"{filename} is a PDF without any pages")
            if n > self.max_pages:
                raise TooManyPages(f"{filename} has {n} pages, over the {self.max_pages}-page limit")
            for i in range(n):
                img, scale = None, 1.0
                with PDFIUM_LOCK:
                    try:
                        page = pdf[i]
                        try:
                            w, h = page.get_size()
                            if page.get_rotation() % 180 == 90:
                                w, h = h, w  # the size as displayed, like the boxes and the rendering
                            if not (w > 0 and h > 0):
                                raise CorruptDocument(f"page {i + 1} of {filename} has no size")
                            rows, nonspace = read_text_layer(page, i)
                            if nonspace < self.min_text_chars:
                                scale = self._ocr_scale(w, h)
                                img = page.render(scale=scale, grayscale=True).to_pil().convert("L")
                        finally:
                            page.close()
                    except pdfium.PdfiumError:
                        raise CorruptDocument(f"page {i + 1} of {filename} is damaged and cannot be read") from None
                if img is not None:
                    # a scanned page (or one whose text is drawn as outlines): read the image instead
                    rows = self._ocr(img, i, scale * 72, filename)
                pages.append(PageText(i + 1, round(w, 2), round(h, 2), "points", rows, img is not None))
        finally:
            with PDFIUM_LOCK:
                pdf.close()
        return pages

    def _read_image(self, data: bytes, kind: str, filename: str) -> list[PageText]:
        from PIL import Image, ImageOps, UnidentifiedImageError

        what = kind.upper()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = Image.open(io.BytesIO(data))
                if kind == "png":
                    Image.open(io.BytesIO(data)).verify()  # chunk checksums: catches a damaged body before decoding
        except Image.DecompressionBombError:
            raise DocumentTooLarge(f"{filename} declares an image too large to decode safely") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
            raise CorruptDocument(f"{filename} starts like a {what} image but is damaged ({e})") from None
        if im.format not in _PIL_FORMATS[kind]:
            raise CorruptDocument(f"{filename} starts like a {what} image but reads as {im.format or 'nothing known'}")
        frames = getattr(im, "n_frames", 1)
        if frames > self.max_pages:
            raise TooManyPages(f"{filename} has {frames} pages, over the {self.max_pages}-page limit")
        pages: list[PageText] = []
        for i in range(frames):
            try:
                im.seek(i)
                w, h = im.size
                if w * h > self.max_pixels:
                    raise DocumentTooLarge(
                        f"page {i + 1} of {filename} is {w} x {h} pixels ({w * h / 1e6:.0f} megapixels), "
                        f"over the {self.max_pixels / 1e6:.0f}-megapixel limit"
                    )
                if w < 1 or h < 1:
                    raise CorruptDocument(f"page {i + 1} of {filename} has no pixels")
                im.load()
                frame = ImageOps.exif_transpose(im) if kind == "jpeg" else im
                if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
                    # transparent pixels are paper: flatten onto white, or they turn black and hide the text
                    rgba = frame.convert("RGBA")
                    frame = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
                # rapidocr reads colour (a red total on a grey slip); Tesseract wants grey
                gray = frame.convert("RGB" if self.ocr_engine == "rapidocr" else "L")
            except DocumentError:
                raise
            except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
                raise CorruptDocument(
                    f"{filename} is a damaged {what} image: page {i + 1} cannot be decoded ({e})"
                ) from None
            dpi_info = im.info.get("dpi") or (0, 0)
            try:
                dpi = float(dpi_info[0])
            except (TypeError, ValueError, IndexError):
                dpi = 0.0
            dpi = dpi if 70 <= dpi <= 1200 else 300.0
            width, height = gray.size
            f = 1.0
            if dpi > self.ocr_dpi * 1.1:
                f = self.ocr_dpi / dpi  # OCR time grows with pixels; beyond the OCR resolution they add little
            if self.ocr_engine == "rapidocr":
                f = min(f, RAPIDOCR_MAX_SIDE / max(width, height))  # rapidocr shrinks larger images itself
            if f < 1.0:
                gray = gray.resize((max(1, round(width * f)), max(1, round(height * f))), Image.Resampling.LANCZOS)
                dpi *= f
            rows = self._ocr(gray, i, dpi, filename)
            pages.append(PageText(i + 1, float(width), float(height), "pixels", rows, True))
        return pages

    # ------------------------------------------------------------------------------------------ output

    def _result(self, pages: list[PageText], mime: str) -> ExtractionResult:
        text = _assemble(pages)
        layout = Layout(pages)
        pairs = form_pairs(layout)
        doc_type, type_conf, _ = classify(pages, text, len(pairs))
        found = extract_fields(doc_type, layout, self.field_model)
        entities = [e for e, _ in found]
        ocr_pages = [p.number for p in pages if p.ocr]

        page_json = []
        for p in pages:
            segs = p.segments
            pj: dict[str, Any] = {
                "pageNumber": p.number,
                "dimension": {"width": p.width, "height": p.height, "unit": p.unit},
                "layout": {
                    "textAnchor": _anchor([(segs[0].start, segs[-1].end)] if segs else []),
                    "boundingPoly": _poly([0.0, 0.0, 1.0, 1.0]),
                    "confidence": round(sum(s.conf for s in segs) / len(segs), 4) if segs else 0.0,
                    "orientation": "PAGE_UP",
                },
                "lines": [
                    {
                        "layout": {
                            "textAnchor": _anchor([(s.start, s.end)]),
                            "boundingPoly": _poly(s.bbox()),
                            "confidence": round(s.conf, 4),
                            "orientation": "PAGE_UP",
                        }
                    }
                    for s in segs
                ],  # fmt: skip
            }
            if doc_type == "form":
                pj["formFields"] = [_form_field(seg, m, vseg) for seg, m, vseg, _ in pairs if seg.page == p.number - 1]
            page_json.append(pj)

        ent_json = []
        for e, spans in found:
            d = e.to_docai()
            d["textAnchor"] = _anchor(spans)
            ent_json.append(d)
        document = {
            "mimeType": mime,
            "text": text,
            "pages": page_json,
            "entities": ent_json,
            "documentType": {"type": doc_type, "confidence": round(type_conf, 4)},
            "engine": {"name": self.name, "version": self.version, "ocrPages": ocr_pages},
        }
        return ExtractionResult(
            document=document,
            document_type=doc_type,
            type_confidence=round(type_conf, 4),
            page_count=len(pages),
            entities=entities,
            engine=self.name,
            engine_version=self.version,
            ocr_pages=len(ocr_pages),
        )


def _assemble(pages: list[PageText]) -> str:
    """The document text: segments of a row joined by a space, rows by "\\n", pages by "\\f".

    Sets every segment's start/end offsets, so anchors index this exact string."""
    parts: list[str] = []
    pos = 0
    for pi, page in enumerate(pages):
        if pi:
            parts.append("\f")
            pos += 1
        for row in page.rows:
            for j, seg in enumerate(row):
                if j:
                    parts.append(" ")
                    pos += 1
                seg.start = pos
                parts.append(seg.text)
                pos += len(seg.text)
                seg.end = pos
            parts.append("\n")
            pos += 1
    return "".join(parts)


def _anchor(spans: list[tuple[int, int]]) -> dict[str, Any]:
    return {"textSegments": [{"startIndex": s, "endIndex": e} for s, e in spans]}


def _poly(b: list[float]) -> dict[str, Any]:
    x0, y0, x1, y1 = b
    return {"normalizedVertices": [{"x": x0, "y": y0}, {"x": x1, "y": y0}, {"x": x1, "y": y1}, {"x": x0, "y": y1}]}


def _form_field(seg: Segment, m: Any, vseg: Segment) -> dict[str, Any]:
    name_span = (seg.start + m.start("label"), seg.start + m.end("label"))
    same_seg = vseg is seg
    value_span = (seg.start + m.start("value"), seg.start + m.end("value")) if same_seg else (vseg.start, vseg.end)
    return {
        "fieldName": {
            "textAnchor": _anchor([name_span]),
            "boundingPoly": _poly(seg.bbox()),
            "confidence": round(seg.conf, 4),
        },
        "fieldValue": {
            "textAnchor": _anchor([value_span]),
            "boundingPoly": _poly(vseg.bbox()),
            "confidence": round(vseg.conf, 4),
        },
    }
