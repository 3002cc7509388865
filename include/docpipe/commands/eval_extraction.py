"""`docpipe eval extraction --dataset DIR [--dataset DIR ...] [--cv K] [--transcripts] [--predictions F.jsonl]
[--plot F.png] [--json]`: how right the extraction engine's fields are, and how far its confidence can be trusted.

Without `--cv` the engine runs as configured (its shipped field model, or DOCPIPE_FIELD_MODEL) on every
document: the figures for data the model never saw. With `--cv K` the field model is trained K times, each
time without one fold of issuers (the folded company), and scored on that fold: the honest figures for the
data it is trained on. Both print per-field accuracy under the strict rule and the published references'
rule, a reliability table with the expected calibration error, and the auto-accept threshold that keeps
the target precision with the share of fields it accepts. The scoring lives in `docpipe.extraction.evaluation`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

GROUP = "eval"
NAME = "extraction"
HELP = "field accuracy, calibration and auto-accept threshold of the extraction engine on labelled documents"

# Published per-field accuracy on the SROIE test split (company, date, address, total), scored with the
# references' rule (containment; totals within 1%): what a cloud service and a large model reach.
REFERENCE = {
    "AWS Textract": (0.856, 0.968, 0.729, 0.911),
    "7B VLM zero-shot": (0.951, 0.968, 0.908, 0.977),  # a vision-language model, on a GPU
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, action="append",
                        help="folder with img/ and key/ (optional box/), e.g. ../shared/datasets/sroie-dev; repeatable")  # fmt: skip
    parser.add_argument("--cv", type=int, default=0, metavar="K",
                        help="K-fold cross-validation of the field model, grouped by issuer (default: off)")  # fmt: skip
    parser.add_argument("--transcripts", action="store_true",
                        help="read the annotators' lines (box/) instead of OCR: what field selection reaches without OCR errors")  # fmt: skip
    parser.add_argument(
        "--predictions", metavar="FILE.jsonl", help="write one line per document: values and confidences"
    )
    parser.add_argument("--plot", metavar="FILE.png", help="draw the reliability diagram")
    parser.add_argument("--target-precision", type=float, default=0.98,
                        help="precision the auto-accept threshold must keep (default 0.98)")  # fmt: skip
    parser.add_argument("--threshold-on", action="append", metavar="FOLDER",
                        help="choose the auto-accept threshold on these datasets' documents (folder names; default: all)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="OCR processes (default: one per core)"
    )
    parser.add_argument("--ocr", choices=("rapidocr", "tesseract"), default=None,
                        help="OCR engine (default: DOCPIPE_OCR_ENGINE, else rapidocr)")  # fmt: skip
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    parser.add_argument("--show-misses", action="store_true", help="list every wrong or missing field")


def load_labelled(args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    """The documents of every --dataset, after checking the options that name them; a CliError says what is wrong."""
    from docpipe.cli import CliError
    from docpipe.extraction import labelled

    if not 0 < args.target_precision <= 1:
        raise CliError(f"--target-precision must be in (0, 1], not {args.target_precision}")
    if args.threshold_on and (unknown := set(args.threshold_on) - {Path(f).name for f in args.dataset}):
        raise CliError(
            f"--threshold-on names {', '.join(sorted(unknown))}, which is not the folder name of a --dataset"
        )
    try:
        docs = labelled.load_folders(args.dataset)
    except labelled.DatasetError as e:
        raise CliError(str(e)) from None
    if args.transcripts and (missing := [d for d in docs if d.box is None]):
        raise CliError(f"--transcripts needs box/<name>.csv for every document; {len(missing)} have none "
                       f"(first: {missing[0].path})")  # fmt: skip
    return docs


def run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from docpipe.cli import CliError, console
    from docpipe.extraction import evaluation

    if args.ocr:
        os.environ["DOCPIPE_OCR_ENGINE"] = args.ocr  # read by the worker processes' engines
    if args.cv == 1 or args.cv < 0:
        raise CliError(f"--cv needs at least 2 folds (got {args.cv}); leave it out to score the shipped model")
    docs = load_labelled(args)[: args.limit]
    started = time.perf_counter()
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=args.json, transient=True) as progress:  # fmt: skip
        reading = progress.add_task("reading documents (OCR results are cached)", total=len(docs))
        advance = lambda n: progress.update(reading, advance=n)  # noqa: E731
        if args.cv:
            folds = progress.add_task(f"training and scoring {args.cv} folds", total=args.cv)
            scores, table = evaluation.evaluate_cv(
                docs, args.cv, transcripts=args.transcripts, workers=max(1, args.workers), progress=advance,
                fold_progress=lambda n, _: progress.update(folds, completed=n),
            )  # fmt: skip
            if table.skipped_fields and not args.json:
                console.print(
                    f"[yellow]no candidate generator for {', '.join(table.skipped_fields)}: not scored[/yellow]"
                )
        else:
            scores = list(evaluation.evaluate_engine(docs, transcripts=args.transcripts, workers=max(1, args.workers),
                                                     progress=advance))  # fmt: skip
    wall = time.perf_counter() - started
    report = evaluation.summarise(scores, args.target_precision, args.threshold_on)
    if args.predictions:
        out = Path(args.predictions)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for s in scores:
                fh.write(json.dumps(evaluation.prediction_line(s)) + "\n")
    if args.plot:
        from docpipe.extraction import training

        bins, ece = training.reliability(*evaluation.confident(scores))
        how = f"{args.cv}-fold grouped CV" if args.cv else "shipped model"
        training.plot_reliability(bins, ece, args.plot, f"reliability, {len(scores)} documents, {how}")
    if args.json:
        print(json.dumps(report))
        return 0
    _print(console, args, report, scores, wall)
    return 0


def _print(console, args: argparse.Namespace, report: dict, scores: list, wall: float) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from docpipe.extraction import evaluation

    how = f"{args.cv}-fold cross-validation grouped by issuer" if args.cv else "the engine as configured"
    source = "annotators' transcripts" if args.transcripts else "OCR / text layer"
    folders = ", ".join(Path(f).name for f in args.dataset)
    table = Table(title=f"fields of {report['documents']} documents ({folders}): {how}, {source}")
    table.add_column("field")
    table.add_column("strict", justify="right")
    table.add_column("references' rule", justify="right")
    for name in REFERENCE:
        table.add_column(f"{name}*", justify="right")
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    for field, acc in report["accuracy"].items():
        refs = [
            f"{r[list(evaluation.FIELDS).index(field)]:.3f}" if field in evaluation.FIELDS else "-"
            for r in REFERENCE.values()
        ]
        table.add_row(field, fmt(acc), fmt(report["accuracy_reference_rule"][field]), *refs)
    console.print(table)
    console.print("* published on the SROIE test split, scored with the references' rule")

    if report.get("by_dataset"):
        dt = Table(title="per dataset (strict)")
        dt.add_column("dataset")
        dt.add_column("documents", justify="right")
        for field in report["accuracy"]:
            dt.add_column(field, justify="right")
        dt.add_column("calibration error", justify="right")
        for ds, part in report["by_dataset"].items():
            dt.add_row(ds, str(part["documents"]), *(fmt(v) for v in part["accuracy"].values()),
                       f"{part['expected_calibration_error']:.3f}")  # fmt: skip
        console.print(dt)

    if report.get("selection_accuracy"):
        st = Table(title="field selection alone (strict): every document read as a receipt, its classification aside")
        st.add_column("dataset")
        for field in report["accuracy"]:
            st.add_column(field, justify="right")
        for ds, acc in report["selection_accuracy"].items():
            st.add_row(ds, *(fmt(acc.get(f)) for f in report["accuracy"]))
        console.print(st)

    if report.get("folds"):
        ft = Table(title="per fold (strict)")
        ft.add_column("fold", justify="right")
        ft.add_column("documents", justify="right")
        ft.add_column("issuers", justify="right")
        for field in report["accuracy"]:
            ft.add_column(field, justify="right")
        for f in report["folds"]:
            ft.add_row(str(f["fold"]), str(f["documents"]), str(f["groups"]), *(fmt(v) for v in f["accuracy"].values()))
        console.print(ft)

    rt = Table(title=f"reliability (expected calibration error {report['expected_calibration_error']:.3f})")
    rt.add_column("confidence", justify="right")
    rt.add_column("fields", justify="right")
    rt.add_column("mean confidence", justify="right")
    rt.add_column("accuracy", justify="right")
    for b in report["reliability"]:
        rt.add_row(b["bin"], str(b["count"]), fmt(b["mean_confidence"]), fmt(b["accuracy"]))
    console.print(rt)

    aa = report["auto_accept"]
    if aa["threshold"] is None:
        console.print(
            f"auto-accept: no confidence threshold keeps {aa['target_precision']:.0%} precision on these fields"
        )
    else:
        console.print(
            f"auto-accept at confidence >= {aa['threshold']:.3f}: {aa['precision']:.1%} precise, accepts "
            f"{aa['coverage']:.0%} of the fields (target {aa['target_precision']:.0%}"
            + (f", chosen on {', '.join(aa['chosen_on'])})" if aa.get("chosen_on") else ")")
        )
        for ds, part in aa.get("by_dataset", {}).items():
            p = "-" if part["precision"] is None else f"{part['precision']:.1%}"
            console.print(f"  {ds}: {p} precise, accepts {part['coverage']:.0%}")
    high, scored = evaluation.high_confidence_count(scores)
    hcp = report["high_confidence_precision"]
    console.print(f"fields with confidence >= {evaluation.HIGH_CONFIDENCE}: {high} of {scored}, "
                  f"{'-' if hcp is None else f'{hcp:.1%}'} of them correct")  # fmt: skip
    timing = []
    if report["seconds_per_document"] is not None:
        timing.append(f"reading {report['seconds_per_document']:.2f} CPU s per document on one core")
    if report["selection_ms_per_document"] is not None:
        timing.append(f"classification and fields {report['selection_ms_per_document']:.1f} ms per document")
    timing.append(f"{wall:.0f} s wall in all, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    console.print("; ".join(timing))
    for s in scores:
        if s.error:
            console.print(f"[red]{s.name}: {s.error}[/red]")
    if args.show_misses:
        for s in scores:
            for field, v in s.fields.items():
                if not v["correct"]:
                    conf = "-" if v["confidence"] is None else f"{v['confidence']:.2f}"
                    console.print(f"{s.name} {field}: expected {v['expected']!r}, got {v['got']!r} ({conf})")
