"""docpipe's pipeline health view inside the Airflow UI.

Mounts the FastAPI app of `docpipe.health.app` at `/docpipe-health` in the API server and adds
"Pipeline health" to the UI's Browse menu (an external view: the UI shows the page in a frame, on the
same origin, so the browser sends the UI's login cookie). The app checks that cookie or a bearer
token itself: Airflow does not authenticate plugin FastAPI apps.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/docpipe-health"


def _app():  # type: ignore[no-untyped-def]
    from docpipe.health.app import create_app

    return create_app()


class DocpipeHealthPlugin(AirflowPlugin):
    name = "docpipe_health"
    fastapi_apps = [{"app": _app(), "url_prefix": URL_PREFIX, "name": "docpipe pipeline health"}]
    external_views = [
        {
            "name": "Pipeline health",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "docpipe-health",
        }
    ]
