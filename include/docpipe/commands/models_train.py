"""`docpipe models train extraction --dataset DIR [--dataset DIR ...] --out PATH`: train the field selector.

Reads labelled folders (img/ + key/, optional box/; keys in the engine's field names or SROIE's four),
reads their pages (OCR results cached), trains one boosted-tree model per field with an isotonic
calibration fitted on out-of-fold predictions, and writes PATH (a NumPy archive the engine loads) and
PATH.json, its receipt: the command, the data and its terms, the cross-validated figures per fold, the
reliability table, the auto-accept threshold and the archive's hash (which names it in the engine version).
Point the engine at it with DOCPIPE_FIELD_MODEL=PATH.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

GROUP = "models"
NAME = "train"
HELP = "train a model from labelled documents (extraction: the field selector) and write it with its receipt"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("extraction",), help="which model: extraction (the field selector)")
    parser.add_argument("--dataset", required=True, action="append",
                        help="folder with img/ and key/ (optional box/); repeatable")  # fmt: skip
    parser.add_argument("--out", required=True, help="where to write the model (.npz); its receipt goes to OUT.json")
    parser.add_argument("--terms", action="append", default=[],
                        help="the data's licence or terms of use, recorded in the receipt (repeatable, one per dataset)")  # fmt: skip
    parser.add_argument("--document-type", default="receipt",
                        help="the document type the model selects fields for (default: receipt)")  # fmt: skip
    parser.add_argument("--cv", type=int, default=5,
                        help="folds of the grouped cross-validation that measures the model and chooses the auto-accept threshold (0: skip)")  # fmt: skip
    parser.add_argument("--target-precision", type=float, default=0.98,
                        help="precision the auto-accept threshold must keep on cross-validated predictions (default 0.98)")  # fmt: skip
    parser.add_argument(
        "--transcripts", action="store_true", help="train on the annotators' lines (box/) instead of OCR"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="OCR processes (default: one per core)"
    )
    parser.add_argument("--threshold-on", action="append", metavar="FOLDER",
                        help="choose the auto-accept threshold on these datasets' documents (folder names; default: all)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the receipt as JSON")


def _data_digest(docs: list) -> str:  # type: ignore[type-arg]
    h = hashlib.sha256()
    for d in docs:
        h.update(d.path.name.encode())
        h.update(d.path.read_bytes())
        h.update(json.dumps(d.truth, sort_keys=True).encode())
    return h.hexdigest()


def run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from docpipe.cli import CliError, console
    from docpipe.commands.eval_extraction import load_labelled
    from docpipe.extraction import evaluation, labelled, training

    if args.cv == 1 or args.cv < 0:
        raise CliError(f"--cv needs at least 2 folds, or 0 to skip (got {args.cv})")
    docs = load_labelled(args)
    started = time.perf_counter()
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=args.json, transient=True) as progress:  # fmt: skip
        reading = progress.add_task("reading documents (OCR results are cached)", total=len(docs))
        reads = list(labelled.read_documents(docs, transcripts=args.transcripts, workers=max(1, args.workers),
                                             progress=lambda n: progress.update(reading, advance=n)))  # fmt: skip
        table = training.candidate_table(reads)
        if not table.field_names:
            raise CliError(
                "the keys name no field the selector knows; known: " + ", ".join(training.selector.FIELD_KINDS)
            )
        scores: list[evaluation.DocumentScore] = []
        if args.cv:
            folds_task = progress.add_task(f"cross-validating ({args.cv} folds grouped by issuer)", total=args.cv)
            scores = evaluation.cross_validate(
                table, reads, args.cv, lambda n, _: progress.update(folds_task, completed=n), (args.document_type,)
            )
        fitting = progress.add_task("training on every document", total=len(table.field_names))
        model = training.train(table, progress=lambda _: progress.update(fitting, advance=1))
    report = evaluation.summarise(scores, args.target_precision, args.threshold_on) if scores else {}
    errors = [d for d in table.documents if d.error]
    receipt = {
        "model": "docpipe field selector: gradient-boosted trees per field over candidate layout and text features, "
        "isotonic calibration on out-of-fold predictions",
        "command": "docpipe models train " + " ".join(shlex.quote(a) for a in sys.argv[sys.argv.index("train") + 1 :])
        if "train" in sys.argv
        else None,
        "document_types": [args.document_type],
        "fields": table.field_names,
        "data": [
            {"folder": Path(f).name, "documents": sum(1 for d in docs if d.dataset == Path(f).name)}
            for f in args.dataset
        ],  # fmt: skip
        "data_sha256": _data_digest(docs),
        "data_terms": args.terms,
        "documents": len(docs),
        "documents_unreadable": len(errors),
        "issuers": len({d.doc.group for d in table.documents}),
        "skipped_fields": table.skipped_fields,
        "pages_from": "transcripts" if args.transcripts else "the engine's reader (OCR / text layer)",
        "tree_params": training.TREE_PARAMS,
        "cross_validation": {
            k: report[k]
            for k in (
                "accuracy",
                "accuracy_reference_rule",
                "by_dataset",
                "selection_accuracy",
                "folds",
                "expected_calibration_error",
                "reliability",
            )
            if k in report
        }
        if report
        else None,  # fmt: skip
        "auto_accept": report.get("auto_accept", {}),
        "versions": {"python": platform.python_version(), **_versions()},
    }
    path, digest = training.save(model, args.out, receipt)
    took = time.perf_counter() - started
    if args.json:
        print(Path(f"{path}.json").read_text())
        return 0
    console.print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, fs-{digest[:10]}) and its receipt "
                  f"{path}.json in {took:.0f} s from {len(docs)} documents")  # fmt: skip
    if report:
        from docpipe.commands.eval_extraction import _print

        _print(console, argparse.Namespace(**{**vars(args), "show_misses": False}), report, scores, took)
    console.print(f"use it: DOCPIPE_FIELD_MODEL={path}  (the engine version then ends in fs-{digest[:10]})")
    return 0


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("scikit-learn", "numpy")}
