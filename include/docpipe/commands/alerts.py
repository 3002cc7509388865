"""`docpipe alerts`: what the on-call engineer received, and a fire drill for the alert channels.

    docpipe alerts tail [-n 10] [--follow] [--sentry] [--json]
    docpipe alerts test [--dag-id document_ingest]

`tail` reads what the local alert receiver logged (`$DOCPIPE_HOME/alerts/alerts.jsonl`, and with
`--sentry` the Sentry events in `sentry.jsonl`; see `docpipe.localstack.alert_receiver`) and prints
each alert as the on-call engineer would read it. `test` sends one alert of kind `test` through the
channels configured in `DOCPIPE_ALERT_CHANNELS` (webhook, Slack, SNS, e-mail, log) and prints what
each channel answered: run it after changing alert routing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

NAME = "alerts"
HELP = "show received alerts (tail) or send a test alert through the configured channels (test)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="alerts_action", required=True)
    t = sub.add_parser("tail", help="print the alerts the local receiver logged, newest last")
    t.add_argument("-n", "--lines", type=int, default=10, help="how many (default 10)")
    t.add_argument("--follow", "-f", action="store_true", help="keep printing new alerts until Ctrl-C")
    t.add_argument("--sentry", action="store_true", help="the Sentry events instead of the alerts")
    t.add_argument("--json", action="store_true", help="one JSON object per line")
    t.add_argument("--dir", type=Path, default=None, help="receiver folder (default $DOCPIPE_HOME/alerts)")
    s = sub.add_parser("test", help="send a test alert through every configured channel")
    s.add_argument("--dag-id", default="document_ingest", help="the DAG the test alert names")


def _records(path: Path) -> list[dict[str, Any]]:
    from docpipe.localstack.alert_receiver import read_jsonl

    return read_jsonl(path)


def render(record: dict[str, Any], *, sentry: bool = False) -> str | None:
    """One received record as the text an on-call engineer reads (None: nothing to show, e.g. a
    Sentry envelope carrying only the SDK's own client report)."""
    received = record.get("received_at", "?")
    if sentry:
        lines = []
        for item in record.get("items", []):
            event = item.get("payload") if item.get("type") == "event" else None
            if not isinstance(event, dict):
                continue
            tags = event.get("tags") or {}
            for exc in (event.get("exception") or {}).get("values") or []:
                lines.append(f"{exc.get('type')}: {exc.get('value')}")
            lines.append(", ".join(f"{k}={tags[k]}" for k in ("dag_id", "task_id", "try_number") if k in tags))
        return "\n".join([f"--- Sentry event received {received}", *lines]) if lines else None
    body = record.get("body")
    if isinstance(body, dict) and "text" in body:
        return f"--- received {received}\n{body['text']}"
    return f"--- received {received} on {record.get('path')}\n{json.dumps(body, indent=2, default=str)}"


def _tail(args: argparse.Namespace) -> int:
    from docpipe.cli import console
    from docpipe.localstack import home
    from docpipe.localstack.alert_receiver import ALERTS_FILE, SENTRY_FILE, log_dir

    directory = args.dir or log_dir(home())
    path = directory / (SENTRY_FILE if args.sentry else ALERTS_FILE)
    seen = 0
    records = _records(path)
    if not records and not args.follow:
        console.print(f"no {'Sentry events' if args.sentry else 'alerts'} in {path} yet")
        return 0
    start = max(0, len(records) - args.lines)
    while True:
        for record in records[max(seen, start) :]:
            if args.json:
                print(json.dumps(record.get("body", record), default=str), flush=True)
            elif (text := render(record, sentry=args.sentry)) is not None:
                console.print(text, markup=False, highlight=False)
        seen = len(records)
        if not args.follow:
            return 0
        time.sleep(1)
        records = _records(path)


def _test(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from docpipe.alerts import message, notifiers
    from docpipe.alerts.settings import AlertSettings
    from docpipe.cli import CliError, _stack, console

    _stack(start=False)
    settings = AlertSettings.from_env()
    now = datetime.now(UTC)
    run_id = f"manual__alert_test__{now:%Y%m%dT%H%M%S}"
    fields = message._run_fields(
        {"dag_id": args.dag_id, "dag_run_id": run_id, "run_type": "manual"}, settings.ui_base()
    )
    alert = message.Alert(kind="test", severity="info", environment=settings.environment,
                          headline=f"TEST: alert routing check for {args.dag_id} (no action needed)", **fields)  # fmt: skip
    try:
        results = notifiers.send(alert, settings)
    except notifiers.AlertDeliveryError as e:
        raise CliError(f"{e}\nCheck the connections named in docs/alerting.md and DOCPIPE_ALERT_CHANNELS.") from None
    for channel, result in results.items():
        console.print(f"{channel:8} {result}", markup=False)
    return 0 if all(r == "ok" for r in results.values()) else 1


def run(args: argparse.Namespace) -> int:
    return _tail(args) if args.alerts_action == "tail" else _test(args)
