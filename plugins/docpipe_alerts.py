"""docpipe's alerting plugin: listeners that the task processes need for Sentry.

The deadline callbacks and the failure callback live in `docpipe.alerts.callbacks` (an importable
package, not this file): Airflow imports them by dotted path in the triggerer and the workers.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from docpipe.alerts import listener


class DocpipeAlertsPlugin(AirflowPlugin):
    name = "docpipe_alerts"
    listeners = [listener]
