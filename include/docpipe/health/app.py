"""The health view as a FastAPI app, mounted inside Airflow's API server by `plugins/docpipe_health.py`.

GET /            HTML: per interval and tenant, listed / processed / quarantined / unchanged, what the
                 store holds, moderation review and block counts, SLA met or missed, links to the runs.
GET /api/intervals   the same as JSON.

Airflow gives apps mounted through `fastapi_apps` no authentication of their own, so every route
here resolves the caller from the same JWT the UI and REST API use (`Authorization: Bearer` or the
UI's `_token` cookie) through Airflow's auth manager, and asks it whether that user may read the
DAG's runs. Anonymous requests get 401, bad or unauthorised tokens 403.

Reads: Postgres through the `docpipe_postgres` connection (`docpipe.health.queries`), and the run
states from Airflow's metadata DB when it runs inside the API server.
"""

from __future__ import annotations

import contextlib
import html
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from docpipe.health.queries import IntervalHealth, TenantHealth, interval_health

DAG_IDS = ("document_ingest", "warehouse_load")
COOKIE_NAME = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


def _auth_manager() -> Any:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip()  # an explicit credential wins over the session cookie, as in Airflow
    return request.cookies.get(COOKIE_NAME) or None


async def require_user(request: Request, dag_id: str = Query("document_ingest")) -> Any:
    """The authenticated Airflow user allowed to read `dag_id`'s runs; 401/403 otherwise."""
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
    from jwt import ExpiredSignatureError, InvalidTokenError

    token = _token(request)
    if not token:
        raise HTTPException(status_code=401, detail="Not authenticated: log in to Airflow first")
    manager = _auth_manager()
    try:
        user = await manager.get_user_from_token(token)
    except ExpiredSignatureError:
        raise HTTPException(status_code=401, detail="Token expired: log in to Airflow again") from None
    except InvalidTokenError:
        raise HTTPException(status_code=403, detail="Invalid token") from None
    allowed = manager.is_authorized_dag(
        method="GET", access_entity=DagAccessEntity.RUN, details=DagDetails(id=dag_id), user=user
    )
    if not allowed:
        raise HTTPException(status_code=403, detail=f"not allowed to read the runs of {dag_id}")
    return user


CurrentUser = Annotated[Any, Depends(require_user)]


def load_intervals(
    dag_id: str, since: datetime | None, until: datetime | None, tenants: list[str], limit: int
) -> list[IntervalHealth]:
    """Read the view's data (a seam for tests)."""
    from docpipe.connections import postgres_connection

    with contextlib.closing(postgres_connection()) as pg:
        return interval_health(pg, dag_id=dag_id, since=since, until=until, tenants=tenants, limit=limit)


def airflow_run_states(dag_id: str, run_ids: list[str]) -> dict[str, str]:
    """Airflow's own state of these runs; empty when the metadata DB is not reachable from here."""
    if not run_ids:
        return {}
    try:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            rows = session.execute(
                select(DagRun.run_id, DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id.in_(run_ids))
            ).all()
        return {r[0]: str(r[1].value if hasattr(r[1], "value") else r[1]) for r in rows}
    except Exception:  # the view stays useful without Airflow's states (e.g. outside the API server)
        return {}


def _parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(status_code=400, detail=f"{name}={value!r} is not a date like 2026-03-01T10:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _airflow_base() -> str:
    """Path prefix of the Airflow UI (links stay on the same origin as this app)."""
    try:
        from urllib.parse import urlparse

        from airflow.configuration import conf

        return urlparse(conf.get("api", "base_url", fallback="/") or "/").path.rstrip("/")
    except Exception:
        return ""


def run_url(dag_id: str, run_id: str) -> str:
    return f"{_airflow_base()}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


# ------------------------------------------------------------------------------------------ HTML

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1a202c; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; } p.lead { color: #4a5568; margin: 0 0 1rem; }
form { margin: 0 0 1rem; display: flex; gap: .6rem; align-items: end; flex-wrap: wrap; }
label { display: flex; flex-direction: column; font-size: 12px; color: #4a5568; }
input, select { font: inherit; padding: .2rem .4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #e2e8f0; text-align: right; white-space: nowrap; }
th { background: #f7fafc; position: sticky; top: 0; } td.l, th.l { text-align: left; }
tr.interval td { background: #f7fafc; font-weight: 600; border-top: 2px solid #cbd5e0; }
.ok { color: #276749; } .bad { color: #c53030; font-weight: 600; } .na { color: #a0aec0; }
.warn { color: #b7791f; font-weight: 600; } a { color: #2b6cb0; }
td.run { white-space: normal; word-break: break-all; min-width: 16rem; }
"""


def _n(value: int | None, *, bad_if_positive: bool = False) -> str:
    if value is None:
        return '<span class="na">–</span>'
    if bad_if_positive and value > 0:
        return f'<span class="bad">{value}</span>'
    return str(value)


def _sla(value: bool | None) -> str:
    if value is None:
        return '<span class="na" title="not recorded for this run">n/a</span>'
    return '<span class="ok">met</span>' if value else '<span class="bad">missed</span>'


def _status(status: str) -> str:
    cls = {"success": "ok", "running": "warn", "queued": "warn"}.get(status, "bad")
    return f'<span class="{cls}">{html.escape(status)}</span>'


def _tenant_row(iv: IntervalHealth, t: TenantHealth) -> str:
    cells = [
        f'<td class="l"></td><td class="l tenant">{html.escape(t.tenant_id)}</td>',
        *(f"<td>{_n(v)}</td>" for v in (t.listed, t.processed)),
        f"<td>{_n(t.quarantined, bad_if_positive=True)}</td>",
        f"<td>{_n(t.unchanged)}</td>",
        "<td></td>",
        f'<td title="{t.stored_processed} processed, {t.stored_quarantined} quarantined">'
        f"{t.stored} ({t.stored_quarantined} q)</td>",
        f"<td>{_n(t.review)}</td><td>{_n(t.block, bad_if_positive=True)}</td>",
        "<td></td><td></td>",
    ]
    return (
        f'<tr class="tenant" data-interval="{iv.interval_start:%Y-%m-%dT%H:%M}" '
        f'data-tenant="{html.escape(t.tenant_id)}" data-stored="{t.stored}">{"".join(cells)}</tr>'
    )


def _interval_row(iv: IntervalHealth, state: str | None) -> str:
    stored = sum(t.stored for t in iv.tenants)
    stored_q = sum(t.stored_quarantined for t in iv.tenants)
    reruns = f" <small>({iv.runs} runs)</small>" if iv.runs > 1 else ""
    link = (
        f'<a href="{html.escape(run_url(iv.dag_id, iv.run_id))}" target="_top" class="run">'
        f"{html.escape(iv.run_id)}</a>{reruns}"
    )
    airflow_state = f"{_status(state)} / " if state else ""
    same_day = iv.interval_start.date() == iv.interval_end.date()
    span = f"{iv.interval_start:%Y-%m-%d %H:%M} – {iv.interval_end:{'%H:%M' if same_day else '%Y-%m-%d %H:%M'}}"
    cells = [
        f'<td class="l">{span}</td><td class="l">all tenants</td>',
        f"<td>{iv.listed}</td><td>{iv.processed}</td>",
        f"<td>{_n(iv.quarantined, bad_if_positive=True)}</td><td>{iv.unchanged}</td>",
        f"<td>{_n(iv.missing, bad_if_positive=True)}</td>",
        f"<td>{stored} ({stored_q} q)</td>",
        f"<td>{iv.review}</td><td>{_n(iv.block, bad_if_positive=True)}</td>",
        f"<td>{_sla(iv.sla_met)}</td>",
        f'<td class="l run">{airflow_state}{_status(iv.status)} {link}</td>',
    ]
    return (
        f'<tr class="interval" data-interval="{iv.interval_start:%Y-%m-%dT%H:%M}" data-run-id="{html.escape(iv.run_id)}"'
        f' data-listed="{iv.listed}" data-status="{html.escape(iv.status)}">{"".join(cells)}</tr>'
    )


def render_page(
    intervals: list[IntervalHealth], states: dict[str, str], *, dag_id: str, filters: dict[str, str], user: str
) -> str:
    options = "".join(f'<option value="{d}"{" selected" if d == dag_id else ""}>{d}</option>' for d in DAG_IDS)
    body = "".join(_interval_row(iv, states.get(iv.run_id)) + "".join(_tenant_row(iv, t) for t in iv.tenants)
                   for iv in intervals)  # fmt: skip
    if not intervals:
        body = '<tr><td class="l" colspan="12">No recorded runs match these filters.</td></tr>'
    headers = ("Interval (UTC)", "Tenant", "Listed", "Processed", "Quarantined", "Unchanged", "Missing",
               "In store", "Review", "Block", "SLA", "Run")  # fmt: skip
    head = "".join(f'<th class="{"l" if h in ("Interval (UTC)", "Tenant", "Run") else ""}">{h}</th>' for h in headers)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>docpipe pipeline health</title><style>{_CSS}</style></head>
<body>
<h1>docpipe pipeline health: {html.escape(dag_id)}</h1>
<p class="lead">Latest recorded run of each interval. Listed = processed + quarantined + unchanged, or the run
failed. "In store" is what Postgres holds now for the interval's upload hours ("q" = quarantined);
review and block are moderation decisions. Signed in as {html.escape(user)}.</p>
<form method="get">
<label>DAG <select name="dag_id">{options}</select></label>
<label>Tenant <input name="tenant" value="{html.escape(filters.get("tenant", ""))}" placeholder="all"></label>
<label>From (UTC) <input name="since" value="{html.escape(filters.get("since", ""))}" placeholder="2026-03-01T00:00"></label>
<label>To (UTC) <input name="until" value="{html.escape(filters.get("until", ""))}" placeholder="2026-03-02T00:00"></label>
<button type="submit">Show</button> <a href="api/intervals?{html.escape(urlencode({"dag_id": dag_id, **filters}))}">JSON</a>
</form>
<table id="health"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>"""


# ------------------------------------------------------------------------------------------ app


def create_app() -> FastAPI:
    app = FastAPI(
        title="docpipe pipeline health",
        description="Per interval and tenant: run accounting, SLA, moderation. Requires an Airflow login.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Any:
        if "text/html" in request.headers.get("accept", "") and exc.status_code in (401, 403):
            try:
                login = _auth_manager().get_url_login()
            except Exception:
                login = "/auth/login"
            next_url = quote(str(request.url.path), safe="/")
            return HTMLResponse(
                f"<!doctype html><title>{exc.status_code}</title><p>{html.escape(str(exc.detail))}. "
                f'<a href="{html.escape(login)}?next={next_url}" target="_top">Log in to Airflow</a></p>',
                status_code=exc.status_code,
            )
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    def _query(dag_id: str, tenant: str, since: str, until: str, limit: int) -> list[IntervalHealth]:
        if dag_id not in DAG_IDS:
            raise HTTPException(status_code=400, detail=f"dag_id must be one of {', '.join(DAG_IDS)}")
        tenants = [t.strip() for t in tenant.split(",") if t.strip()]
        return load_intervals(dag_id, _parse_time(since, "since"), _parse_time(until, "until"), tenants, limit)

    @app.get("/api/intervals")
    def intervals_json(
        user: CurrentUser,
        dag_id: str = "document_ingest",
        tenant: str = "",
        since: str = "",
        until: str = "",
        limit: Annotated[int, Query(ge=1, le=1000)] = 72,
    ) -> dict[str, Any]:
        intervals = _query(dag_id, tenant, since, until, limit)
        states = airflow_run_states(dag_id, [iv.run_id for iv in intervals])
        return {
            "dag_id": dag_id,
            "intervals": [
                {**iv.to_json(), "airflow_state": states.get(iv.run_id), "run_url": run_url(dag_id, iv.run_id)}
                for iv in intervals
            ],
        }

    @app.get("/", response_class=HTMLResponse)
    def page(
        user: CurrentUser,
        dag_id: str = "document_ingest",
        tenant: str = "",
        since: str = "",
        until: str = "",
        limit: Annotated[int, Query(ge=1, le=1000)] = 72,
    ) -> HTMLResponse:
        intervals = _query(dag_id, tenant, since, until, limit)
        states = airflow_run_states(dag_id, [iv.run_id for iv in intervals])
        filters = {k: v for k, v in (("tenant", tenant), ("since", since), ("until", until)) if v}
        name = getattr(user, "get_name", lambda: str(user))()
        return HTMLResponse(render_page(intervals, states, dag_id=dag_id, filters=filters, user=str(name)))

    return app
