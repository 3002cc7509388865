"""deploy/prometheus/alerts.yml: loaded by prometheus.yml, well-formed, and every rule queries metrics
and labels that deploy/statsd/mapping.yml produces (a rule on an unmapped metric never fires)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
REQUIRED = {"DocpipeNoSuccessfulIngestRun", "DocpipeQuarantineRateHigh", "DocpipeDeadlineMissed"}


def _deploy_checks():
    """The PromQL checker of test_deploy_files.py (tests/ is not a package)."""
    name = "docpipe_test_deploy_checks"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("test_deploy_files.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    doc = yaml.safe_load(RULES.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_prometheus_loads_the_rules():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert "alerts.yml" in [Path(p).name for p in config.get("rule_files", [])]


def test_the_issue_s_alerts_exist_with_severity_summary_and_runbook(rules):
    names = {r["alert"] for r in rules}
    assert names >= REQUIRED
    for rule in rules:
        assert rule["labels"]["severity"] in ("page", "warning"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook"].startswith("docs/alerting.md#")
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]


def test_runbook_anchors_exist_in_the_docs(rules):
    doc = (ROOT / "docs" / "alerting.md").read_text().lower()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip("# ").lower()).replace(" ", "-")
               for h in doc.splitlines() if h.startswith("#")}  # fmt: skip
    for rule in rules:
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor in anchors, f"{rule['alert']}: docs/alerting.md has no heading for #{anchor}"


def test_rules_query_only_mapped_metrics_and_labels(rules):
    checks = _deploy_checks()
    metrics = checks.mapped_metrics(yaml.safe_load((ROOT / "deploy" / "statsd" / "mapping.yml").read_text()))
    problems = [p for r in rules for p in checks.promql_problems(r["alert"], r["expr"], metrics)]
    assert problems == []


def test_the_checker_catches_an_unmapped_metric():
    checks = _deploy_checks()
    metrics = checks.mapped_metrics(yaml.safe_load((ROOT / "deploy" / "statsd" / "mapping.yml").read_text()))
    assert checks.promql_problems("x", "sum(increase(docpipe_made_up_total[1h])) > 0", metrics)
