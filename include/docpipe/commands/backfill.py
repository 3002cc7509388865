"""`docpipe backfill`: start a backfill through Airflow's REST API and wait for it, the way the UI's
Trigger > Backfill form does (one run per interval, executed by the scheduler).

    docpipe backfill --dag document_ingest --from 2026-03-01T10 --to 2026-03-01T12 --dry-run
    docpipe backfill --dag document_ingest --from 2026-03-01T10 --to 2026-03-01T12 \
        --rerun completed --conf '{"reprocess": "failed"}' --wait

`--from`/`--to` are logical dates, both included: for the hourly DAG, `--from 10:00 --to 12:00` runs the
intervals 10-11, 11-12 and 12-13. `--rerun` is Airflow's reprocess behaviour for intervals that already
have a run: `none` (skip them), `failed` (rerun failed ones), `completed` (rerun all).

`AirflowApi` is the small REST client this command, `docpipe quarantine retry --via api` and the
tests use: a token from `POST /auth/token`, then `/api/v2/...` with it.
Env: AIRFLOW__API__BASE_URL (default http://127.0.0.1:8080), DOCPIPE_AIRFLOW_USER / _PASSWORD
(default admin / admin, the local stack's login).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

NAME = "backfill"
HELP = "backfill a DAG over a date range through the Airflow REST API (what the UI's Backfill form does)"

TERMINAL_STATES = ("success", "failed")


class AirflowApiError(RuntimeError):
    """The Airflow API refused a request; the message carries its status and detail."""


class AirflowApi:
    """A minimal client for Airflow 3's public REST API (`/api/v2`)."""

    def __init__(self, base_url: str | None = None, username: str | None = None, password: str | None = None,
                 timeout: float = 60.0) -> None:  # fmt: skip
        import httpx

        self.base_url = (base_url or os.environ.get("AIRFLOW__API__BASE_URL") or "http://127.0.0.1:8080").rstrip("/")
        self.username = username or os.environ.get("DOCPIPE_AIRFLOW_USER", "admin")
        self.password = password or os.environ.get("DOCPIPE_AIRFLOW_PASSWORD", "admin")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            r = self._http.post("/auth/token", json={"username": self.username, "password": self.password})
            if r.status_code >= 300:
                raise AirflowApiError(f"login as {self.username} failed: HTTP {r.status_code} {r.text[:300]}")
            self._token = r.json()["access_token"]
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        r = self._http.request(method, path, headers=headers, **kwargs)
        if r.status_code >= 300:
            raise AirflowApiError(f"{method} {path}: HTTP {r.status_code} {r.text[:500]}")
        return r.json() if r.content else None

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.request("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})

    def create_backfill(self, dag_id: str, from_date: datetime, to_date: datetime, *, reprocess_behavior: str = "none",
                        conf: dict[str, Any] | None = None, max_active_runs: int = 3,
                        dry_run: bool = False) -> dict[str, Any]:  # fmt: skip
        body = {
            "dag_id": dag_id,
            "from_date": from_date.isoformat(),
            "to_date": to_date.isoformat(),
            "reprocess_behavior": reprocess_behavior,
            "max_active_runs": max_active_runs,
            "run_backwards": False,
            "dag_run_conf": conf or {},
        }
        return self.request("POST", "/api/v2/backfills/dry_run" if dry_run else "/api/v2/backfills", json=body)

    def backfill(self, backfill_id: int) -> dict[str, Any]:
        return self.request("GET", f"/api/v2/backfills/{backfill_id}")

    def running_backfills(self, dag_id: str) -> list[dict[str, Any]]:
        out = self.request("GET", "/api/v2/backfills", params={"dag_id": dag_id, "limit": 100})
        return [b for b in out["backfills"] if not b.get("completed_at")]

    def wait_for_backfill(self, backfill_id: int, *, timeout: float = 600, poll: float = 3.0) -> dict[str, Any]:
        """Wait until the scheduler marks the backfill completed (all its runs finished); Airflow
        refuses a new backfill of the same DAG until then."""
        deadline = time.monotonic() + timeout
        while True:
            bf = self.backfill(backfill_id)
            if bf.get("completed_at"):
                return bf
            if time.monotonic() > deadline:
                raise AirflowApiError(f"backfill {backfill_id} did not complete within {timeout:.0f}s")
            time.sleep(poll)

    def dag_runs(self, dag_id: str, **params: Any) -> list[dict[str, Any]]:
        out = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100, **params})
        return out["dag_runs"]

    def wait_for_runs(self, dag_id: str, logical_dates: list[datetime], *, timeout: float = 600,
                      poll: float = 3.0) -> dict[datetime, dict[str, Any]]:  # fmt: skip
        """Wait until the runs at these logical dates reach success or failed; return them by date."""
        wanted = {d.astimezone(UTC) for d in logical_dates}
        deadline = time.monotonic() + timeout
        while True:
            runs = {}
            for r in self.dag_runs(dag_id, order_by="-logical_date"):
                if r.get("logical_date"):
                    ld = datetime.fromisoformat(r["logical_date"].replace("Z", "+00:00"))
                    if ld in wanted:
                        runs[ld] = r
            if len(runs) == len(wanted) and all(r["state"] in TERMINAL_STATES for r in runs.values()):
                return runs
            if time.monotonic() > deadline:
                states = {k.isoformat(): v["state"] for k, v in runs.items()}
                raise AirflowApiError(f"runs of {dag_id} did not finish within {timeout:.0f}s: {states}")
            time.sleep(poll)

    def close(self) -> None:
        self._http.close()


def _parse_when(value: str) -> datetime:
    """An hour (2026-03-01T10) or a day (2026-03-01, midnight), UTC."""
    from docpipe.cli import _parse_date, _parse_hour

    try:
        return _parse_hour(value)
    except argparse.ArgumentTypeError:
        return _parse_date(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dag", default="document_ingest", choices=["document_ingest", "warehouse_load"])
    parser.add_argument("--from", dest="from_date", type=_parse_when, required=True,
                        help="first logical date, UTC (2026-03-01T10); included")  # fmt: skip
    parser.add_argument("--to", dest="to_date", type=_parse_when, required=True,
                        help="last logical date, UTC; included")  # fmt: skip
    parser.add_argument("--rerun", default="none", choices=["none", "failed", "completed"],
                        help="intervals that already ran: skip (none), rerun failed ones, or rerun all (completed)")  # fmt: skip
    parser.add_argument("--conf", default="{}", help='run params as JSON, e.g. \'{"reprocess": "failed"}\'')
    parser.add_argument("--max-active-runs", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true", help="only list the runs it would create")
    parser.add_argument("--wait", action="store_true", help="wait for the runs and print their states")
    parser.add_argument("--unpause", action="store_true", help="unpause the DAG first (backfill runs need it)")


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from docpipe.cli import CliError, _stack, console

    _stack(start=False)
    try:
        conf = json.loads(args.conf)
    except json.JSONDecodeError as e:
        raise CliError(f"--conf is not JSON: {e}") from None
    api = AirflowApi()
    try:
        preview = api.create_backfill(args.dag, args.from_date, args.to_date, reprocess_behavior=args.rerun,
                                      conf=conf, max_active_runs=args.max_active_runs, dry_run=True)  # fmt: skip
        dates = [datetime.fromisoformat(b["logical_date"].replace("Z", "+00:00")) for b in preview["backfills"]]
        console.print(
            f"{args.dag}: {len(dates)} run(s) from {args.from_date:%Y-%m-%d %H:%M} to {args.to_date:%Y-%m-%d %H:%M} UTC"
        )
        if args.dry_run:
            for d in dates:
                console.print(f"  logical date {d:%Y-%m-%d %H:%M}")
            return 0
        if args.unpause:
            api.set_paused(args.dag, False)
        running = api.running_backfills(args.dag)
        if running:
            raise CliError(
                f"backfill {running[0]['id']} of {args.dag} is still running and Airflow allows one at a time: "
                f"wait for it or cancel it in the UI ({api.base_url}/dags/{args.dag}/backfills)"
            )
        created = api.create_backfill(args.dag, args.from_date, args.to_date, reprocess_behavior=args.rerun,
                                      conf=conf, max_active_runs=args.max_active_runs)  # fmt: skip
        console.print(f"backfill {created['id']} created; follow it in the UI: {api.base_url}/dags/{args.dag}")
        if not args.wait:
            return 0
        api.wait_for_backfill(created["id"], timeout=3600)
        runs = api.wait_for_runs(args.dag, dates, timeout=60)
    except Exception as e:
        if type(e).__name__ in ("AirflowApiError", "ConnectError", "ReadTimeout"):
            raise CliError(f"{e}\nIs Airflow running? `docpipe stack up --airflow`") from None
        raise
    finally:
        api.close()
    t = Table(title=f"{args.dag} backfill runs")
    for c in ("logical date", "run id", "state"):
        t.add_column(c)
    for d in sorted(runs):
        t.add_row(f"{d:%Y-%m-%d %H:%M}", runs[d]["dag_run_id"], runs[d]["state"])
    console.print(t)
    return 0 if all(r["state"] == "success" for r in runs.values()) else 1
