"""Labelled document folders for training and measuring field extraction, and their pages read once.

A folder holds `img/<name>.(jpg|png|tif|pdf)` (the documents), `key/<name>.json` (the true value of each
field, as printed) and, optionally, `box/<name>.csv` (the text lines as transcribed by people, one a line:
`x1,y1,...,x4,y4,text`, the SROIE task-3 layout). Key names are the engine's field names
(`supplier_name`, `receipt_date`, `invoice_id`, ...) or SROIE's four (`company`, `date`, `address`, `total`).

Reading a scanned page costs a second or two of OCR; training and cross-validation read every document
many times, so the pages are cached on disk, keyed by the document's bytes and the reader's version.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .layout import PageText, Segment
from .selector import fold

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf")
# SROIE's key names and the engine fields they hold
SROIE_FIELDS = {
    "company": "supplier_name",
    "date": "receipt_date",
    "address": "supplier_address",
    "total": "total_amount",
}


class DatasetError(ValueError):
    """The folder is not in the expected layout; the message says what is missing."""


@dataclass
class LabelledDocument:
    path: Path
    truth: dict[str, str]  # engine field name -> printed value
    box: Path | None  # the annotators' transcript, when the folder has one
    dataset: str  # the folder it came from

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def group(self) -> str:
        """Documents of one issuer share a group: cross-validation never splits one across train and test."""
        issuer = self.truth.get("supplier_name") or self.truth.get("customer_name") or ""
        return fold(issuer) or f"{self.dataset}/{self.name}"


def load_folder(folder: str | Path) -> list[LabelledDocument]:
    """Every document of `folder` that has a key, in name order; raises `DatasetError` with what is missing."""
    root = Path(folder)
    img, key, box = root / "img", root / "key", root / "box"
    if not img.is_dir() or not key.is_dir():
        raise DatasetError(f"{root} must hold img/ (the documents) and key/ (one JSON of truth per document)")
    out = []
    for path in sorted(img.iterdir()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        truth_path = key / f"{path.stem}.json"
        if not truth_path.exists():
            continue
        try:
            raw = json.loads(truth_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise DatasetError(f"{truth_path} is not JSON ({e})") from None
        if not isinstance(raw, dict):
            raise DatasetError(f"{truth_path} must be one JSON object of field name -> printed value")
        truth = {SROIE_FIELDS.get(k, k): str(v) for k, v in raw.items() if v is not None and str(v).strip()}
        transcript = box / f"{path.stem}.csv"
        out.append(LabelledDocument(path, truth, transcript if transcript.exists() else None, root.name))
    if not out:
        raise DatasetError(f"{root}/img holds no document with a key in {root}/key")
    return out


def load_folders(folders: list[str] | list[Path]) -> list[LabelledDocument]:
    docs: list[LabelledDocument] = []
    for f in folders:
        docs.extend(load_folder(f))
    return docs


# ---------------------------------------------------------------------------------------------- transcripts


def transcript_pages(box: Path, image: Path) -> list[PageText]:
    """The annotators' text lines as one page of rows, positioned like OCR's (no OCR errors: the ceiling)."""
    from PIL import Image

    from .ocr import group_lines

    with Image.open(image) as im:
        width, height = im.size
    items = []
    with box.open(encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) < 9:
                continue
            try:
                xy = [float(v) for v in row[:8]]
            except ValueError:
                continue
            text = " ".join(",".join(row[8:]).split())
            if text:
                items.append(([[xy[0], xy[1]], [xy[2], xy[3]], [xy[4], xy[5]], [xy[6], xy[7]]], text, 0.99))
    rows = group_lines(items, 0, float(width), float(height), 72.0 / 300.0)
    return [PageText(1, float(width), float(height), "pixels", rows, True)]


# ---------------------------------------------------------------------------------------------- page cache


def default_cache_dir() -> Path:
    raw = os.environ.get("DOCPIPE_PAGE_CACHE", "").strip()
    return Path(raw).expanduser() if raw else Path.home() / ".cache" / "docpipe" / "pages"


def _to_json(pages: list[PageText], mime: str) -> dict[str, Any]:
    return {
        "mime": mime,
        "pages": [
            {"number": p.number, "width": p.width, "height": p.height, "unit": p.unit, "ocr": p.ocr,
             "rows": [[[s.text, s.page, s.x0, s.y0, s.x1, s.y1, s.conf, s.size] for s in row] for row in p.rows]}
            for p in pages
        ],
    }  # fmt: skip


def _from_json(d: dict[str, Any]) -> tuple[list[PageText], str]:
    pages = [
        PageText(p["number"], p["width"], p["height"], p["unit"], [[Segment(*s) for s in row] for row in p["rows"]],
                 p["ocr"])
        for p in d["pages"]
    ]  # fmt: skip
    return pages, d["mime"]


@dataclass
class ReadPages:
    """A document's pages as the engine reads them, or why it could not."""

    doc: LabelledDocument
    pages: list[PageText]
    mime: str
    error: str | None = None
    cpu_seconds: float | None = None  # None: taken from the cache


def _read_one(args: tuple[str, str, str | None]) -> tuple[str, dict[str, Any] | None, str | None, float]:
    import time

    from docpipe.models import DocumentError

    from .local import LocalExtractionBackend

    path, cache_dir, ocr_engine = args
    backend = LocalExtractionBackend(ocr_engine=ocr_engine)
    data = Path(path).read_bytes()
    c0 = time.process_time()
    try:
        pages, mime = backend.read_pages(data, filename=Path(path).name)
    except DocumentError as e:
        return path, None, f"{e.reason}: {e.message}", time.process_time() - c0
    cpu = time.process_time() - c0
    payload = _to_json(pages, mime)
    target = Path(cache_dir) / f"{_cache_key(data, backend.reader_version)}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    tmp.replace(target)
    return path, payload, None, cpu


def _cache_key(data: bytes, reader_version: str) -> str:
    return hashlib.sha256(data + b"\0" + reader_version.encode()).hexdigest()[:32]


def _init_worker() -> None:
    os.environ.setdefault("DOCPIPE_OCR_THREADS", "1")  # one OCR thread per process: the processes are the parallelism
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def read_documents(
    docs: list[LabelledDocument],
    *,
    transcripts: bool = False,
    workers: int = 1,
    cache_dir: Path | None = None,
    ocr_engine: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[ReadPages]:
    """Each document's pages, in order: from the transcript (`transcripts`), the cache, or the engine's reader
    (in `workers` processes, each result written to the cache). `progress(n)` is told of each document done."""
    from .local import LocalExtractionBackend

    if transcripts:
        for doc in docs:
            if doc.box is None:
                raise DatasetError(f"{doc.path} has no transcript (box/{doc.name}.csv); run without --transcripts")
            yield ReadPages(doc, transcript_pages(doc.box, doc.path), "image/jpeg")
            if progress:
                progress(1)
        return
    cache = cache_dir or default_cache_dir()
    version = LocalExtractionBackend(ocr_engine=ocr_engine).reader_version
    cached: dict[str, dict[str, Any]] = {}
    todo = []
    for doc in docs:
        f = cache / f"{_cache_key(doc.path.read_bytes(), version)}.json"
        if f.exists():
            cached[str(doc.path)] = json.loads(f.read_text(encoding="utf-8"))
        else:
            todo.append(doc)
    fresh: dict[str, tuple[dict[str, Any] | None, str | None, float]] = {}
    if todo:
        jobs = [(str(d.path), str(cache), ocr_engine) for d in todo]
        if workers <= 1:
            results: Iterator[Any] = map(_read_one, jobs)
            for path, payload, err, cpu in results:
                fresh[path] = (payload, err, cpu)
                if progress:
                    progress(1)
        else:
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
                for path, payload, err, cpu in pool.map(_read_one, jobs):
                    fresh[path] = (payload, err, cpu)
                    if progress:
                        progress(1)
    for doc in docs:
        key = str(doc.path)
        if key in cached:
            pages, mime = _from_json(cached[key])
            if progress:
                progress(1)
            yield ReadPages(doc, pages, mime)
        else:
            payload, err, cpu = fresh[key]
            if payload is None:
                yield ReadPages(doc, [], "", error=err, cpu_seconds=cpu)
            else:
                pages, mime = _from_json(payload)
                yield ReadPages(doc, pages, mime, cpu_seconds=cpu)


# ---------------------------------------------------------------------------------------------- scoring

RULES = ("strict", "reference")


def _number(text: str) -> Any:
    from .normalize import parse_number

    m = re.search(r"-?\d[\d,.' ]*", text or "")
    return parse_number(m.group(0).strip()) if m else None


def _date(text: str) -> str | None:
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text or ""):
        return text
    from .normalize import find_dates

    text = (text or "").strip()
    if re.fullmatch(r"\d{8}", text):  # a key written as compact digits ("DDMMYYYY", "YYYYMMDD")
        text += " 00:00"
    found = find_dates(text)
    return found[0].value.isoformat() if found else None


def correct(field: str, expected: str, got: str | None, rule: str = "strict") -> bool:
    """Whether an extracted value matches the printed truth.

    strict: names, addresses and other text equal after `fold`; amounts equal as numbers; dates equal as
    calendar dates. reference (how the published SROIE figures were scored): text also counts when either
    contains the other, amounts within 1%."""
    from .selector import FIELD_KINDS

    if got is None or not str(got).strip():
        return False
    kind = FIELD_KINDS.get(field, "text")
    if kind == "date":
        want = _date(expected)
        return want is not None and want == _date(got)
    if kind == "amount":
        a, b = _number(expected), _number(got)
        if a is None or b is None:
            return False
        if rule == "reference":
            return abs(a - b) <= abs(a) / 100
        return bool(a == b)
    a, b = fold(expected), fold(got)
    if rule == "reference":
        return bool(a and b) and (a in b or b in a)
    return bool(a) and a == b
