"""A failed run's accounting so far, for the failure alert.

Reads (in the failing task's worker process): the XComs of the task's upstream tasks in this run
(the ingest's `discovery` counts and the batch outcomes; the warehouse steps' row counts) and the
run's `docpipe.pipeline_runs` row when `record_run` got that far. Never raises: an alert without
accounting is better than no alert.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)

INGEST_COUNTS = ("processed", "quarantined", "unchanged", "pages", "ocr_pages")
MAX_KEYS = 24


def _numeric_leaves(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, (bool, int, float)):
        out[prefix] = value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if len(out) >= MAX_KEYS:
                return
            _numeric_leaves(f"{prefix}.{k}" if prefix else str(k), v, out)


def summarise(outputs: Mapping[str, Iterable[Any]], discovery: Mapping[str, Any] | None) -> dict[str, Any]:
    """Counts from upstream task outputs ({task_id: [value per map index]}) and the ingest's
    discovery XCom. Batch outcomes (dicts with `processed`/`quarantined`/`unchanged`) are added up;
    other outputs contribute their numeric fields as `<task_id>.<field>`."""
    acc: dict[str, Any] = {}
    if discovery:
        for k in ("listed", "batches"):
            if k in discovery:
                acc[k] = int(discovery[k])
    batch_totals = dict.fromkeys(INGEST_COUNTS, 0)
    batches = 0
    for task_id, values in outputs.items():
        for value in values:
            if value is None:
                continue
            if isinstance(value, Mapping) and any(k in value for k in ("processed", "quarantined", "unchanged")):
                batches += 1
                for k in INGEST_COUNTS:
                    batch_totals[k] += int(value.get(k, 0) or 0)
            else:
                leaves: dict[str, Any] = {}
                _numeric_leaves(task_id, value, leaves)
                for k, v in leaves.items():
                    if len(acc) < MAX_KEYS:
                        acc[k] = v
    if batches:
        acc.update({k: v for k, v in batch_totals.items() if k in ("processed", "quarantined", "unchanged") or v})
        acc["batches_reported"] = batches
        if "listed" in acc:
            acc["missing"] = acc["listed"] - sum(batch_totals[k] for k in ("processed", "quarantined", "unchanged"))
    return acc


def _recorded_run(dag_id: str, run_id: str) -> dict[str, Any] | None:
    import contextlib

    from docpipe.connections import postgres_connection

    with contextlib.closing(postgres_connection()) as pg:
        row = pg.execute(
            """SELECT listed, processed, quarantined, unchanged, missing, status
               FROM docpipe.pipeline_runs WHERE dag_id = %s AND run_id = %s""",
            (dag_id, run_id),
        ).fetchone()
    if row is None:
        return None
    return dict(zip(("listed", "processed", "quarantined", "unchanged", "missing", "status"), row, strict=True))


def for_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The accounting of the context's run so far (see the module docstring)."""
    ti, task = context.get("ti"), context.get("task")
    if ti is None or task is None:
        return {}
    acc: dict[str, Any] = {}
    try:
        upstream = sorted(task.get_flat_relative_ids(upstream=True))
        discovery = None
        if "discover" in upstream:
            discovery = ti.xcom_pull(task_ids="discover", key="discovery", map_indexes=None)
        outputs = {tid: list(ti.xcom_pull(task_ids=[tid]) or []) for tid in upstream}
        acc = summarise(outputs, discovery if isinstance(discovery, Mapping) else None)
    except Exception as e:  # the API server may be what failed; say so instead of failing the alert
        log.warning("could not read the run's XComs for the failure alert: %s", e)
        acc["xcom_error"] = type(e).__name__
    try:
        recorded = _recorded_run(ti.dag_id, ti.run_id)
        if recorded:
            acc["recorded_run"] = recorded
    except Exception as e:
        log.info("no docpipe.pipeline_runs row for the failure alert: %s", e)
    return acc
