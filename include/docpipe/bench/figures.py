"""The arithmetic of the benchmarks, kept apart from the services so that it is tested on its own.

The ingest figures come from a DAG run's task instances: each one's start and end (Airflow's own
timestamps) and, for the batch tasks, the seconds `process_batch` itself measured inside the task.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PARSE_GOAL_MS = 200.0


@dataclass(frozen=True)
class TaskSpan:
    """One task instance: when Airflow says it ran (seconds on any common clock) and, when the task
    measured it, how long its own work took."""

    task_id: str
    map_index: int
    start: float
    end: float
    work_s: float | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def union_seconds(spans: Iterable[tuple[float, float]]) -> float:
    """Length of the union of [start, end) intervals: time during which at least one was open."""
    total = 0.0
    current: tuple[float, float] | None = None
    for start, end in sorted((s, e) for s, e in spans if e > s):
        if current is None or start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += current[1] - current[0]
    return total


def max_concurrency(spans: Iterable[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an interval that ends as another starts does not overlap)."""
    intervals = [(s, e) for s, e in spans if e > s]
    events = sorted([(e, -1) for _, e in intervals] + [(s, 1) for s, _ in intervals])
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def work_seconds(spans: Sequence[TaskSpan]) -> float:
    """In-task work of a run: the seconds the batch tasks measured themselves, plus, for tasks that do
    not measure their work (discover, record_run), their duration less the median start-up and
    teardown cost seen on the tasks that do."""
    measured = [s for s in spans if s.work_s is not None]
    startup = statistics.median(max(0.0, s.seconds - s.work_s) for s in measured) if measured else 0.0  # type: ignore[operator]
    total = 0.0
    for s in spans:
        if s.work_s is not None:
            total += min(s.work_s, s.seconds) if s.seconds else s.work_s
        else:
            total += max(0.0, s.seconds - startup)
    return total


def overhead(wall_s: float, spans: Sequence[TaskSpan], slots: int | None = None) -> dict[str, float]:
    """Where the run's task capacity went. Capacity is `slots` x wall, `slots` being the batch tasks
    that may run at once (default: the most that did). Work is `work_seconds`; task start-up and
    teardown is task time that was not work; idle is capacity no task used (scheduling gaps, waiting
    for the scheduler and the executor). The Airflow overhead share is 1 - work / capacity."""
    if wall_s <= 0:
        raise ValueError(f"wall time must be positive, got {wall_s}")
    slots = slots or max(1, max_concurrency((s.start, s.end) for s in spans))
    capacity = slots * wall_s
    task_s = sum(s.seconds for s in spans)
    work_s = work_seconds(spans)
    return {
        "slots": slots,
        "capacity_s": capacity,
        "work_s": work_s,
        "task_s": task_s,
        "task_startup_s": max(0.0, task_s - work_s),
        "idle_s": max(0.0, capacity - task_s),
        "busy_s": union_seconds((s.start, s.end) for s in spans),
        "share": min(1.0, max(0.0, 1.0 - work_s / capacity)),
    }


def ingest_figures(
    *,
    documents: int,
    wall_s: float,
    spans: Sequence[TaskSpan],
    peak_rss_mb: float,
    pages: int | None = None,
    cores: int | None = None,
    slots: int | None = None,
) -> dict[str, Any]:
    """The `bench ingest --json` object: documents, wall_s, documents_per_hour,
    airflow_overhead_share, peak_rss_mb (and pages_per_s_per_core when `pages` is given, for scans),
    then the parts they were computed from."""
    o = overhead(wall_s, spans, slots)
    out: dict[str, Any] = {
        "documents": documents,
        "wall_s": round(wall_s, 1),
        "documents_per_hour": round(documents / wall_s * 3600),
        "airflow_overhead_share": round(o["share"], 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    if pages is not None:
        out["pages_per_s_per_core"] = round(pages / wall_s / max(1, cores or 1), 3)
        out["pages"] = pages
    out.update(
        documents_per_s=round(documents / wall_s, 2),
        work_s=round(o["work_s"], 1),
        task_startup_s=round(o["task_startup_s"], 1),
        idle_slot_s=round(o["idle_s"], 1),
        slots=o["slots"],
        tasks=len(spans),
    )
    return out


def loop_figures(*, documents: int, wall_s: float, peak_rss_mb: float, pages: int | None = None,
                 cores: int | None = None) -> dict[str, Any]:  # fmt: skip
    """The same headline figures for the plain-Python alternative (no scheduler: no overhead share)."""
    out: dict[str, Any] = {
        "documents": documents,
        "wall_s": round(wall_s, 1),
        "documents_per_hour": round(documents / wall_s * 3600),
        "documents_per_s": round(documents / wall_s, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    if pages is not None:
        out["pages_per_s_per_core"] = round(pages / wall_s / max(1, cores or 1), 3)
    return out


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no values")
    return float(statistics.median(values))


def growth(before: float, after: float) -> float:
    """How many times longer `after` took than `before`."""
    return after / before if before > 0 else float("inf")


def parse_row(file: str, script_ms: Sequence[float], baseline_ms: Sequence[float],
              dagbag_ms: Sequence[float], serialize_ms: Sequence[float] = ()) -> dict[str, Any]:  # fmt: skip
    """One DAG file's parse figures (medians, milliseconds): `python file` wall time, the same for an
    interpreter that only imports airflow.sdk (what every DAG file pays before its own code), the
    file's own share (the difference), DagBag's parse duration in a fresh process and the time to
    serialize what it found (the rest of the dag-processor's work); goal met when DagBag's figure is
    under PARSE_GOAL_MS."""
    script, baseline, dagbag = median(script_ms), median(baseline_ms), median(dagbag_ms)
    return {
        "file": file,
        "python_file_ms": round(script, 1),
        "interpreter_and_airflow_sdk_ms": round(baseline, 1),
        "file_own_ms": round(max(0.0, script - baseline), 1),
        "dagbag_ms": round(dagbag, 1),
        "serialize_ms": round(median(serialize_ms), 1) if serialize_ms else None,
        "goal_ms": PARSE_GOAL_MS,
        "meets_goal": dagbag < PARSE_GOAL_MS,
    }


def discovery_figures(result: dict[str, Any]) -> dict[str, Any]:
    """The `bench discovery --json` object from `docpipe.bench.discovery.run`'s result."""
    before, after = result["before"], result["after"]
    ours_b, ours_a = before["discovery"], after["discovery"]
    alt_b, alt_a = before["list_keys_whole_prefix"], after["list_keys_whole_prefix"]
    return {
        "hour_documents": result["hour_documents"],
        "older_objects": result["older_objects"],
        "discovery_s": [round(ours_b["seconds"], 3), round(ours_a["seconds"], 3)],
        "discovery_requests": [ours_b["requests"], ours_a["requests"]],
        "discovery_keys_read": [ours_b["keys_read"], ours_a["keys_read"]],
        "discovery_growth": round(growth(ours_b["seconds"], ours_a["seconds"]), 2),
        "list_keys_s": [round(alt_b["seconds"], 3), round(alt_a["seconds"], 3)],
        "list_keys_requests": [alt_b["requests"], alt_a["requests"]],
        "list_keys_keys_read": [alt_b["keys_read"], alt_a["keys_read"]],
        "list_keys_growth": round(growth(alt_b["seconds"], alt_a["seconds"]), 2),
        "moto_empty_list_request_s": [
            round(before["one_empty_list_request_s"], 4),
            round(after["one_empty_list_request_s"], 4),
        ],  # fmt: skip
        "same_documents_found": ours_b["found"] == ours_a["found"] == alt_b["found"] == alt_a["found"],
    }


def cpu_figures(documents: int, airflow_cpu: dict[str, float], loop_cpu: dict[str, float] | None) -> dict[str, Any]:
    """CPU seconds per document of the scheduler run (every process of Airflow and moto) and of the
    plain loop (its workers and moto), and the share of the former the loop did not need: unlike
    wall time, CPU time hardly depends on what else the machine runs."""
    ours = sum(airflow_cpu.values())
    out: dict[str, Any] = {"cpu_s_per_document": round(ours / documents, 4)}
    if loop_cpu is not None:
        theirs = loop_cpu.get("loop", 0.0) + loop_cpu.get("moto", 0.0)
        out["plain_loop_cpu_s_per_document"] = round(theirs / documents, 4)
        out["cpu_overhead_vs_plain_loop"] = round(max(0.0, 1 - theirs / ours), 3) if ours else None
    return out
