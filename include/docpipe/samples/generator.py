"""Deterministic sample uploads with known ground truth: born-digital and scanned invoices, receipts
and forms, plus broken files that the pipeline must quarantine with a typed reason.

`generate_documents` is a generator: memory stays flat however many documents are asked for, and each
document is drawn from its own (seed, position) random stream, so the same arguments always give the same
bytes and a slice of a large run can be regenerated without the documents before it.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageFilter
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from docpipe.extraction.layout import PDFIUM_LOCK
from docpipe.models import CorruptDocument, DocumentTooLarge, EmptyDocument, EncryptedDocument, UnsupportedDocument

from .documents import BUILDERS, company_name, person_name, render_invoice

Kind = Literal["invoice", "receipt", "form", "bad"]
KIND_WEIGHTS = {"invoice": 5, "receipt": 3, "form": 2}

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "tif": "image/tiff",
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# The broken uploads, in the order they cycle, with the quarantine reason the engine must give.
BAD_TYPES: tuple[tuple[str, str], ...] = (
    ("empty", EmptyDocument.reason),
    ("truncated_pdf", CorruptDocument.reason),
    ("random_bytes", UnsupportedDocument.reason),
    ("encrypted_pdf", EncryptedDocument.reason),
    ("unsupported", UnsupportedDocument.reason),
    ("corrupt_png", CorruptDocument.reason),
    ("pixel_bomb", DocumentTooLarge.reason),
)


@dataclass
class SampleDocument:
    tenant_id: str
    filename: str
    data: bytes
    content_type: str
    kind: Kind
    scanned: bool
    truth: dict[str, Any]


def _doc_rng(seed: int, index: int) -> random.Random:
    # str seeds hash with SHA-512, so the sequence is stable across processes and PYTHONHASHSEED
    return random.Random(f"docpipe-samples:{seed}:{index}")


def _bad_positions(n: int, bad: int) -> set[int]:
    return {(2 * k + 1) * n // (2 * bad) for k in range(bad)} if bad else set()


def generate_documents(
    n: int,
    *,
    tenants: list[str],
    seed: int = 0,
    scanned_share: float = 0.1,
    bad: int = 0,
) -> Iterator[SampleDocument]:
    """Yield `n` good documents plus `bad` broken files spread evenly among them (`n + bad` in all).

    Good documents are invoices, receipts and forms (about 5:3:2); a `scanned_share` of them are
    rendered as noisy, slightly rotated scans (PNG/JPEG, or image-only PDF/TIFF when multi-page).
    The same arguments always yield byte-identical documents.
    """
    if n < 0 or bad < 0:
        raise ValueError(f"n and bad must be >= 0, got n={n}, bad={bad}")
    if not tenants:
        raise ValueError("tenants must name at least one tenant")
    if not 0.0 <= scanned_share <= 1.0:
        raise ValueError(f"scanned_share must be within [0, 1], got {scanned_share}")
    total = n + bad
    bad_at = _bad_positions(total, bad)
    bad_seen = 0
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    for i in range(total):
        rng = _doc_rng(seed, i)
        tenant = rng.choice(tenants)
        if i in bad_at:
            bad_type, reason = BAD_TYPES[bad_seen % len(BAD_TYPES)]
            bad_seen += 1
            data, ext = _bad_file(bad_type, rng)
            truth: dict[str, Any] = {"document_type": None, "reason": reason, "bad_type": bad_type}
            yield SampleDocument(
                tenant,
                f"bad-{seed}-{i:06d}.{ext}",
                data,
                CONTENT_TYPES.get(ext, "application/octet-stream"),
                "bad",
                False,
                truth,
            )
            continue
        kind = rng.choices(kinds, weights)[0]
        scanned = rng.random() < scanned_share
        built = BUILDERS[kind](rng)
        data, ext = built.data, "pdf"
        truth = dict(built.truth)
        if scanned:
            data, ext, truth["scan"] = scan_pdf(built.data, rng, np.random.default_rng([seed, i]))
        yield SampleDocument(tenant, f"{kind}-{seed}-{i:06d}.{ext}", data, CONTENT_TYPES[ext], kind, scanned, truth)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- scans


def _degrade(img: Image.Image, rng: random.Random, nprng: np.random.Generator) -> Image.Image:
    """Make a clean rendering look scanned: skew, blur, uneven paper and ink, sensor noise."""
    img = img.rotate(rng.uniform(-1.5, 1.5), resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    a = np.asarray(img, dtype=np.float32)
    paper, ink = rng.uniform(225, 250), rng.uniform(10, 60)
    a = paper - (paper - ink) * (1.0 - a / 255.0)
    # a faint illumination gradient across the page, as from a flatbed lid left ajar
    a += np.linspace(0, rng.uniform(-10, 10), a.shape[1], dtype=np.float32)[None, :]
    a += nprng.standard_normal(a.shape, dtype=np.float32) * rng.uniform(2.0, 7.0)
    if rng.random() < 0.7:
        # most scanners whiten the background ("auto white point"), which also keeps PNGs small
        a[a > paper - 12] = 255
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")


def _image_pdf(pages: list[Image.Image], sizes: list[tuple[float, float]], quality: int) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=sizes[0], invariant=1)
    for img, (w, h) in zip(pages, sizes, strict=True):
        c.setPageSize((w, h))
        jpg = io.BytesIO()
        img.save(jpg, "JPEG", quality=quality)
        jpg.seek(0)
        c.drawImage(ImageReader(jpg), 0, 0, w, h)
        c.showPage()
    c.save()
    return buf.getvalue()


def scan_pdf(pdf: bytes, rng: random.Random, nprng: np.random.Generator) -> tuple[bytes, str, dict[str, Any]]:
    """Render a born-digital PDF as a scan; return (bytes, extension, scan facts)."""
    import pypdfium2 as pdfium

    dpi = rng.choice((200, 240, 300))
    with PDFIUM_LOCK:  # pdfium is not thread-safe: share the extraction engine's lock
        doc = pdfium.PdfDocument(pdf)
        try:
            sizes = [doc.get_page_size(i) for i in range(len(doc))]
            renders = [doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(doc))]
        finally:
            doc.close()
    pages = [_degrade(img, rng, nprng) for img in renders]
    quality = rng.randint(70, 90)
    r = rng.random()
    if len(pages) == 1 and r < 0.35:
        fmt = "png"
    elif len(pages) == 1 and r < 0.75:
        fmt = "jpg"
    elif len(pages) > 1 and r < 0.25:
        fmt = "tif"
    else:
        fmt = "pdf"
    buf = io.BytesIO()
    if fmt == "png":
        pages[0].save(buf, "PNG", dpi=(dpi, dpi), compress_level=6)
    elif fmt == "jpg":
        pages[0].save(buf, "JPEG", quality=quality, dpi=(dpi, dpi))
    elif fmt == "tif":
        pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate", dpi=(dpi, dpi))
    else:
        return _image_pdf(pages, sizes, quality), "pdf", {"dpi": dpi, "format": "pdf"}
    return buf.getvalue(), fmt, {"dpi": dpi, "format": fmt}


# ---------------------------------------------------------------------------------------------- broken files


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _bad_file(bad_type: str, rng: random.Random) -> tuple[bytes, str]:
    if bad_type == "empty":
        return b"", "pdf"
    if bad_type == "truncated_pdf":
        data = render_invoice(rng).data
        return data[: int(len(data) * rng.uniform(0.3, 0.8))], "pdf"
    if bad_type == "random_bytes":
        noise = bytearray(rng.randbytes(rng.randint(2_000, 40_000)))
        noise[0] = 0x9C  # never a valid signature of any sniffed format
        return bytes(noise), "pdf"
    if bad_type == "encrypted_pdf":
        buf = io.BytesIO()
        c = Canvas(
            buf, invariant=1, encrypt=StandardEncryption(f"pw{rng.randint(1000, 9999)}", "owner-secret", strength=128)
        )
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 760, "Confidential statement")
        c.setFont("Helvetica", 10)
        c.drawString(72, 730, f"Prepared for {person_name(rng)} by {company_name(rng)}")
        c.showPage()
        c.save()
        return buf.getvalue(), "pdf"
    if bad_type == "unsupported":
        if rng.random() < 0.5:
            text = (
                f"Meeting notes\n\nAttendees: {person_name(rng)}, {person_name(rng)}\nAction: send the invoice again.\n"
            )
            return text.encode(), "txt"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, body in (
                (
                    "[Content_Types].xml",
                    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
                ),
                (
                    "word/document.xml",
                    f"<w:document><w:body><w:p><w:r><w:t>Letter to {person_name(rng)}</w:t></w:r></w:p></w:body></w:document>",
                ),
            ):
                z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), body)
        return buf.getvalue(), "docx"
    if bad_type == "corrupt_png":
        img = Image.new("L", (400, 300), 255)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        png = bytearray(buf.getvalue())
        start = 8 + 25  # signature + IHDR chunk
        for j in range(start + 12, min(len(png), start + 60)):
            png[j] = rng.randrange(256)
        return bytes(png[: len(png) - 20]), "png"
    if bad_type == "pixel_bomb":
        # a small file that declares a 12,000 x 8,000 image: a decompression bomb for a careless reader
        w, h = 12_000, 8_000
        raw = zlib.compress(b"\x00" * ((w // 8 + 1) * h), 9)
        ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", raw) + _png_chunk(
            b"IEND", b""
        ), "png"
    raise ValueError(f"unknown bad file type {bad_type!r}")
