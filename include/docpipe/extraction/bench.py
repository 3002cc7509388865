"""Throughput and memory of the local engine, measured on generated documents (or a folder of scans).

- born-digital pages per second per core: generated PDFs with text layers, extracted end to end
  (sniff, text layer, classification, fields, JSON) in one process;
- scanned pages per second per core: generated scans (noisy, skewed images and image-only PDFs), or the
  images of a dataset folder, OCRed with one OCR thread;
- peak RSS on a 500-page PDF (mostly text pages, one scanned page in 25), extracted in a fresh process.

"Per core" is pages over the process's CPU time: the engine runs one thread per process, and CPU time,
unlike wall time, does not stretch when other work shares the machine.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import resource
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Rate:
    documents: int
    pages: int
    cpu_seconds: float
    wall_seconds: float

    @property
    def pages_per_cpu_second(self) -> float:
        return self.pages / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    @property
    def pages_per_wall_second(self) -> float:
        return self.pages / self.wall_seconds if self.wall_seconds > 0 else 0.0


def cpu_seconds() -> float:
    """CPU time of this process and of the child processes it waited for (Tesseract runs as one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(backend: Any, docs: Iterable[tuple[str, bytes]]) -> Rate:
    """Extract every (filename, bytes) once, counting pages and the CPU and wall time it took."""
    docs = list(docs)
    pages = 0
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    for name, data in docs:
        pages += backend.extract(data, filename=name).page_count
    return Rate(len(docs), pages, cpu_seconds() - cpu0, time.perf_counter() - wall0)


def selection_ms(backend: Any, docs: Iterable[tuple[str, bytes]]) -> tuple[float, float]:
    """CPU milliseconds per document of classification and fields on pages already read: (with the field
    model in use, with the rules alone, as DOCPIPE_FIELD_MODEL=none runs). The difference is what the
    field model costs a document. Each pass starts with the line caches empty, as a task does."""
    import os

    from .receipt import clear_caches

    read = [backend.read_pages(data, filename=name) for name, data in docs]
    warm = [backend.read_pages(data, filename=name) for name, data in born_digital_docs(3, seed=99)]

    def per_doc() -> float:
        for pages, mime in warm:
            backend.result_from_pages(pages, mime)  # first calls pay for imports and the model's loading
        clear_caches()
        cpu0 = time.process_time()  # nanosecond clock: os.times() ticks every 10 ms, a few receipts' worth
        for pages, mime in read:
            backend.result_from_pages(pages, mime)
        return 1000 * (time.process_time() - cpu0) / max(1, len(read))

    with_model = per_doc()
    saved = os.environ.get("DOCPIPE_FIELD_MODEL")
    os.environ["DOCPIPE_FIELD_MODEL"] = "none"
    try:
        rules_only = per_doc()
    finally:
        if saved is None:
            os.environ.pop("DOCPIPE_FIELD_MODEL", None)
        else:
            os.environ["DOCPIPE_FIELD_MODEL"] = saved
    return with_model, rules_only


def born_digital_docs(n: int, seed: int = 2024) -> list[tuple[str, bytes]]:
    from docpipe.samples.generator import generate_documents

    return [(d.filename, d.data) for d in generate_documents(n, tenants=["bench"], seed=seed, scanned_share=0.0)]


def scanned_docs(n: int, seed: int = 2025) -> list[tuple[str, bytes]]:
    from docpipe.samples.generator import generate_documents

    return [(d.filename, d.data) for d in generate_documents(n, tenants=["bench"], seed=seed, scanned_share=1.0)]


def receipt_docs(n: int, seed: int = 2027) -> list[tuple[str, bytes]]:
    """`n` generated born-digital receipts: the documents the shipped field model selects fields of."""
    from docpipe.samples.generator import generate_documents

    docs = generate_documents(n * 6, tenants=["bench"], seed=seed, scanned_share=0.0)
    return [(d.filename, d.data) for d in docs if d.kind == "receipt"][:n]


def folder_docs(folder: str | Path, n: int) -> list[tuple[str, bytes]]:
    """The first `n` images of DIR/img (or of DIR itself)."""
    root = Path(folder)
    img = root / "img" if (root / "img").is_dir() else root
    paths = sorted(p for p in img.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf"))
    return [(p.name, p.read_bytes()) for p in paths[:n]]


def warm_up(backend: Any) -> None:
    """Load the OCR models before timing (a worker loads them once for all its documents)."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(img).text((20, 80), "TOTAL 12.50", fill=0)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    backend.extract(buf.getvalue(), filename="warm-up.png")


def long_pdf(pages: int = 500, scanned_every: int = 25, seed: int = 2026) -> bytes:
    """A `pages`-page PDF cut from generated documents: text pages, and an image-only page every
    `scanned_every` pages."""
    import pypdfium2 as pdfium

    from docpipe.samples.generator import generate_documents

    from .layout import PDFIUM_LOCK

    texts = [d.data for d in generate_documents(40, tenants=["bench"], seed=seed, scanned_share=0.0)]
    scans = [d.data for d in generate_documents(6, tenants=["bench"], seed=seed + 1, scanned_share=1.0)
             if d.filename.endswith(".pdf")]  # fmt: skip
    if not scans:  # single-page scans come out as images: wrap one in a PDF page
        from PIL import Image
        from reportlab.lib.utils import ImageReader
        from reportlab.pdfgen.canvas import Canvas

        d = next(iter(generate_documents(1, tenants=["bench"], seed=seed + 1, scanned_share=1.0)))
        buf = io.BytesIO()
        c = Canvas(buf, pagesize=(595, 842), invariant=1)
        c.drawImage(ImageReader(Image.open(io.BytesIO(d.data))), 0, 0, 595, 842)
        c.showPage()
        c.save()
        scans = [buf.getvalue()]
    with PDFIUM_LOCK:
        out = pdfium.PdfDocument.new()
        sources = [pdfium.PdfDocument(b) for b in texts]
        scan_sources = [pdfium.PdfDocument(b) for b in scans]
        try:
            ti = si = 0
            while len(out) < pages:
                if scanned_every and (len(out) + 1) % scanned_every == 0:
                    src = scan_sources[si % len(scan_sources)]
                    si += 1
                    out.import_pages(src, [0])
                else:
                    src = sources[ti % len(sources)]
                    ti += 1
                    out.import_pages(src, [0])
            buf = io.BytesIO()
            out.save(buf)
        finally:
            for doc in (*sources, *scan_sources, out):
                doc.close()
    return buf.getvalue()


def _extract_file(path: str, max_pages: int) -> tuple[int, int, float]:
    from .local import LocalExtractionBackend

    data = Path(path).read_bytes()
    t0 = time.perf_counter()
    result = LocalExtractionBackend(max_pages=max_pages).extract(data, filename=Path(path).name)
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return result.page_count, peak_kb, seconds


def peak_rss_mb(pdf: bytes) -> tuple[float, int, float]:
    """(peak RSS in MB, pages, seconds) of a fresh process extracting `pdf` (interpreter and models included)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "long.pdf")
        Path(path).write_bytes(pdf)
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:
            pages, peak_kb, seconds = pool.apply(_extract_file, (path, 100_000))
    return peak_kb / 1024, pages, seconds
