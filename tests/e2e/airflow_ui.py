"""Steps a data engineer takes in the Airflow 3 UI, as Playwright actions (shared by the e2e tests).

Selectors follow what a person reads on screen (button names, labels); where the UI offers nothing
better (the date-time popovers of the Backfill form) they use its `data-testid`s.
"""

from __future__ import annotations

from datetime import datetime

USER, PASSWORD = "admin", "admin"  # the local stack's login (its passwords file)


def login(page, base_url: str, user: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{base_url}/auth/login?next={next_path}", wait_until="domcontentloaded")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # The UI's bundle can take long to load on a busy machine: leaving the login page is the signal.
    page.wait_for_url(lambda url: "/auth/login" not in url, wait_until="commit")


def open_dag(page, base_url: str, dag_id: str) -> None:
    page.goto(f"{base_url}/dags/{dag_id}", wait_until="domcontentloaded")
    page.get_by_role("button", name="Trigger").wait_for()


def read_docs(page) -> str:
    """The DAG's doc_md, from the book icon in the DAG header (a dialog)."""
    page.get_by_role("button", name="Dag Docs").click()
    dialog = page.locator("[role=dialog][data-scope=dialog][data-state=open]").last
    dialog.wait_for()
    text = dialog.inner_text()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    return text


def _set_datetime(page, picker, when: datetime) -> None:
    picker.click()
    popover = page.locator("[data-scope=popover][data-part=content][data-state=open]").last
    popover.get_by_placeholder("YYYY/MM/DD").fill(f"{when:%Y/%m/%d}")
    popover.get_by_placeholder("HH:mm").fill(f"{when:%H:%M}")
    popover.get_by_placeholder("HH:mm").press("Tab")
    picker.click()  # closes the popover
    popover.wait_for(state="hidden")


def start_backfill(page, start: datetime, end: datetime, *, reprocess: str = "Missing Runs",
                   max_active_runs: int = 3, shots=None) -> str:  # fmt: skip
    """Trigger > Backfill over logical dates [start, end] (both included); returns the form's run-count text."""
    page.get_by_role("button", name="Trigger").click()
    dialog = page.locator("[role=dialog][data-scope=dialog][data-state=open]").last
    dialog.get_by_text("Backfill", exact=True).click()
    pickers = dialog.get_by_test_id("datetime-input")
    _set_datetime(page, pickers.nth(0), start)
    _set_datetime(page, pickers.nth(1), end)
    dialog.get_by_text(reprocess, exact=True).click()
    dialog.locator("input[name=max_active_runs]").fill(str(max_active_runs))
    summary = dialog.get_by_text("run will be triggered").or_(dialog.get_by_text("runs will be triggered"))
    summary.first.wait_for()
    text = summary.first.inner_text()
    if shots:
        shots("backfill-form")
    dialog.get_by_role("button", name="Run Backfill").click()
    dialog.wait_for(state="hidden")
    return text
