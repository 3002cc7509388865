"""The IAM policies in terraform, decided request by request: the workers' role reaches exactly the
uploads, results, staging, read model and secrets the pipeline uses, never deletes, never scans, never
rewrites a tenant's upload; Snowflake's role reads only the warehouse exports. Static: no Terraform,
no AWS; the policy documents are parsed from the modules with python-hcl2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest

from .iam_policy import PolicyDocument, allowed, evaluate, policy_documents

ROOT = Path(__file__).resolve().parents[2] / "terraform" / "modules"

UP, UP_DR = "arn:aws:s3:::docpipe-uploads", "arn:aws:s3:::docpipe-uploads-dr"
PROC, PROC_DR = "arn:aws:s3:::docpipe-processed", "arn:aws:s3:::docpipe-processed-dr"
STAGE, STAGE_DR = "arn:aws:s3:::docpipe-staging", "arn:aws:s3:::docpipe-staging-dr"
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/docpipe-documents"
TABLE_DR = "arn:aws:dynamodb:eu-central-1:111122223333:table/docpipe-documents"
SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:airflow/connections/docpipe_postgres-AbCdEf"

VARIABLES: dict[str, Any] = {
    "name": "docpipe-prod",
    "account_id": "111122223333",
    "partition": "aws",
    "region": "eu-west-1",
    "dr_region": "eu-central-1",
    "regions": ["eu-west-1", "eu-central-1"],
    "trusted_services": ["ecs-tasks.amazonaws.com"],
    "uploads_prefix": "uploads",
    "quarantine_prefix": "quarantine",
    "staging_prefix": "warehouse",
    "connections_prefix": "airflow/connections",
    # current module inputs
    "uploads_bucket_arns": [UP, UP_DR],
    "processed_bucket_arns": [PROC, PROC_DR],
    "staging_bucket_arns": [STAGE, STAGE_DR],
    "dynamodb_table_arns": [TABLE, TABLE_DR],
    "kms_key_arns": ["arn:aws:kms:eu-west-1:111122223333:key/primary"],
    "event_queue_arns": ["arn:aws:sqs:eu-west-1:111122223333:docpipe-uploads"],
    "connection_secret_arns": [SECRET],
    "task_log_group_arns": ["arn:aws:logs:eu-west-1:111122223333:log-group:/docpipe/tasks"],
    "snowflake_iam_user_arn": "arn:aws:iam::999988887777:user/snowflake",
    "snowflake_external_id": "ext-id",
    "snowflake_staging_bucket_arns": [STAGE, STAGE_DR],
    "snowflake_kms_key_arns": ["arn:aws:kms:eu-west-1:111122223333:key/primary"],
    "snowflake_regions": ["eu-west-1", "eu-central-1"],
    "create_snowflake_stage_role": True,
    # earlier module inputs (kept so the checker reads either shape)
    "bucket_arns": {"uploads": UP, "processed": PROC, "staging": STAGE},
    "dr_bucket_arns": {"uploads": UP_DR, "processed": PROC_DR, "staging": STAGE_DR},
    "dynamodb_table_arn": TABLE,
    "dynamodb_dr_arn": TABLE_DR,
    "event_queue_arn": "arn:aws:sqs:eu-west-1:111122223333:docpipe-uploads",
}


def _defaults(module: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tf in module.glob("*.tf"):
        for block in hcl2.load(tf.open()).get("variable", []):
            for name, body in block.items():
                if "default" in body:
                    raw = body["default"]
                    try:
                        out[name.strip('"')] = evaluate(raw, {}) if isinstance(raw, str) else raw
                    except ValueError:
                        out[name.strip('"')] = raw
    return out


@pytest.fixture(scope="module")
def iam() -> dict[str, PolicyDocument]:
    module = ROOT / "iam"
    docs = policy_documents(module, {**_defaults(module), **VARIABLES})
    return {d.name: d for d in docs}


def _obj(bucket: str, key: str) -> str:
    return f"{bucket}/{key}"


UPLOAD = "uploads/acme/2026/03/14/10/invoice.pdf"
OTHER_TENANT_UPLOAD = "uploads/globex/2026/03/14/10/invoice.pdf"

# (action, resource, context, allowed?) for the Airflow workers' role
WORKER_REQUESTS = [
    ("s3:ListBucket", UP, {"s3:prefix": "uploads/acme/2026/03/14/10/"}, True),
    ("s3:ListBucket", UP, {"s3:prefix": "quarantine/"}, False),
    ("s3:ListBucket", UP, {}, False),  # the whole bucket
    ("s3:GetObject", _obj(UP, UPLOAD), {}, True),
    ("s3:GetObject", _obj(UP_DR, OTHER_TENANT_UPLOAD), {}, True),  # still works after a failover
    ("s3:PutObject", _obj(UP, UPLOAD), {}, False),  # never rewrites a tenant's upload
    ("s3:DeleteObject", _obj(UP, UPLOAD), {}, False),
    ("s3:PutObject", _obj(UP, "quarantine/" + UPLOAD), {}, True),
    ("s3:GetObject", _obj(UP, "quarantine/" + UPLOAD), {}, False),
    ("s3:PutObject", _obj(UP, "elsewhere/x.pdf"), {}, False),
    ("s3:PutObject", _obj(PROC, "acme/0f3a/abc.json"), {}, True),
    ("s3:GetObject", _obj(PROC, "manifests/document_ingest/run/batch-00000.json"), {}, True),
    ("s3:GetObject", _obj(PROC, "acme/0f3a/abc.json"), {}, False),
    ("s3:DeleteObject", _obj(PROC, "acme/0f3a/abc.json"), {}, False),
    ("s3:PutObject", _obj(STAGE, "warehouse/documents/interval=2026-03-14/part-0.parquet"), {}, True),
    ("s3:PutObject", _obj(STAGE, "other/x"), {}, False),
    ("s3:PutBucketPolicy", UP, {}, False),
    ("dynamodb:PutItem", TABLE, {}, True),
    ("dynamodb:Query", TABLE + "/index/tenant_status_updated", {}, True),
    ("dynamodb:Scan", TABLE, {}, False),  # no cross-tenant enumeration
    ("dynamodb:DeleteItem", TABLE, {}, False),
    ("dynamodb:BatchWriteItem", TABLE, {}, False),  # unconditional writes
    ("dynamodb:DeleteTable", TABLE, {}, False),
    ("secretsmanager:GetSecretValue", SECRET, {}, True),
    ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:other-app/db-x", {}, False),
    ("iam:PassRole", "arn:aws:iam::111122223333:role/admin", {}, False),
]

SNOWFLAKE_REQUESTS = [
    ("s3:GetObject", _obj(STAGE, "warehouse/documents/interval=2026-03-14/part-0.parquet"), {}, True),
    ("s3:ListBucket", STAGE, {"s3:prefix": "warehouse/documents/"}, True),
    ("s3:GetObject", _obj(UP, UPLOAD), {}, False),  # never the tenants' documents
    ("s3:GetObject", _obj(PROC, "acme/0f3a/abc.json"), {}, False),
    ("s3:PutObject", _obj(STAGE, "warehouse/x"), {}, False),
    ("s3:ListBucket", UP, {"s3:prefix": "uploads/"}, False),
]


@pytest.mark.parametrize(("action", "resource", "context", "want"), WORKER_REQUESTS)
def test_worker_role(iam: dict[str, PolicyDocument], action: str, resource: str, context: dict, want: bool) -> None:
    assert "worker" in iam, f"no worker policy document in {sorted(iam)}"
    assert allowed(iam["worker"], action, resource, context) is want


@pytest.mark.parametrize(("action", "resource", "context", "want"), SNOWFLAKE_REQUESTS)
def test_snowflake_stage_role(iam: dict[str, PolicyDocument], action: str, resource: str, context: dict,
                              want: bool) -> None:  # fmt: skip
    assert "snowflake_stage" in iam, f"no snowflake_stage policy document in {sorted(iam)}"
    assert allowed(iam["snowflake_stage"], action, resource, context) is want


def test_no_module_allows_wildcard_actions() -> None:
    """`*` or `service:*` is allowed only in key policies that delegate to the account root (AWS's default)."""
    offenders = []
    for doc in policy_documents(ROOT, VARIABLES):
        for st in doc.statements:
            if st.effect != "Allow":
                continue
            wild = [a for a in st.actions if a == "*" or a.endswith(":*")]
            roots_only = st.principals and all(
                t == "AWS" and all(i.endswith(":root") for i in ids) for t, ids in st.principals
            )
            if wild and not roots_only:
                offenders.append(f"{doc.file} {doc.name} {st.sid or '(no sid)'}: {wild}")
    assert not offenders, offenders


def test_the_checker_can_fail() -> None:
    """A policy granting the whole uploads bucket must be caught by the same decisions."""
    from .iam_policy import Statement

    loose = PolicyDocument("x.tf", "loose", [Statement("All", "Allow", ["s3:*"], [f"{UP}/*"])])
    assert allowed(loose, "s3:DeleteObject", _obj(UP, UPLOAD))
    assert allowed(loose, "s3:GetObject", _obj(UP, "quarantine/" + UPLOAD))
    deny = PolicyDocument("x.tf", "deny", [*loose.statements, Statement("No", "Deny", ["s3:Delete*"], ["*"])])
    assert not allowed(deny, "s3:DeleteObject", _obj(UP, UPLOAD))
    cond = PolicyDocument("x.tf", "c", [Statement("L", "Allow", ["s3:ListBucket"], [UP],
                                                  [("StringLike", "s3:prefix", ["uploads/*"])])])  # fmt: skip
    assert allowed(cond, "s3:ListBucket", UP, {"s3:prefix": "uploads/a/"})
    assert not allowed(cond, "s3:ListBucket", UP, {"s3:prefix": "x/"})
    assert evaluate('flatten([for t in var.t : [t, "${t}/index/*"]])', {"var": {"t": ["a", "b"]}}) == [
        "a", "a/index/*", "b", "b/index/*",
    ]  # fmt: skip
