"""The health view's FastAPI app without services: who gets in (anonymous, bad token, a user without a
role, a viewer), and what the page says about runs, tenants and SLAs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from docpipe.health import app as health_app
from docpipe.health.queries import IntervalHealth, TenantHealth

START = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _interval(sla: bool | None = None, run_id: str = "backfill__2026-03-01T11:00:00+00:00") -> IntervalHealth:
    return IntervalHealth(
        dag_id="document_ingest", interval_start=START, interval_end=START.replace(hour=11), run_id=run_id,
        status="success", listed=5, processed=3, quarantined=1, unchanged=1, missing=0, sla_met=sla, runs=2,
        finished_at=START.replace(hour=11, minute=5), quarantine_reasons={"corrupt": 1},
        tenants=[
            TenantHealth("acme", listed=3, processed=2, quarantined=1, unchanged=0, stored=3, stored_processed=2,
                         stored_quarantined=1, review=1, block=0),
            TenantHealth("globex", stored=2, stored_processed=2, review=0, block=1),
        ],
    )  # fmt: skip


@pytest.fixture()
def auth_manager(monkeypatch: pytest.MonkeyPatch):
    """Airflow's SimpleAuthManager, signing and validating real JWTs in this process."""
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.models.revoked_token import RevokedToken

    monkeypatch.setattr(RevokedToken, "is_revoked", classmethod(lambda cls, jti, session=None: False))
    manager = create_auth_manager()
    monkeypatch.setattr(health_app, "_auth_manager", lambda: manager)
    return manager


@pytest.fixture()
def client(monkeypatch: pytest.MonkeyPatch, auth_manager) -> TestClient:
    calls: list[tuple] = []
    monkeypatch.setattr(health_app, "load_intervals", lambda *a: calls.append(a) or [_interval()])
    monkeypatch.setattr(health_app, "airflow_run_states", lambda dag_id, run_ids: {run_ids[0]: "success"})
    c = TestClient(health_app.create_app())
    c.calls = calls  # type: ignore[attr-defined]
    return c


def _token(manager, role: str | None = "ADMIN") -> str:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return manager.generate_jwt(SimpleAuthManagerUser(username="someone", role=role))


def test_anonymous_requests_are_refused(client: TestClient) -> None:
    assert client.get("/api/intervals").status_code == 401
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401
    assert "Log in to Airflow" in page.text and "/auth/login" in page.text


def test_a_forged_token_is_refused(client: TestClient) -> None:
    assert client.get("/api/intervals", headers={"Authorization": "Bearer not.a.jwt"}).status_code == 403
    client.cookies.set("_token", "eyJhbGciOiJIUzUxMiJ9.e30.c2lnbmF0dXJl")
    assert client.get("/api/intervals").status_code == 403


def test_a_user_without_a_role_is_refused(client: TestClient, auth_manager) -> None:
    r = client.get("/api/intervals", headers={"Authorization": f"Bearer {_token(auth_manager, role=None)}"})
    assert r.status_code == 403


def test_a_viewer_with_the_ui_cookie_sees_the_page(client: TestClient, auth_manager) -> None:
    client.cookies.set("_token", _token(auth_manager, role="VIEWER"))
    r = client.get("/", params={"tenant": "acme,globex", "since": "2026-03-01T00:00"})
    assert r.status_code == 200, r.text
    html = r.text
    assert 'data-interval="2026-03-01T10:00"' in html
    assert 'data-tenant="acme"' in html and 'data-tenant="globex"' in html
    assert ">n/a<" in html  # no SLA verdict recorded yet
    # The run link goes to the run in the Airflow UI, with its id escaped.
    assert "/dags/document_ingest/runs/backfill__2026-03-01T11%3A00%3A00%2B00%3A00" in html
    assert 'target="_top"' in html  # leaves the UI's frame
    _, since, _, tenants, _ = client.calls[-1]  # type: ignore[attr-defined]
    assert since == datetime(2026, 3, 1, tzinfo=UTC) and tenants == ["acme", "globex"]


def test_json_carries_counts_sla_and_links(client: TestClient, auth_manager, monkeypatch) -> None:
    monkeypatch.setattr(health_app, "load_intervals", lambda *a: [_interval(sla=False)])
    r = client.get("/api/intervals", headers={"Authorization": f"Bearer {_token(auth_manager)}"})
    assert r.status_code == 200
    (iv,) = r.json()["intervals"]
    assert (iv["listed"], iv["processed"], iv["quarantined"], iv["unchanged"]) == (5, 3, 1, 1)
    assert (iv["review"], iv["block"], iv["sla_met"], iv["airflow_state"]) == (1, 1, False, "success")
    assert iv["tenants"][1]["listed"] is None  # the run did not record per-tenant counts for globex
    assert iv["run_url"].endswith("/runs/backfill__2026-03-01T11%3A00%3A00%2B00%3A00")


def test_bad_filters_are_rejected(client: TestClient, auth_manager) -> None:
    h = {"Authorization": f"Bearer {_token(auth_manager)}"}
    assert client.get("/api/intervals", params={"dag_id": "other"}, headers=h).status_code in (400, 403)
    assert client.get("/api/intervals", params={"since": "yesterday"}, headers=h).status_code == 400


def test_sla_cells() -> None:
    page = health_app.render_page(
        [_interval(sla=True), _interval(sla=False, run_id="r2")], {}, dag_id="document_ingest", filters={}, user="u"
    )
    assert ">met<" in page and ">missed<" in page
    assert "(2 runs)" in page
