"""Every web route docpipe adds to Airflow refuses unauthenticated access.

Airflow does not authenticate FastAPI apps mounted by plugins (`fastapi_apps`), so each app must do it
itself. This loads every plugin in plugins/, and requests every route of every app it mounts, plus
FastAPI's schema and docs pages, anonymously and with forged credentials: nothing may answer 2xx.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def _plugin_apps() -> list[tuple[str, Any]]:
    from airflow.plugins_manager import AirflowPlugin

    apps = []
    for path in sorted(PLUGINS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"docpipe_plugin_under_test_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, AirflowPlugin) and obj is not AirflowPlugin:
                for entry in getattr(obj, "fastapi_apps", []) or []:
                    apps.append((f"{path.name}:{entry.get('url_prefix', '')}", entry["app"]))
    return apps


def _requests(app: Any) -> list[tuple[str, str]]:
    out = [("GET", p) for p in ("/docs", "/redoc", "/openapi.json")]
    for route in app.routes:
        path = getattr(route, "path", None)
        if not path or path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            continue
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method not in ("HEAD", "OPTIONS"):
                out.append((method, concrete))
    return out


CREDENTIALS = {
    "anonymous": {},
    "forged bearer": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."},
    "forged cookie": {"Cookie": "_token=not-a-token"},
    "basic admin": {"Authorization": "Basic YWRtaW46YWRtaW4="},
}


def test_every_plugin_route_refuses_unauthenticated_requests() -> None:
    from airflow.api_fastapi.app import init_auth_manager, purge_cached_app
    from fastapi.testclient import TestClient

    init_auth_manager()  # as the API server does before it mounts plugin apps: forged tokens get checked
    try:
        _check_apps(TestClient)
    finally:
        purge_cached_app()  # leave no auth manager behind for other tests


def _check_apps(TestClient: Any) -> None:  # noqa: N803 - the class, passed in to keep imports lazy
    apps = _plugin_apps()
    if not apps:
        pytest.skip("no plugin mounts a FastAPI app")
    answered = []
    checked = 0
    for name, app in apps:
        with TestClient(app, raise_server_exceptions=False) as client:
            for method, path in _requests(app):
                for who, headers in CREDENTIALS.items():
                    for accept in ("application/json", "text/html"):
                        r = client.request(method, path, headers={**headers, "Accept": accept}, follow_redirects=False)
                        checked += 1
                        if r.status_code < 300 or r.status_code >= 500:
                            answered.append(f"{name} {method} {path} [{who}, {accept}] -> {r.status_code}")
    assert checked
    assert not answered, "routes that did not refuse (2xx) or failed (5xx) without valid credentials:\n" + "\n".join(
        answered
    )
