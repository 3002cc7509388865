"""`docpipe models prepare [--json]`: build the model cache (`DOCPIPE_MODEL_CACHE`) ahead of the first task.

The local engines derive fast forms of models that ship in their packages (alt-profanity-check's
pipeline as NumPy arrays, an int8 copy of the OCR text detector, the OCR recogniser pruned to Latin
characters; see each module). A worker builds a
missing one on first use, which costs that first task seconds to a minute; an image build or
`make install` runs this once instead.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GROUP = "models"
NAME = "prepare"
HELP = "build the model cache (derived models of the local engines) so the first task does not pay for it"


def _profanity() -> Path:
    from docpipe.moderation import profanity

    profanity.load()
    return profanity.cache_path()


def _ocr_recognizer() -> Path | None:
    from docpipe.extraction import ocr

    if ocr.default_charset() == "all":
        return None  # DOCPIPE_OCR_CHARSET=all: the wheel's recogniser
    built = ocr.charset_params({})
    if "Rec.model_path" not in built:
        raise RuntimeError("the Latin recogniser could not be built (the warning above says why)")
    return Path(built["Rec.model_path"])


def _ocr_detector() -> Path | None:
    from docpipe.extraction import ocr, quantize

    if not quantize.enabled():
        return None  # DOCPIPE_OCR_INT8=0: the float models the wheel ships
    built = ocr.prepare_models()  # with the recogniser of the row above, already built
    if "Det.model_path" not in built:
        raise RuntimeError("the int8 text detector could not be built (the warning above says why)")
    return Path(built["Det.model_path"])


def preparers() -> dict[str, Callable[[], Path | None]]:
    """Each derived model: name -> a function that builds it if missing and returns its file (None: the
    model is switched off by configuration)."""
    return {
        "alt-profanity-check (NumPy export)": _profanity,
        "OCR recogniser (Latin characters)": _ocr_recognizer,
        "OCR text detector (int8)": _ocr_detector,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object per model")


def run(args: argparse.Namespace) -> int:
    from docpipe.config import model_cache_dir

    rows: list[dict[str, Any]] = []
    for name, prepare in preparers().items():
        t0 = time.perf_counter()
        try:
            path = prepare()
            rows.append({"model": name, "path": str(path) if path else None,
                         "bytes": path.stat().st_size if path else 0, "seconds": round(time.perf_counter() - t0, 2),
                         "error": None})  # fmt: skip
        except Exception as e:  # noqa: BLE001 - reported per model; the engines fall back at run time
            rows.append({"model": name, "path": None, "bytes": 0, "seconds": round(time.perf_counter() - t0, 2),
                         "error": f"{type(e).__name__}: {e}"})  # fmt: skip
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        from rich.table import Table

        from docpipe.cli import console

        table = Table(title=f"model cache: {model_cache_dir()}")
        for col in ("model", "file", "size", "seconds", "status"):
            table.add_column(col, justify="right" if col in ("size", "seconds") else "left")
        for r in rows:
            table.add_row(r["model"], Path(r["path"]).name if r["path"] else "-", f"{r['bytes'] / 1e6:.1f} MB",
                          f"{r['seconds']:.2f}", f"[red]{r['error']}[/red]" if r["error"] else
                          "[green]ready[/green]" if r["path"] else "switched off")  # fmt: skip
        console.print(table)
        if any(r["error"] for r in rows):
            console.print("the engines fall back to the packages' own (slower-starting) models; fix the cache "
                          "directory (DOCPIPE_MODEL_CACHE must be writable) and run this again")  # fmt: skip
    return 1 if any(r["error"] for r in rows) else 0
