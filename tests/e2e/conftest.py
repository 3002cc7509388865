"""End-to-end fixtures: a real `airflow standalone` (scheduler, dag-processor, triggerer, API server
with the docpipe plugins) on free ports against this test session's local stack, and the system's
Chromium driven by Playwright.

Chromium comes from Debian (`apt-get install chromium` when it is missing and we are root); the
tests never download a browser. Screenshots of a failing test, and a few of a passing one, go to the
test's tmp dir (its path is printed).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from airflow_ui import PASSWORD, USER

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AirflowServer:
    base_url: str
    workdir: Path

    def api(self):  # a fresh REST client (token from /auth/token)
        from docpipe.commands.backfill import AirflowApi

        return AirflowApi(self.base_url, USER, PASSWORD, timeout=120)

    def log_tail(self, lines: int = 60) -> str:
        log = self.workdir / "airflow.log"
        return "".join(log.read_text(errors="replace").splitlines(keepends=True)[-lines:]) if log.exists() else ""


def _wait_for_dags(server: AirflowServer, dag_ids: tuple[str, ...], timeout: float = 300) -> None:
    """The API answers before the dag-processor has parsed the DAGs; the tests need them."""
    api = server.api()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                found = {d["dag_id"] for d in api.request("GET", "/api/v2/dags", params={"limit": 100})["dags"]}
                if set(dag_ids) <= found:
                    return
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"DAGs {dag_ids} not parsed within {timeout}s:\n{server.log_tail()}")
            time.sleep(2)
    finally:
        api.close()


@pytest.fixture(scope="session")
def airflow_server(airflow_db) -> Iterator[AirflowServer]:
    """`airflow standalone` for the session, stopped at the end."""
    from docpipe import localstack

    workdir = airflow_db.workdir
    env = dict(os.environ)
    env.update(
        {
            # Another Airflow on the machine may hold the default log-server ports 8793/8794.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
            # On a busy machine the API server answers task heartbeats slowly; the 5 s default fails tasks.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        }
    )
    passwords = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    passwords.parent.mkdir(parents=True, exist_ok=True)
    passwords.write_text(json.dumps({USER: PASSWORD}))
    port = localstack.start_airflow(env)
    server = AirflowServer(f"http://127.0.0.1:{port}", workdir)
    _RUNNING.append(server)
    try:
        _wait_for_dags(server, ("document_ingest", "warehouse_load"))
        yield server
    finally:
        _stop(server)


_RUNNING: list[AirflowServer] = []


def _stop(server: AirflowServer) -> None:
    """Pause the DAGs again and stop the scheduler: later tests run DAGs with `dag.test()` on the same
    metadata DB, and a live scheduler would pick up those runs' tasks too."""
    from docpipe import localstack

    if server not in _RUNNING:
        return
    _RUNNING.remove(server)
    try:
        api = server.api()
        for dag_id in ("document_ingest", "warehouse_load"):
            api.set_paused(dag_id, True)
        api.close()
    except Exception:
        pass  # stopping is what matters
    localstack.stop_airflow(server.workdir)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop Airflow as soon as the last test of this folder is done, not at the end of the session."""
    if _RUNNING and (nextitem is None or Path(nextitem.path).parent != Path(__file__).parent):
        _stop(_RUNNING[0])


def _install_chromium() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)


@pytest.fixture(scope="module")  # closed with its module: Playwright keeps an event loop running meanwhile
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright (installed with apt-get when missing)."""
    if not Path(CHROMIUM).exists():
        _install_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


_REPORTS = pytest.StashKey[dict]()


class Shots:
    """Numbered screenshots in the test's tmp dir."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder, self.n = page, folder, 0

    def __call__(self, name: str) -> Path:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture()
def page(browser, request: pytest.FixtureRequest, tmp_path: Path):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    # Generous: on a loaded 2-core machine the UI's first render took minutes; failures still surface.
    context.set_default_timeout(180_000)
    context.set_default_navigation_timeout(180_000)
    pg = context.new_page()
    pg.shots = Shots(pg, tmp_path)
    yield pg
    reports = request.node.stash.get(_REPORTS, {})
    if any(r.failed for r in reports.values()):
        try:
            path = pg.shots("failure")
            print(f"\nscreenshot of the failure: {path}")
        except Exception as e:  # a crashed page cannot be photographed; the log says why
            print(f"\nno failure screenshot: {e}")
    print(f"\nscreenshots: {tmp_path}")
    context.close()
