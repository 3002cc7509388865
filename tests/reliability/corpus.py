"""A hostile upload corpus, generated in memory: broken, malicious, oversized and oddly named files, each
with the outcome the pipeline must give it.

Nothing here is a binary taken from elsewhere: every file is built byte by byte (raw PDF objects, PNG
chunks, TIFF directories, JPEG markers) or drawn with reportlab/Pillow, deterministically from a seed.

    cases = hostile_cases()          # list[Case]
    case.expect                      # "processed", a quarantine reason code, or IGNORED
    case.key(prefix, tenant, hour)   # where to upload it (most follow the partition layout, some do not)

`Case.special` marks the cases the test must stage rather than just upload: `"vanish"` (deleted between
listing and reading) and `"duplicate"` (the same bytes as another case, under a second key).
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image, ImageDraw

PROCESSED = "processed"
IGNORED = "ignored"  # outside the partition layout: never listed, never touched

# quarantine reason codes (docpipe.models.DocumentError subclasses)
EMPTY = "empty_file"
CORRUPT = "corrupt"
UNSUPPORTED = "unsupported_type"
ENCRYPTED = "encrypted"
TOO_LARGE = "too_large"
TOO_MANY_PAGES = "too_many_pages"
MISSING = "object_missing"


@dataclass
class Case:
    """One hostile upload and what the pipeline must make of it."""

    kind: str
    data: bytes
    expect: str
    filename: str = ""
    content_type: str = "application/octet-stream"
    # builds the key from (prefix, tenant, hour); default: the partition layout with `filename`
    key_fn: Callable[[str, str, datetime], str] | None = None
    special: str | None = None  # "vanish" | "duplicate"
    # text the stored result must contain (what a hostile-but-valid document must keep)
    must_contain: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""

    def key(self, prefix: str, tenant: str, hour: datetime) -> str:
        if self.key_fn is not None:
            return self.key_fn(prefix, tenant, hour)
        return f"{prefix}/{tenant}/{hour:%Y/%m/%d/%H}/{self.filename or self.kind}"

    @property
    def good(self) -> bool:
        return self.expect == PROCESSED


# ---------------------------------------------------------------------------------------------- raw PDF


def build_pdf(objects: dict[int, bytes], *, root: int = 1, trailer: bytes = b"", header: bytes = b"%PDF-1.7") -> bytes:
    """A PDF file from numbered object bodies, with a correct cross-reference table."""
    out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for n in range(1, size):
        out += b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, trailer, xref)
    return bytes(out)


def stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(body), extra) + body + b"\nendstream"


def _pdf_string(s: str) -> bytes:
    return b"(" + s.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


INVOICE_LINES = (
    "INVOICE",
    "Invoice number: INV-2026-0417",
    "Invoice date: 14 March 2026",
    "Bill to: Globex Corporation",
    "Description            Qty   Amount",
    "Consulting services      1   1,200.00",
    "Subtotal 1,200.00",
    "Total due: EUR 1,200.00",
)


def text_pdf(
    lines: tuple[str, ...] = INVOICE_LINES,
    *,
    media_box: tuple[float, float] = (612, 792),
    catalog_extra: bytes = b"",
    extra_objects: dict[int, bytes] | None = None,
    font: bytes = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    encoded_lines: list[bytes] | None = None,
) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica, top left), objects 1-5 reserved."""
    w, h = media_box
    y = h - 72
    ops = [b"BT /F1 11 Tf 14 TL 72 %.1f Td" % y]
    for s in encoded_lines if encoded_lines is not None else [_pdf_string(x) for x in lines]:
        ops.append(s + b" Tj T*")
    ops.append(b"ET")
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog_extra,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.1f %.1f] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>" % (w, h),
        4: font,
        5: stream(b"\n".join(ops)),
    }
    objects.update(extra_objects or {})
    return build_pdf(objects)


def unicode_text_pdf(lines: tuple[str, ...]) -> bytes:
    """A text-layer PDF whose characters are arbitrary Unicode (RTL, zero-width, controls) through a
    /ToUnicode map: the glyphs drawn do not matter, the text a reader extracts does."""
    chars = sorted({c for line in lines for c in line})
    codes: dict[str, int] = {}
    free = iter(range(0x21, 0xFF))
    for c in chars:
        if c == " ":
            codes[c] = 0x20
        else:
            codes[c] = next(free)
    cmap_entries = b"\n".join(
        b"<%02X> <%s>" % (code, c.encode("utf-16-be").hex().upper().encode()) for c, code in codes.items()
    )
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"%d beginbfchar\n%s\nendbfchar\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end" % (len(codes), cmap_entries)
    )
    encoded = [b"<" + bytes(codes[c] for c in line).hex().encode() + b">" for line in lines]
    return text_pdf(
        font=b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        extra_objects={6: stream(cmap)},
        encoded_lines=encoded,
    )


def many_pages_pdf(n: int) -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(n))
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)}
    for i in range(n):
        objects[3 + i] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
    return build_pdf(objects)


def encrypted_pdf(user_password: str, owner_password: str) -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    enc = StandardEncryption(user_password, owner_password, canPrint=0, canModify=0, canCopy=0, strength=128)
    c = Canvas(buf, invariant=1, encrypt=enc)
    c.setFont("Helvetica", 11)
    for i, line in enumerate(INVOICE_LINES):
        c.drawString(72, 720 - 14 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- images


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_declaring(width: int, height: int, idat: bytes = b"", bit_depth: int = 1) -> bytes:
    """A PNG whose header declares width x height; the pixel data is whatever `idat` holds."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def deflate_repeated(chunk: bytes, times: int) -> bytes:
    """The zlib stream of `chunk * times`, built without compressing it all: after a full flush the
    compressor forgets its history, so every further copy of `chunk` compresses to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    steady = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush()
    adler = 1
    for _ in range(times):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + first + steady * (times - 1) + tail + adler.to_bytes(4, "big")


def png_bomb(width: int, height: int) -> bytes:
    """A real decompression bomb: a valid 1-bit image of width x height whose zlib stream is tiny."""
    if height % 1000:
        raise ValueError("height must be a multiple of 1000")
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    return png_declaring(width, height, deflate_repeated(row * 1000, height // 1000))


def tiff_declaring(width: int, height: int, *, frames: int = 1, strip: bytes | None = None) -> bytes:
    """A little-endian bilevel TIFF with `frames` directories, each declaring width x height and pointing
    at one (possibly far too short) uncompressed strip."""
    strip = strip if strip is not None else b"\xff" * max(1, min((width + 7) // 8 * height, 64))
    out = bytearray(b"II*\x00" + struct.pack("<I", 0))
    strip_at = len(out)
    out += strip
    first_ifd = None
    prev_next_ptr = 4
    for _ in range(frames):
        if len(out) % 2:
            out += b"\x00"
        ifd_at = len(out)
        tags = [
            (256, 4, 1, width),
            (257, 4, 1, height),
            (258, 3, 1, 1),
            (259, 3, 1, 1),  # no compression
            (262, 3, 1, 0),  # white is zero
            (273, 4, 1, strip_at),
            (277, 3, 1, 1),
            (278, 4, 1, height),
            (279, 4, 1, len(strip)),
        ]
        out += struct.pack("<H", len(tags))
        for tag, typ, count, value in tags:
            out += (
                struct.pack("<HHII", tag, typ, count, value)
                if typ == 4
                else struct.pack("<HHIHH", tag, typ, count, value, 0)
            )
        next_ptr = len(out)
        out += struct.pack("<I", 0)
        struct.pack_into("<I", out, prev_next_ptr, ifd_at)
        prev_next_ptr = next_ptr
        first_ifd = first_ifd or ifd_at
    return bytes(out)


def text_image(lines: tuple[str, ...], fmt: str, size: tuple[int, int] = (900, 300)) -> bytes:
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    try:
        from PIL import ImageFont

        font = ImageFont.load_default(size=28)
    except Exception:  # pragma: no cover - very old Pillow
        font = None
    for i, line in enumerate(lines):
        d.text((30, 30 + 44 * i), line, fill=0, font=font)
    buf = io.BytesIO()
    img.save(buf, fmt, dpi=(300, 300))
    return buf.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small valid JPEG whose frame header is rewritten to declare width x height."""
    buf = io.BytesIO()
    Image.new("L", (16, 16), 200).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


# ---------------------------------------------------------------------------------------------- the corpus


def _outside(path: str) -> Callable[[str, str, datetime], str]:
    """A key outside the partition layout: `path` is formatted with prefix, tenant and hour."""
    return lambda prefix, tenant, hour: path.format(prefix=prefix, tenant=tenant, hour=hour)


def _in_hour(name: str) -> Callable[[str, str, datetime], str]:
    return lambda prefix, tenant, hour: f"{prefix}/{tenant}/{hour:%Y/%m/%d/%H}/{name}"


RTL_LINES = (
    "INVOICE",
    "Invoice number: INV-2026-0099",
    "Supplier: \u05d7\u05d1\u05e8\u05ea \u05d3\u05d5\u05d2\u05de\u05d4 \u05d1\u05e2\u05f4\u05de",  # Hebrew
    "Customer: \u0634\u0631\u0643\u0629 \u0627\u0644\u0645\u062b\u0627\u0644",  # Arabic
    "Note: \u202eevil.exe\u202c zero\u200bwidth\u200cjoin\u200dfeff\ufeffend",
    "Total due: EUR 99.00",
)
CONTROL_LINES = (
    "INVOICE",
    "Invoice number: INV-2026-0100",
    "Supplier: Nul\x00Byte\x01Ltd\x1b[31m",
    "Total due: EUR 10.00",
)


def hostile_cases(seed: int = 7) -> list[Case]:
    """At least 30 kinds of hostile upload, each with the outcome the pipeline must give it."""
    rng = random.Random(seed)
    invoice = text_pdf()
    cases: list[Case] = []
    add = cases.append

    # --- empty, truncated and corrupt PDFs
    add(Case("zero_byte", b"", EMPTY, "zero-byte.pdf", "application/pdf"))
    add(Case("pdf_truncated", invoice[: len(invoice) // 2], CORRUPT, "truncated.pdf", "application/pdf"))
    add(Case("pdf_header_only", b"%PDF-1.7\n%%EOF\n", CORRUPT, "header-only.pdf", "application/pdf"))
    add(Case("pdf_garbage_body", b"%PDF-1.4\n" + rng.randbytes(20_000), CORRUPT, "garbage.pdf", "application/pdf"))
    add(
        Case(
            "pdf_no_pages",
            build_pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}),
            CORRUPT,
            "no-pages.pdf",
            "application/pdf",
        )
    )
    add(
        Case(
            "pdf_page_tree_loop",  # the page tree contains itself: a careless walker never returns
            build_pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"}),
            CORRUPT,
            "page-tree-loop.pdf",
            "application/pdf",
        )
    )
    add(Case("pdf_header_after_1k", rng.randbytes(1500).replace(b"%PDF", b"%PDx") + invoice, UNSUPPORTED,
             "late-header.pdf", "application/pdf"))  # fmt: skip

    # --- encrypted PDFs
    add(Case("pdf_user_password", encrypted_pdf("open-sesame", "owner-pw"), ENCRYPTED, "encrypted.pdf",
             "application/pdf"))  # fmt: skip
    add(Case("pdf_owner_password_only", encrypted_pdf("", "owner-pw"), PROCESSED, "owner-locked.pdf",
             "application/pdf", must_contain=("INV-2026-0417",),
             note="opens without a password; permissions are not access control"))  # fmt: skip

    # --- too many pages, huge pages
    add(Case("pdf_5000_pages", many_pages_pdf(5000), TOO_MANY_PAGES, "5000-pages.pdf", "application/pdf"))
    add(Case("pdf_huge_page_text", text_pdf(media_box=(14400, 14400)), PROCESSED, "huge-page.pdf",
             "application/pdf", must_contain=("INV-2026-0417",)))  # fmt: skip
    add(
        Case(
            "pdf_absurd_page_blank",  # no text layer: the engine renders it for OCR, within its pixel budget
            build_pdf(
                {
                    1: b"<< /Type /Catalog /Pages 2 0 R >>",
                    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200000 200000] >>",
                }
            ),
            PROCESSED,
            "absurd-page.pdf",
            "application/pdf",
        )
    )

    # --- active content: JavaScript, launch actions, attachments (never executed, never extracted)
    js = (
        b"/OpenAction << /S /JavaScript /JS (app.alert\\('pwned'\\); while\\(true\\){}) >> "
        b"/Names << /JavaScript << /Names [(x) << /S /JavaScript /JS (this.exportDataObject\\({cName: 'a'}\\)) >>] >> >>"
    )
    add(Case("pdf_javascript", text_pdf(catalog_extra=js), PROCESSED, "javascript.pdf", "application/pdf",
             must_contain=("INV-2026-0417",)))  # fmt: skip
    add(Case("pdf_launch_action", text_pdf(catalog_extra=b"/OpenAction << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>"),
             PROCESSED, "launch.pdf", "application/pdf", must_contain=("INV-2026-0417",)))  # fmt: skip
    exe = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode." + rng.randbytes(2000)
    add(
        Case(
            "pdf_embedded_file",
            text_pdf(
                catalog_extra=b"/Names << /EmbeddedFiles << /Names [(invoice.exe) 6 0 R] >> >>",
                extra_objects={
                    6: b"<< /Type /Filespec /F (invoice.exe) /UF (invoice.exe) /EF << /F 7 0 R >> >>",
                    7: stream(exe, b"/Type /EmbeddedFile"),
                },
            ),
            PROCESSED,
            "attachment.pdf",
            "application/pdf",
            must_contain=("INV-2026-0417",),
        )
    )
    bomb_stream = deflate_repeated(b" " * 1_000_000, 64)  # 64 MB of whitespace behind ~60 KB
    add(
        Case(
            "pdf_flate_bomb_content",
            text_pdf(extra_objects={6: stream(bomb_stream, b"/Filter /FlateDecode")}).replace(
                b"/Contents 5 0 R", b"/Contents [6 0 R 5 0 R]"
            ),
            PROCESSED,
            "flate-bomb.pdf",
            "application/pdf",
            must_contain=("INV-2026-0417",),
        )
    )

    # --- decompression bombs and absurd dimensions
    add(Case("png_bomb_20k", png_bomb(20_000, 20_000), TOO_LARGE, "bomb.png", "image/png",
             note="400 megapixels in ~50 KB"))  # fmt: skip
    add(Case("png_declares_2g_pixels", png_declaring(2_000_000, 1_000), TOO_LARGE, "huge.png", "image/png"))
    add(Case("png_zero_dimensions", png_declaring(0, 0), CORRUPT, "zero-dim.png", "image/png"))
    add(Case("tiff_bomb", tiff_declaring(100_000, 100_000), TOO_LARGE, "bomb.tif", "image/tiff"))
    add(Case("tiff_over_pixel_limit", tiff_declaring(9_000, 8_000), TOO_LARGE, "big.tif", "image/tiff",
             note="72 MP: under Pillow's bomb warning, over the engine's 60 MP budget"))  # fmt: skip
    add(Case("tiff_500_frames", tiff_declaring(8, 8, frames=500), TOO_MANY_PAGES, "frames.tif", "image/tiff"))
    add(Case("jpeg_declares_65k_square", jpeg_declaring(65_000, 65_000), TOO_LARGE, "huge.jpg", "image/jpeg"))

    # --- wrong or missing extensions, MIME mismatches (content decides, never the name)
    add(Case("pdf_named_png", invoice, PROCESSED, "invoice.png", "image/png", must_contain=("INV-2026-0417",)))
    add(Case("pdf_without_extension", invoice, PROCESSED, "invoice", "binary/octet-stream",
             must_contain=("INV-2026-0417",)))  # fmt: skip
    add(Case("pdf_sent_as_jpeg_mime", invoice, PROCESSED, "scan.jpg", "image/jpeg", must_contain=("INV-2026-0417",)))
    add(
        Case(
            "png_named_pdf",
            text_image(("INVOICE", "Invoice number: INV-2026-0777", "Total due: EUR 5.00"), "PNG"),
            PROCESSED,
            "really-a-png.pdf",
            "application/pdf",
            must_contain=("INV-2026-0777",),
        )
    )
    add(Case("html_named_pdf", b"<!doctype html><html><script>fetch('//evil')</script></html>", UNSUPPORTED,
             "page.pdf", "application/pdf"))  # fmt: skip
    add(Case("exe_named_pdf", exe, UNSUPPORTED, "setup.pdf", "application/pdf"))
    add(Case("svg_with_script", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
             UNSUPPORTED, "logo.svg", "image/svg+xml"))  # fmt: skip
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr(zipfile.ZipInfo("word/document.xml", date_time=(2026, 1, 1, 0, 0, 0)), "<w:document/>")
    add(Case("docx_named_pdf", zbuf.getvalue(), UNSUPPORTED, "letter.pdf", "application/pdf"))
    add(Case("gif_image", b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00;", UNSUPPORTED, "anim.gif", "image/gif"))

    # --- text in odd encodings (plain text is not a supported document type)
    add(Case("latin1_text", "Café crème, façade, naïve, 25 €\n".encode("cp1252") * 40, UNSUPPORTED, "notes.txt",
             "text/plain"))  # fmt: skip
    add(Case("mixed_encodings", "utf-8: żółw\n".encode() + "latin-1: été\n".encode("latin-1")
             + "utf-16: hé".encode("utf-16") + b"\xff\xfe\xfd", UNSUPPORTED, "mixed.csv", "text/csv"))  # fmt: skip
    add(Case("nul_bytes_only", b"\x00" * 4096, UNSUPPORTED, "nul.pdf", "application/pdf"))

    # --- valid documents with hostile text: right-to-left, zero-width, bidi overrides, NUL and controls
    add(Case("pdf_rtl_zero_width_text", unicode_text_pdf(RTL_LINES), PROCESSED, "rtl.pdf", "application/pdf",
             must_contain=("INV-2026-0099", "\u05d7", "\u0634")))  # fmt: skip
    add(Case("pdf_nul_and_control_chars", unicode_text_pdf(CONTROL_LINES), PROCESSED, "controls.pdf",
             "application/pdf", must_contain=("INV-2026-0100",)))  # fmt: skip

    # --- hostile keys (the bytes are a good invoice: only the name is odd)
    add(Case("key_with_spaces", invoice, PROCESSED, "my  invoice  march .pdf", "application/pdf"))
    add(Case("key_with_unicode", invoice, PROCESSED, "facture-été-請求書-\U0001f9fe.pdf", "application/pdf"))
    add(Case("key_with_dotdot", invoice, PROCESSED, key_fn=_in_hour("../../../../etc/passwd.pdf"),
             content_type="application/pdf"))  # fmt: skip
    add(Case("key_with_quotes_and_sql", invoice, PROCESSED, "o'brien\"; DROP TABLE docpipe.documents;--.pdf",
             "application/pdf"))  # fmt: skip
    add(Case("key_very_long", invoice, PROCESSED, key_fn=_in_hour("L" * 900 + ".pdf"), content_type="application/pdf"))
    add(Case("key_very_long_bad_content", b"%PDF-1.4\n" + rng.randbytes(500), CORRUPT,
             key_fn=_in_hour("B" * 990 + ".pdf"), content_type="application/pdf",
             note="its quarantine copy's key would pass S3's 1,024-byte limit"))  # fmt: skip
    add(Case("key_in_subfolder_of_hour", invoice, PROCESSED, key_fn=_in_hour("sub/dir/invoice.pdf"),
             content_type="application/pdf"))  # fmt: skip

    # --- objects outside the partition layout: never listed by an hourly run
    add(Case("outside_tenant_root", invoice, IGNORED, key_fn=_outside("{prefix}/{tenant}/stray.pdf")))
    add(Case("outside_day_folder", invoice, IGNORED, key_fn=_outside("{prefix}/{tenant}/{hour:%Y/%m/%d}/stray.pdf")))
    add(Case("outside_unpadded_hour", invoice, IGNORED,
             key_fn=_outside("{prefix}/{tenant}/{hour.year}/{hour.month}/{hour.day}/{hour.hour}/unpadded.pdf")))  # fmt: skip
    add(Case("outside_prefix", invoice, IGNORED, key_fn=_outside("{tenant}/{hour:%Y/%m/%d/%H}/no-prefix.pdf")))

    # --- races and duplicates
    add(Case("duplicate_bytes_first_key", invoice, PROCESSED, "dup-a.pdf", "application/pdf"))
    add(Case("duplicate_bytes_second_key", invoice, PROCESSED, "dup-b.pdf", "application/pdf", special="duplicate"))
    add(Case("deleted_after_listing", invoice, MISSING, "vanishes.pdf", "application/pdf", special="vanish"))

    kinds = [c.kind for c in cases]
    assert len(set(kinds)) == len(kinds), "case kinds must be unique"
    return cases


def engine_cases(seed: int = 7) -> list[Case]:
    """The cases whose outcome depends on the bytes alone (what the extraction engine decides)."""
    return [
        c
        for c in hostile_cases(seed)
        if c.expect not in (IGNORED, MISSING) and not c.kind.startswith("key_") and c.special is None
    ]
