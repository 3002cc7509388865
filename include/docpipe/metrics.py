"""docpipe's StatsD metrics, sent through Airflow's metrics client (`[metrics] statsd_on`; the client
adds the `airflow.` prefix), so they reach the same StatsD exporter as Airflow's own. Outside Airflow,
or with metrics off, every call is a no-op. Names and their Prometheus mapping: docs/alerting.md and
deploy/statsd/mapping.yml.
"""

from __future__ import annotations

from typing import Any


def _stats() -> Any:
    try:
        from airflow.sdk.observability.stats import Stats
    except ImportError:  # the library used without Airflow
        return None
    return Stats


def incr(name: str, count: int = 1) -> None:
    stats = _stats()
    if stats is not None and count:
        stats.incr(name, count=count)


def timing(name: str, milliseconds: float) -> None:
    stats = _stats()
    if stats is not None:
        stats.timing(name, milliseconds)
