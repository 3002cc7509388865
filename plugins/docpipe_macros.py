"""Airflow plugin: template macros for docpipe's upload layout, so a templated field or a data
engineer's ad-hoc task can name exactly the S3 partitions of a run's data interval, e.g.
`{{ macros.docpipe_macros.upload_prefixes(data_interval_start, data_interval_end, "acme") }}`."""

from __future__ import annotations

from datetime import datetime

from airflow.plugins_manager import AirflowPlugin


def upload_prefixes(start: datetime, end: datetime, tenant_id: str, prefix: str = "uploads") -> list[str]:
    """The hour-partition prefixes `<prefix>/<tenant>/<YYYY>/<MM>/<DD>/<HH>/` inside [start, end)."""
    from docpipe.ingest.discovery import hour_prefix, hours_in

    return [hour_prefix(prefix, tenant_id, hour) for hour in hours_in(start, end)]


class DocpipeMacrosPlugin(AirflowPlugin):
    name = "docpipe_macros"
    macros = [upload_prefixes]
