"""Runs the extraction engine on each hostile case in its own forked process under resource limits, and
prints one JSON line per case: outcome, CPU seconds and peak resident memory (the child's and its OCR
subprocesses'), or the signal that ended it.

    python tests/reliability/engine_probe.py [--cpu-seconds 120] [--extra-mb 3072] [kind ...]

The parent imports the engine once and forks per document, so each measurement starts from the same
warm state and a document that exhausts its limits takes only its own child down.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import engine_cases  # noqa: E402


def _vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _child(case, engine, cpu_seconds: int, extra_bytes: int, out_fd: int) -> None:
    from docpipe.models import DocumentError

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    limit = _vm_bytes() + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    before = resource.getrusage(resource.RUSAGE_SELF)
    result: dict = {"kind": case.kind}
    try:
        r = engine.extract(case.data, filename=case.filename or case.kind)
        result.update(outcome="processed", pages=r.page_count, ocr_pages=r.ocr_pages,
                      missing_text=[m for m in case.must_contain if m not in r.text])  # fmt: skip
    except DocumentError as e:
        result.update(outcome=e.reason, message=e.message[:200])
    except MemoryError:
        result.update(outcome="memory_limit")
    except Exception as e:  # an engine bug: reported, not hidden
        result.update(outcome="engine_error", message=f"{type(e).__name__}: {str(e)[:200]}")
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_s"] = round(me.ru_utime + me.ru_stime - before.ru_utime - before.ru_stime
                            + kids.ru_utime + kids.ru_stime, 3)  # fmt: skip
    result["peak_rss_mb"] = round(max(me.ru_maxrss, kids.ru_maxrss) / 1024, 1)
    os.write(out_fd, json.dumps(result).encode())
    os._exit(0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu-seconds", type=int, default=120)
    ap.add_argument("--extra-mb", type=int, default=3072)
    ap.add_argument("kinds", nargs="*")
    args = ap.parse_args()

    from docpipe.extraction import get_backend

    engine = get_backend("local")
    # warm the parent: libraries imported and initialised once, not in every child
    from corpus import text_pdf

    engine.extract(text_pdf(), filename="warm-up.pdf")
    cases = [c for c in engine_cases() if not args.kinds or c.kind in args.kinds]
    # the baseline: what a child that extracts nothing peaks at (the warm parent's pages it touches)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"baseline_rss_mb": round(base, 1)}), flush=True)
    for case in cases:
        r_fd, w_fd = os.pipe()
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(r_fd)
            try:
                _child(case, engine, args.cpu_seconds, args.extra_mb * 1024 * 1024, w_fd)
            finally:
                os._exit(3)
        os.close(w_fd)
        chunks = []
        while chunk := os.read(r_fd, 65536):
            chunks.append(chunk)
        os.close(r_fd)
        _, status = os.waitpid(pid, 0)
        line = json.loads(b"".join(chunks)) if chunks else {"kind": case.kind}
        line["expect"] = case.expect
        line["wall_s"] = round(time.monotonic() - t0, 3)
        if os.WIFSIGNALED(status):
            line["signal"] = os.WTERMSIG(status)
        elif os.WEXITSTATUS(status):
            line["exit"] = os.WEXITSTATUS(status)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
