"""Tell what a document is from its first bytes, never from its name."""

from __future__ import annotations

from typing import Literal

Kind = Literal["pdf", "png", "jpeg", "tiff"]

SUPPORTED = "PDF, PNG, JPEG or TIFF"

_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (e.g. DOCX, XLSX or ODT)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office document (DOC/XLS)"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
)


def sniff(data: bytes) -> Kind | None:
    """The supported format `data` is in, or None."""
    head = data[:8]
    # PDF readers accept the header anywhere in the first KiB (some generators prepend junk)
    if data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    return None


def describe(data: bytes) -> str:
    """A plain-words guess at what an unsupported file is, for the quarantine message."""
    for sig, what in _OTHER_SIGNATURES:
        if data.startswith(sig):
            return what
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC image"
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.95 * max(len(text), 1):
        stripped = text.lstrip().lower()
        if stripped.startswith(("<!doctype html", "<html")):
            return "an HTML page"
        if stripped.startswith("<?xml") or stripped.startswith("<"):
            return "an XML document"
        if stripped.startswith(("{", "[")):
            return "JSON text"
        return "plain text"
    return "unrecognised binary data"
