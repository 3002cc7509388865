"""terraform/ read as data (python-hcl2): both environments wire their modules consistently, and the
security properties a reviewer would check by hand hold in every module: encryption at rest everywhere,
TLS-only bucket policies and databases, point-in-time recovery, Multi-AZ, private networking, and
least-privilege IAM (no `*` actions on data, no `*` resources on restrictable actions).

Static checks only: no provider, no network. Each checker returns its findings, so a failure names every
offending resource at once; the tests at the end feed the checkers broken configurations to show they fail.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = TERRAFORM / "environments"
PRIMARY, DR = ENVIRONMENTS / "primary", ENVIRONMENTS / "dr"


# ================================================================ reading HCL


def unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted ('"abc"') and expressions as '${...}'; return the literal."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@dataclass(frozen=True)
class Block:
    kind: str  # resource | data | module | variable | output | provider
    type: str  # e.g. aws_s3_bucket ("" for module/variable/...)
    name: str
    body: dict[str, Any]
    file: Path

    @property
    def where(self) -> str:
        label = f"{self.type}.{self.name}" if self.type else f"{self.kind}.{self.name}"
        path = self.file.relative_to(ROOT) if self.file.is_relative_to(ROOT) else self.file.name
        return f"{path}: {label}"

    def get(self, key: str, default: Any = None) -> Any:
        return unquote(self.body.get(key, default))

    def nested(self, key: str) -> list[dict[str, Any]]:
        value = self.body.get(key) or []
        return value if isinstance(value, list) else [value]


@functools.cache
def _parse_text(text: str) -> dict[str, Any]:
    return hcl2.loads(text)


def parse(path: Path) -> dict[str, Any]:
    """Parsed once per content: python-hcl2 takes a noticeable fraction of a second per file."""
    return _parse_text(path.read_text())


def blocks(folder: Path) -> list[Block]:
    """Every resource, data source, module, variable, output and provider of the .tf files in `folder`."""
    out: list[Block] = []
    for f in sorted(folder.glob("*.tf")):
        parsed = parse(f)
        for kind in ("resource", "data"):
            for item in parsed.get(kind, []):
                for rtype, named in item.items():
                    for name, body in named.items():
                        out.append(Block(kind, unquote(rtype), unquote(name), body, f))
        for kind in ("module", "variable", "output", "provider"):
            for item in parsed.get(kind, []):
                for name, body in item.items():
                    out.append(Block(kind, "", unquote(name), body, f))
    return out


def all_module_blocks() -> list[Block]:
    return [b for folder in sorted(MODULES.iterdir()) if folder.is_dir() for b in blocks(folder)]


def of_type(items: list[Block], rtype: str, kind: str = "resource") -> list[Block]:
    return [b for b in items if b.kind == kind and b.type == rtype]


def statements(doc: Block) -> Iterator[dict[str, Any]]:
    """Statements of an aws_iam_policy_document, including those of `dynamic "statement"` blocks."""
    yield from doc.nested("statement")
    for dyn in doc.nested("dynamic"):
        for label, spec in dyn.items():
            if unquote(label) == "statement":
                yield from spec.get("content", [])


def listed(value: Any) -> list[str]:
    """Literal items of an HCL list (expressions stay as '${...}')."""
    if isinstance(value, list):
        return [str(unquote(v)) for v in value]
    return [str(unquote(value))] if value is not None else []


# ================================================================ the checkers


def encryption_problems(items: list[Block]) -> list[str]:
    problems = []
    buckets = {b.name for b in of_type(items, "aws_s3_bucket")}
    for kind in (
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_ownership_controls",
    ):
        have = {b.name for b in of_type(items, kind)}
        problems += [f"aws_s3_bucket.{name}: no {kind}" for name in sorted(buckets - have)]
    for b in of_type(items, "aws_s3_bucket_server_side_encryption_configuration"):
        rule = b.nested("rule")[0]["apply_server_side_encryption_by_default"][0]
        algorithm = unquote(rule["sse_algorithm"])
        if algorithm == "AES256":
            # Only the logs buckets: S3 access logs and ALB logs cannot be delivered to SSE-KMS buckets.
            if not re.search(r"logs$", b.name):
                problems.append(f"{b.where}: SSE-S3 on a data bucket (use aws:kms)")
        elif algorithm != "aws:kms" or not rule.get("kms_master_key_id"):
            problems.append(f"{b.where}: not SSE-KMS with a customer managed key")
    for b in of_type(items, "aws_s3_bucket_public_access_block"):
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        if not all(b.body.get(f) is True for f in flags):
            problems.append(f"{b.where}: public access is not fully blocked")
    for b in of_type(items, "aws_s3_bucket_versioning"):
        if unquote(b.nested("versioning_configuration")[0]["status"]) != "Enabled":
            problems.append(f"{b.where}: versioning is not Enabled")
    for b in of_type(items, "aws_dynamodb_table"):
        sse = (b.nested("server_side_encryption") or [{}])[0]
        if sse.get("enabled") is not True or not sse.get("kms_key_arn"):
            problems.append(f"{b.where}: not encrypted with a customer managed key")
        if (b.nested("point_in_time_recovery") or [{}])[0].get("enabled") is not True:
            problems.append(f"{b.where}: point-in-time recovery is off")
        for replica in b.nested("replica"):
            if replica.get("point_in_time_recovery") is not True or not replica.get("kms_key_arn"):
                problems.append(f"{b.where}: a replica lacks PITR or its key")
    for b in of_type(items, "aws_db_instance"):
        if b.body.get("storage_encrypted") is not True or not b.body.get("kms_key_id"):
            problems.append(f"{b.where}: storage not encrypted with a customer managed key")
        if b.body.get("publicly_accessible") is not False:
            problems.append(f"{b.where}: publicly_accessible must be false")
        if not b.body.get("performance_insights_kms_key_id"):
            problems.append(f"{b.where}: Performance Insights without the customer managed key")
    for b in of_type(items, "aws_db_instance_automated_backups_replication"):
        if not b.body.get("kms_key_id"):
            problems.append(f"{b.where}: replicated backups without a key")
    for rtype, attr in (
        ("aws_sqs_queue", "kms_master_key_id"),
        ("aws_secretsmanager_secret", "kms_key_id"),
        ("aws_cloudwatch_log_group", "kms_key_id"),
        ("aws_sns_topic", "kms_master_key_id"),
    ):
        for b in of_type(items, rtype):
            if not b.body.get(attr):
                problems.append(f"{b.where}: no {attr}")
    for b in of_type(items, "aws_secretsmanager_secret"):
        for replica in b.nested("replica"):
            if not replica.get("kms_key_id"):
                problems.append(f"{b.where}: a replica without a customer managed key")
    for b in of_type(items, "aws_cloudwatch_log_group"):
        if not b.body.get("retention_in_days"):
            problems.append(f"{b.where}: no retention")
    for b in of_type(items, "aws_kms_key"):
        if b.body.get("enable_key_rotation") is not True:
            problems.append(f"{b.where}: key rotation is off")
    for b in of_type(items, "aws_elasticache_replication_group"):
        for flag in ("at_rest_encryption_enabled", "transit_encryption_enabled"):
            if b.body.get(flag) is not True:
                problems.append(f"{b.where}: {flag} is not true")
        if not b.body.get("kms_key_id") or not b.body.get("auth_token"):
            problems.append(f"{b.where}: needs its customer managed key and an AUTH token")
    for b in of_type(items, "aws_dax_cluster"):
        if (b.nested("server_side_encryption") or [{}])[0].get("enabled") is not True:
            problems.append(f"{b.where}: no encryption at rest")
        if b.get("cluster_endpoint_encryption_type") != "TLS":
            problems.append(f"{b.where}: endpoint is not TLS")
    for b in of_type(items, "aws_ecr_repository"):
        enc = (b.nested("encryption_configuration") or [{}])[0]
        if unquote(enc.get("encryption_type")) != "KMS" or not enc.get("kms_key"):
            problems.append(f"{b.where}: not KMS-encrypted")
        if b.get("image_tag_mutability") != "IMMUTABLE":
            problems.append(f"{b.where}: tags are mutable")
    return problems


def tls_problems(items: list[Block]) -> list[str]:
    """Every bucket's policy denies plain HTTP; every database forces TLS; the load balancer is HTTPS-only."""
    problems = []
    docs = {b.name: b for b in of_type(items, "aws_iam_policy_document", kind="data")}
    for policy in of_type(items, "aws_s3_bucket_policy"):
        m = re.search(r"data\.aws_iam_policy_document\.(\w+)", str(policy.body.get("policy")))
        doc = docs.get(m.group(1)) if m else None
        if doc is None:
            problems.append(f"{policy.where}: policy is not an aws_iam_policy_document of this module")
            continue
        denies_http = any(
            unquote(s.get("effect")) == "Deny"
            and "s3:*" in listed(s.get("actions"))
            and any(
                unquote(c.get("test")) == "Bool"
                and unquote(c.get("variable")) == "aws:SecureTransport"
                and listed(c.get("values")) == ["false"]
                for c in s.get("condition", [])
            )
            and any(r.endswith("/*") for r in listed(s.get("resources")))
            for s in statements(doc)
        )
        if not denies_http:
            problems.append(f"{policy.where}: the bucket policy does not deny requests without TLS")
    for group in of_type(items, "aws_db_parameter_group"):
        params = {unquote(p["name"]): unquote(p["value"]) for p in group.nested("parameter")}
        if params.get("rds.force_ssl") != "1":
            problems.append(f"{group.where}: rds.force_ssl is not 1")
    for instance in of_type(items, "aws_db_instance"):
        if "aws_db_parameter_group" not in str(instance.body.get("parameter_group_name")):
            problems.append(f"{instance.where}: not on a parameter group of this module (TLS is not forced)")
    for listener in of_type(items, "aws_lb_listener"):
        if listener.get("protocol") != "HTTPS" or "TLS13-1-2" not in str(listener.get("ssl_policy")):
            problems.append(f"{listener.where}: not HTTPS with a TLS 1.2+ policy")
    return problems


# Data services: a wildcard action there means "everything on the data", which no role here needs.
DATA_SERVICES = ("s3", "dynamodb", "dax", "secretsmanager", "kms", "sqs", "logs", "rds", "elasticache", "ecr")
# Actions without resource-level permissions: "*" is their only possible resource.
UNRESTRICTABLE = {"ecr:GetAuthorizationToken"}


def iam_problems(items: list[Block], key_policies: set[str] = frozenset({"key"})) -> list[str]:
    """No `*` actions, no `service:*` on data services and no `*` resource for restrictable actions, in
    any Allow statement of an identity policy. A KMS key policy (a data source named in key_policies) may
    delegate to IAM with kms:* on "*" (the key itself): that is AWS's default key policy."""
    problems = []
    for doc in of_type(items, "aws_iam_policy_document", kind="data"):
        for s in statements(doc):
            if unquote(s.get("effect", '"Allow"')) == "Deny":
                continue
            sid = unquote(s.get("sid", "?"))
            actions = listed(s.get("actions"))
            resources = listed(s.get("resources"))
            if doc.name in key_policies and doc.file.parent.name == "kms":
                admin = sid == "AccountAdministersThroughIam"
                principals = [p for p in s.get("principals", []) if unquote(p.get("type")) == "AWS"]
                if admin and not any(":root" in str(i) for p in principals for i in p.get("identifiers", [])):
                    problems.append(f"{doc.where} {sid}: kms:* may only be delegated to the account")
                if not admin and any(a.endswith(":*") or a == "*" for a in actions):
                    problems.append(f"{doc.where} {sid}: wildcard action for a service principal")
                continue
            for action in actions:
                if action == "*" or (action.split(":")[0] in DATA_SERVICES and action.endswith(":*")):
                    problems.append(f"{doc.where} {sid}: wildcard action {action!r}")
            if "*" in resources and not set(actions) <= UNRESTRICTABLE:
                problems.append(f"{doc.where} {sid}: resource '*' for {sorted(set(actions) - UNRESTRICTABLE)}")
            if "sts:AssumeRole" not in actions and not resources:
                problems.append(f"{doc.where} {sid}: no resources")
    return problems


# ================================================================ the configuration as it is


@pytest.fixture(scope="module")
def module_blocks() -> list[Block]:
    return all_module_blocks()


def test_every_terraform_file_parses():
    files = sorted(TERRAFORM.rglob("*.tf"))
    assert len(files) > 30
    failures = []
    for f in files:
        try:
            parse(f)
        except Exception as e:  # any parse error is a finding
            failures.append(f"{f.relative_to(ROOT)}: {e}")
    assert failures == []


def test_encryption_at_rest_everywhere(module_blocks):
    assert encryption_problems(module_blocks) == []
    # The checker looked at the resources that matter, not at an empty list.
    kinds = {b.type for b in module_blocks}
    assert {"aws_s3_bucket", "aws_dynamodb_table", "aws_db_instance", "aws_sqs_queue", "aws_secretsmanager_secret",
            "aws_cloudwatch_log_group", "aws_elasticache_replication_group", "aws_dax_cluster",
            "aws_ecr_repository", "aws_sns_topic"} <= kinds  # fmt: skip


def test_tls_only_buckets_databases_and_load_balancer(module_blocks):
    assert tls_problems(module_blocks) == []
    assert len(of_type(module_blocks, "aws_s3_bucket_policy")) >= 4  # uploads/processed/staging, logs, DR copies


def test_least_privilege_policies(module_blocks):
    assert iam_problems(module_blocks) == []
    assert len(of_type(module_blocks, "aws_iam_policy_document", kind="data")) >= 10


def test_buckets_uploads_processed_staging_and_logs_with_lifecycle():
    storage = blocks(MODULES / "storage")
    main = parse(MODULES / "storage" / "main.tf")
    assert {b.name for b in of_type(storage, "aws_s3_bucket")} == {"this", "logs", "dr", "dr_logs"}
    lifecycles = {b.name for b in of_type(storage, "aws_s3_bucket_lifecycle_configuration")}
    assert {
        "uploads",
        "processed",
        "staging",
        "logs",
        "dr_uploads",
        "dr_processed",
        "dr_staging",
        "dr_logs",
    } <= lifecycles
    replication = of_type(storage, "aws_s3_bucket_replication_configuration")
    assert replication and "replica_kms_key_id" in str(replication[0].body)
    assert of_type(storage, "aws_s3_bucket_notification"), "new uploads raise S3 events to SQS"
    assert main  # parsed
    primary_locals = parse(PRIMARY / "main.tf")["locals"][0]["bucket_names"]
    assert set(primary_locals) == {"uploads", "processed", "staging"}


def test_point_in_time_recovery_and_multi_az():
    dynamo = of_type(blocks(MODULES / "dynamodb"), "aws_dynamodb_table")[0]
    assert dynamo.nested("point_in_time_recovery")[0]["enabled"] is True
    assert dynamo.nested("replica")[0]["point_in_time_recovery"] is True
    db = {b.name: b for b in of_type(blocks(MODULES / "database"), "aws_db_instance")}
    assert db["primary"].body["multi_az"] is True
    assert "backup_retention_days" in str(db["primary"].body["backup_retention_period"])
    assert db["replica"].body["backup_retention_period"], "a promoted replica keeps point-in-time restore"
    broker = of_type(blocks(MODULES / "airflow"), "aws_elasticache_replication_group")[0]
    assert broker.body["multi_az_enabled"] is True and broker.body["automatic_failover_enabled"] is True
    dax_vars = {b.name: b for b in blocks(MODULES / "dax") if b.kind == "variable"}
    assert dax_vars["node_count"].body["default"] >= 3


def test_private_networking():
    items = all_module_blocks()
    for instance in of_type(items, "aws_db_instance"):
        assert instance.body["publicly_accessible"] is False, instance.where
    for lb in of_type(items, "aws_lb"):
        assert lb.body["internal"] is True and lb.body["drop_invalid_header_fields"] is True, lb.where
    for service in of_type(items, "aws_ecs_service"):
        assert service.nested("network_configuration")[0]["assign_public_ip"] is False, service.where
    dax = of_type(items, "aws_dax_subnet_group")[0]
    assert "subnet_ids" in str(dax.body["subnet_ids"])
    # No ingress from anywhere, except nothing.
    for rule in of_type(items, "aws_vpc_security_group_ingress_rule"):
        assert rule.get("cidr_ipv4") != "0.0.0.0/0", rule.where


def test_worker_role_reads_exact_secrets_and_prefixes_only():
    doc = next(
        b for b in of_type(blocks(MODULES / "iam"), "aws_iam_policy_document", kind="data") if b.name == "worker"
    )
    by_sid = {unquote(s["sid"]): s for s in statements(doc)}
    assert unquote(by_sid["AirflowConnections"]["resources"]) == "${var.connection_secret_arns}"
    for sid in ("ReadUploads", "WriteQuarantine", "WriteStaging", "ReadManifests"):
        assert re.search(r"\$\{b\}/\$\{var\.\w+\}/\*|\$\{b\}/manifests/\*", str(by_sid[sid]["resources"])), sid
    assert "kms:ViaService" in str(by_sid["DataKeyThroughServices"])
    # Both environments hand the role the connection secrets by ARN, never a name pattern.
    primary = (PRIMARY / "main.tf").read_text()
    assert "connection_secret_arns = values(module.secrets.connection_secret_arns)" in primary
    dr = (DR / "main.tf").read_text()
    assert "data.aws_secretsmanager_secret.connection[id].arn" in dr


def test_airflow_runtime_on_ecs_with_remote_logs_and_celery():
    airflow = blocks(MODULES / "airflow")
    text = "\n".join(f.read_text() for f in sorted((MODULES / "airflow").glob("*.tf")))
    main_locals = {k: v for d in parse(MODULES / "airflow" / "main.tf")["locals"] for k, v in d.items()}
    assert set(main_locals["components"]) == {"api-server", "scheduler", "dag-processor", "triggerer", "worker"}
    assert '"CeleryExecutor"' in text
    assert re.search(
        r'AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER\s+= "cloudwatch://\$\{aws_cloudwatch_log_group\.tasks\.arn\}"', text
    )
    assert "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" in text and "service_connect_configuration" in text
    # Secrets reach the containers only through ECS `secrets` from the settings secret, never as plain env.
    for key in ("SQL_ALCHEMY_CONN", "FERNET_KEY", "JWT_SECRET", "BROKER_URL", "RESULT_BACKEND"):
        assert not re.search(rf"AIRFLOW__\w*{key}\s*=", text), f"{key} set as a plain environment variable"
    log_groups = {b.name for b in of_type(airflow, "aws_cloudwatch_log_group")}
    assert {"components", "tasks", "broker"} <= log_groups
    roles = {b.name for b in of_type(airflow, "aws_iam_role")}
    assert {"execution", "control"} <= roles, "execution role separate from the task roles"


def test_environments_are_independent_roots_with_remote_state_not_hardcoded():
    for env in (PRIMARY, DR):
        versions = parse(env / "versions.tf")["terraform"][0]
        backend = versions["backend"][0]
        assert set(backend) == {'"s3"'}, env
        assert {k for k in backend['"s3"'] if not k.startswith("__")} == set(), f"{env}: backend settings hard-coded"
        assert (env / "prod.tfvars.example").exists()
    dr_items = blocks(DR)
    providers = [b for b in dr_items if b.kind == "provider"]
    assert [p.name for p in providers] == ["aws"] and "alias" not in providers[0].body, "DR touches one region only"
    assert not of_type(dr_items, "terraform_remote_state", kind="data"), "DR must not read the primary's state"
    assert {b.type for b in dr_items if b.kind == "data"} >= {"aws_s3_bucket", "aws_dynamodb_table",
                                                               "aws_secretsmanager_secret", "aws_kms_alias"}  # fmt: skip


def test_dr_finds_what_the_primary_names():
    """The DR root looks the copies up by name: those names must be the ones the primary creates."""
    dr_locals = {k: v for d in parse(DR / "main.tf")["locals"] for k, v in d.items()}
    primary_locals = {k: v for d in parse(PRIMARY / "main.tf")["locals"] for k, v in d.items()}
    for role, pattern in primary_locals["bucket_names"].items():
        assert (
            unquote(dr_locals["bucket_names"][role])
            == unquote(pattern).replace("local.name", "local.primary_name") + "-dr"
        )
    replication = (MODULES / "storage" / "replication.tf").read_text()
    assert 'bucket = "${local.buckets[each.key]}-dr"' in replication
    assert 'bucket = "${var.name}-logs-${var.account_id}-dr"' in replication
    assert unquote(dr_locals["logs_bucket_name"]) == "${local.primary_name}-logs-${local.account_id}-dr"
    assert 'name          = "alias/${var.name}"' in (MODULES / "kms" / "main.tf").read_text()
    # The connections the DR workers read are exactly those the secrets module creates and replicates.
    secrets = of_type(blocks(MODULES / "secrets"), "aws_secretsmanager_secret")
    created = sorted(unquote(s.body["name"]).split("/")[-1] for s in secrets)
    assert [unquote(c) for c in dr_locals["connection_ids"]] == created
    assert all(s.nested("replica") for s in secrets)


def test_every_module_variable_and_output_is_documented():
    problems = []
    for folder in [*sorted(p for p in MODULES.iterdir() if p.is_dir()), PRIMARY, DR]:
        for b in blocks(folder):
            if b.kind in ("variable", "output") and not unquote(b.body.get("description", "")):
                problems.append(f"{b.where}: no description")
            if b.kind == "variable" and "type" not in b.body:
                problems.append(f"{b.where}: no type")
    assert problems == []


def test_checkov_skips_are_justified():
    """Every suppression names a check and says why, inline (checkov reads `#checkov:skip=ID:reason`)."""
    skips = [
        (f.relative_to(ROOT), line.strip())
        for f in sorted(TERRAFORM.rglob("*.tf"))
        for line in f.read_text().splitlines()
        if "checkov:skip" in line
    ]
    assert skips
    bad = [s for s in skips if not re.fullmatch(r"#checkov:skip=CKV2?_AWS_\d+:.{20,}", s[1])]
    assert bad == []


def test_readme_justifies_the_runtime_and_has_the_runbook():
    readme = (TERRAFORM / "README.md").read_text()
    for needle in ("MWAA", "ECS", "RPO", "RTO", "promote-read-replica", "Failback", "environments/dr",
                   "running = false"):  # fmt: skip
        assert needle in readme, needle


# ================================================================ the checkers can fail


def _blocks_from(tmp_path: Path, text: str) -> list[Block]:
    (tmp_path / "main.tf").write_text(text)
    return blocks(tmp_path)


def test_checkers_report_broken_configurations(tmp_path):
    broken = _blocks_from(
        tmp_path,
        """
resource "aws_s3_bucket" "data" {
  bucket = "x"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.open.json
}

data "aws_iam_policy_document" "open" {
  statement {
    sid       = "Everything"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}

resource "aws_dynamodb_table" "t" {
  name = "t"
  point_in_time_recovery {
    enabled = false
  }
}

resource "aws_db_parameter_group" "p" {
  parameter {
    name  = "rds.force_ssl"
    value = "0"
  }
}

resource "aws_db_instance" "db" {
  storage_encrypted   = false
  publicly_accessible = true
}

resource "aws_cloudwatch_log_group" "g" {
  name = "g"
}
""",
    )
    enc = "\n".join(encryption_problems(broken))
    for needle in ("SSE-S3 on a data bucket", "no aws_s3_bucket_public_access_block", "point-in-time recovery is off",
                   "storage not encrypted", "publicly_accessible", "aws_cloudwatch_log_group.g: no kms_key_id",
                   "no retention"):  # fmt: skip
        assert needle in enc, needle
    tls = "\n".join(tls_problems(broken))
    assert "does not deny requests without TLS" in tls and "rds.force_ssl is not 1" in tls
    assert "not on a parameter group" in tls
    iam = "\n".join(iam_problems(broken))
    assert "wildcard action 's3:*'" in iam and "resource '*'" in iam


def test_iam_checker_allows_only_unrestrictable_actions_on_star(tmp_path):
    ok = _blocks_from(
        tmp_path,
        """
data "aws_iam_policy_document" "pull" {
  statement {
    sid       = "Login"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "DenyHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}
""",
    )
    assert iam_problems(ok) == []
    bad = _blocks_from(
        tmp_path,
        """
data "aws_iam_policy_document" "pull" {
  statement {
    actions   = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"]
    resources = ["*"]
  }
  statement {
    actions   = ["dynamodb:*"]
    resources = [var.table_arn]
  }
}
""",
    )
    found = "\n".join(iam_problems(bad))
    assert "resource '*' for ['ecr:BatchGetImage']" in found and "'dynamodb:*'" in found
