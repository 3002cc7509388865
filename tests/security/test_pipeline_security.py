"""Security through the whole pipeline, on two real runs of `document_ingest` and one of `warehouse_load`:

- hostile values (SQL injection strings, quotes, unicode) in field values and object keys travel as
  data: every SQL statement Postgres and the warehouse received is recorded, and none contains them;
  they come out of Postgres, DynamoDB and Snowflake byte for byte;
- uploads under hostile tenant folders are quarantined with a clear reason, in the same batch as good
  documents that are processed, and nothing is written under those names;
- tenant isolation: Postgres row-level security (roles docpipe_app / _writer / _reporting with
  `app.tenant_id`), DynamoDB items bound to their tenant's partition, S3 keys under their tenant;
- no connection password, document text or PII in the logs of those runs (log records, task output,
  log files), with the connections carrying canary passwords.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from reliability.conftest import direct_client
from reliability.corpus import unicode_text_pdf
from reliability.harness import StoreState, env, ingest_run_row, run_ingest, run_warehouse, warehouse_documents

from docpipe.config import Settings
from docpipe.models import document_id_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

H1 = datetime(2026, 3, 17, 10, tzinfo=UTC)  # hostile values and keys under valid tenants
H2 = datetime(2026, 3, 17, 11, tzinfo=UTC)  # hostile tenant folders next to good documents
TENANTS = ("acme", "globex")

SQLI_SUPPLIER = 'O\'Reilly "Trading"; DROP TABLE docpipe.documents;--'
SQLI_CUSTOMER = "Robert'); DELETE FROM docpipe.tenants WHERE ''='"
UNICODE_CUSTOMER = "Zoë Ångström-Łukasz 山田 \u202eevil\u202c"
EMAIL, PHONE, IBAN = "jane.canary.4471@example.org", "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32"
TEXT_CANARY = "Quokka-lantern-7731 memorandum"
HOSTILE_KEYS = (
    "x'; DROP TABLE docpipe.document_fields;--.pdf",
    '"quoted" and `backticked` $1 %s {0}.pdf',
    "ünïcödé 文書 \U0001f4c4.pdf",
)
HOSTILE_TENANTS = ("Robert'); DROP TABLE docpipe.tenants;--", "ACME", "café", "..", "a b")
MARKERS = ("DROP TABLE", "DELETE FROM docpipe.tenants", "O'Reilly", "Robert'", "Zoë", "Quokka", "café", "\U0001f4c4")


def _invoice(supplier: str, customer: str, number: str) -> bytes:
    return unicode_text_pdf(
        (
            "INVOICE",
            f"From: {supplier}",
            f"Invoice number: {number}",
            "Invoice date: 14 March 2026",
            f"Bill to: {customer}",
            f"Contact: {EMAIL}, {PHONE}",
            f"IBAN: {IBAN}",
            TEXT_CANARY,
            "Total due: EUR 1,200.00",
        )
    )


# ---------------------------------------------------------------------------------------------- capture


class SqlRecorder:
    """Every SQL text sent to Postgres (psycopg) and to the warehouse (fakesnow) while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @contextlib.contextmanager
    def active(self) -> Iterator[SqlRecorder]:
        import fakesnow.cursor as fc

        rec = self.statements
        patched: list[tuple[Any, str, Any]] = []

        def wrap(owner: Any, name: str, text_of: Any) -> None:
            original = getattr(owner, name)

            def wrapper(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
                rec.append(text_of(self, statement))
                return original(self, statement, *args, **kwargs)

            setattr(owner, name, wrapper)
            patched.append((owner, name, original))

        def pg_text(cur: Any, statement: Any) -> str:
            if isinstance(statement, sql.Composable):
                try:
                    return statement.as_string(cur.connection)
                except Exception:
                    return str(statement)
            return statement.decode() if isinstance(statement, bytes) else str(statement)

        for name in ("execute", "executemany", "copy"):
            wrap(psycopg.Cursor, name, pg_text)
        for name in ("execute", "executemany"):
            wrap(fc.FakeSnowflakeCursor, name, lambda cur, s: str(s))
        try:
            yield self
        finally:
            for owner, name, original in reversed(patched):
                setattr(owner, name, original)


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(self.format(record))


@contextlib.contextmanager
def info_level_logs() -> Iterator[None]:
    """INFO and above from every logger for the block: a leak at INFO must show up here even though the
    test session runs Airflow at WARNING. Airflow's structlog loggers take their level from a trie
    when they are created (each task creates its own), the stdlib ones from the root logger."""
    import importlib

    tries = []
    for module in ("airflow.sdk._shared.logging.structlog", "airflow._shared.logging.structlog"):
        with contextlib.suppress(ImportError):
            trie = importlib.import_module(module).PER_LOGGER_LEVELS
            tries.append((trie, trie[""]))
            trie[""] = min(trie[""], logging.INFO)
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.setLevel(old)
        for trie, level in tries:
            trie[""] = level


@contextlib.contextmanager
def captured_output() -> Iterator[list[str]]:
    """Everything written to file descriptors 1 and 2 (Airflow's task output) during the block."""
    out: list[str] = []
    with tempfile.TemporaryFile() as tmp:
        saved = [os.dup(1), os.dup(2)]
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        try:
            yield out
        finally:
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
            tmp.seek(0)
            out.append(tmp.read().decode("utf-8", "replace"))


# ---------------------------------------------------------------------------------------------- the runs


@pytest.fixture(scope="module")
def secure_run(airflow_db: Any, request: pytest.FixtureRequest) -> dict[str, Any]:
    import json

    airflow_db.reset()
    settings = Settings.from_env()
    s3, ddb = direct_client("s3"), direct_client("dynamodb")
    bucket, prefix = settings.uploads_bucket, settings.uploads_prefix

    uploads: dict[str, dict[str, Any]] = {}  # key -> {"tenant", "expect", "data"}

    def put(tenant: str, hour: datetime, name: str, data: bytes, expect: str) -> None:
        key = f"{prefix}/{tenant}/{hour:%Y/%m/%d/%H}/{name}"
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/pdf")
        uploads[key] = {"tenant": tenant, "expect": expect, "data": data, "hour": hour}

    for i, tenant in enumerate(TENANTS):
        # the same file name in both tenants: two documents, each in its own tenant
        put(tenant, H1, "invoice-0001.pdf", _invoice(SQLI_SUPPLIER, SQLI_CUSTOMER, f"INV-{i}001"), "processed")
        put(tenant, H1, "invoice-0002.pdf", _invoice(f"{tenant} supplies", UNICODE_CUSTOMER, f"INV-{i}002"),
            "processed")  # fmt: skip
        for j, name in enumerate(HOSTILE_KEYS):
            put(tenant, H1, name, _invoice(f"Keyed {j} Ltd", "Plain Customer", f"INV-{i}1{j}"), "processed")
    put("acme", H2, "good-in-h2.pdf", _invoice("Acme Supplies", "Globex", "INV-2001"), "processed")
    put("globex", H2, "good-in-h2.pdf", _invoice("Globex Supplies", "Acme", "INV-2002"), "processed")
    for j, tenant in enumerate(HOSTILE_TENANTS):
        put(tenant, H2, f"hostile-tenant-{j}.pdf", _invoice("Nobody", "Nobody", f"INV-9{j}"), "invalid_tenant")

    canaries = {
        "postgres": f"pg-canary-{uuid.uuid4().hex}",
        "snowflake": f"sf-canary-{uuid.uuid4().hex}",
        "aws": f"aws/canary+{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}",
    }
    pg_dsn = os.environ["AIRFLOW_CONN_DOCPIPE_POSTGRES"]
    scheme, rest = pg_dsn.split("://", 1)
    user, hostpart = rest.split("@", 1)
    sf = json.loads(os.environ["AIRFLOW_CONN_SNOWFLAKE_DEFAULT"])
    sf["password"] = canaries["snowflake"]

    recorder, handler = SqlRecorder(), LogCapture()
    root = logging.getLogger()
    root.addHandler(handler)
    runs: dict[str, Any] = {}
    # Airflow's task logger (structlog) writes to the stream pytest captures, not to fd 1: read it there
    capman = request.config.pluginmanager.getplugin("capturemanager")
    capman.read_global_capture()
    fd_output: list[str] = []
    output: list[str] = []
    try:
        with (
            env(
                AIRFLOW_CONN_DOCPIPE_POSTGRES=f"{scheme}://{user.split(':')[0]}:{canaries['postgres']}@{hostpart}",
                AIRFLOW_CONN_SNOWFLAKE_DEFAULT=json.dumps(sf),
                AWS_SECRET_ACCESS_KEY=canaries["aws"],
            ),
            info_level_logs(),
            recorder.active(),
            captured_output() as fd_output,
        ):
            runs["h1"] = run_ingest(H1, retries=0)
            runs["h2"] = run_ingest(H2, retries=0)
            runs["warehouse"] = run_warehouse(retries=0)
    finally:
        root.removeHandler(handler)
        captured_out, captured_err = capman.read_global_capture()
        output.extend([*fd_output, captured_out, captured_err])
    log_files = []
    for base in (Path(os.environ["AIRFLOW_HOME"]) / "logs",):
        if base.exists():
            log_files += [p for p in base.rglob("*") if p.is_file()]
    state = StoreState.read(airflow_db.app_dsn, s3, ddb)
    return {
        "runs": runs, "uploads": uploads, "state": state, "sql": recorder.statements, "canaries": canaries,
        "logs": handler.lines, "output": "".join(output),
        "files": {str(p): p.read_text("utf-8", "replace") for p in log_files}, "dsn": airflow_db.app_dsn,
        "s3": s3, "ddb": ddb,
    }  # fmt: skip


def _engine_fields(data: bytes) -> dict[str, str]:
    from docpipe.extraction import get_backend

    r = get_backend("local").extract(data, filename="x.pdf")
    return {e.type: (e.normalized_value or {}).get("text") or e.mention_text for e in r.entities}


# ---------------------------------------------------------------------------------------------- hostile values


def test_hostile_values_and_keys_are_processed_like_any_other(secure_run: dict[str, Any]) -> None:
    run = ingest_run_row(secure_run["dsn"], secure_run["runs"]["h1"])
    h1 = [k for k, u in secure_run["uploads"].items() if u["hour"] == H1]
    assert secure_run["runs"]["h1"].state == "success"
    assert (run["listed"], run["processed"], run["quarantined"], run["missing"]) == (len(h1), len(h1), 0, 0)
    for key in h1:
        row = secure_run["state"].pg[key]
        assert row["status"] == "processed" and row["object_key"] == key


def test_hostile_values_round_trip_byte_for_byte(secure_run: dict[str, Any]) -> None:
    uploads, state = secure_run["uploads"], secure_run["state"]
    key = next(k for k, u in uploads.items() if u["tenant"] == "acme" and k.endswith("invoice-0001.pdf"))
    truth = _engine_fields(uploads[key]["data"])
    assert "DROP TABLE docpipe.documents" in truth.get("supplier_name", ""), truth
    doc_id = state.pg[key]["document_id"]
    with psycopg.connect(secure_run["dsn"]) as conn:
        stored = dict(
            conn.execute(
                "SELECT field_type, coalesce(value_text, mention_text) FROM docpipe.document_fields WHERE document_id = %s",
                (doc_id,),
            ).fetchall()
        )
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'docpipe'")}
    assert {"documents", "tenants", "document_fields"} <= tables
    for field in ("supplier_name", "customer_name"):
        assert stored.get(field) == truth[field], field
    item = secure_run["ddb"].get_item(
        TableName=Settings.from_env().dynamodb_table,
        Key={"tenant_id": {"S": "acme"}, "document_id": {"S": doc_id}},
    )["Item"]
    assert item["fields"]["M"]["supplier_name"]["M"]["value"]["S"] == truth["supplier_name"]
    assert item["object_key"]["S"] == key
    u_key = next(k for k, u in uploads.items() if u["tenant"] == "acme" and k.endswith("invoice-0002.pdf"))
    u_truth = _engine_fields(uploads[u_key]["data"])
    assert "Zoë Ångström" in u_truth.get("customer_name", ""), u_truth


def test_warehouse_carries_the_same_values(secure_run: dict[str, Any]) -> None:
    from docpipe.warehouse.connection import snowflake_connection

    assert secure_run["runs"]["warehouse"].state == "success"
    uploads, state = secure_run["uploads"], secure_run["state"]
    key = next(k for k, u in uploads.items() if u["tenant"] == "acme" and k.endswith("invoice-0001.pdf"))
    truth = _engine_fields(uploads[key]["data"])
    doc_id = state.pg[key]["document_id"]
    with snowflake_connection() as sf:
        all_rows = (
            sf.cursor().execute("SELECT DOCUMENT_ID, FIELD_TYPE, VALUE_TEXT FROM CURATED.FCT_DOCUMENT_FIELD").fetchall()
        )
    rows = {f: v for d, f, v in all_rows if d == doc_id}
    assert rows.get("supplier_name") == truth["supplier_name"]
    docs = warehouse_documents()
    h1 = [k for k, u in uploads.items() if u["hour"] == H1]
    assert [docs[state.pg[k]["document_id"]] for k in h1 if k in state.pg] == [1] * len(h1)


def test_sql_is_built_from_parameters_and_identifiers_only(secure_run: dict[str, Any]) -> None:
    statements = secure_run["sql"]
    assert len(statements) > 20, "the recorder saw the pipeline's SQL"
    leaks = [(m, s[:200]) for s in statements for m in MARKERS if m in s]
    assert not leaks, leaks


def test_uploads_under_hostile_tenant_folders_are_quarantined_not_fatal(secure_run: dict[str, Any]) -> None:
    """They share a batch with good documents: those are processed, the hostile ones quarantined on S3
    with reason invalid_tenant and counted, and no row, item or tenant is created under those names."""
    dr, uploads, state = secure_run["runs"]["h2"], secure_run["uploads"], secure_run["state"]
    run = ingest_run_row(secure_run["dsn"], dr)
    h2 = {k: u for k, u in uploads.items() if u["hour"] == H2}
    good = [k for k, u in h2.items() if u["expect"] == "processed"]
    hostile = [k for k, u in h2.items() if u["expect"] == "invalid_tenant"]
    assert run is not None and run["status"] == "success", run
    assert dr.state == "success"
    assert (run["listed"], run["processed"], run["quarantined"], run["missing"]) == (
        len(h2),
        len(good),
        len(hostile),
        0,
    )
    assert run["details"]["quarantine_reasons"] == {"invalid_tenant": len(hostile)}
    assert all(state.pg[k]["status"] == "processed" for k in good)
    assert not [k for k in hostile if k in state.pg]
    with psycopg.connect(secure_run["dsn"]) as conn:
        tenants = {r[0] for r in conn.execute("SELECT tenant_id FROM docpipe.tenants")}
    assert tenants == set(TENANTS)
    assert not {i["tenant_id"] for i in state.dynamodb.values()} - set(TENANTS)
    s3, bucket = secure_run["s3"], Settings.from_env().uploads_bucket
    for key in hostile:
        head = s3.head_object(Bucket=bucket, Key=f"quarantine/{key}")
        assert head["Metadata"]["reason"] == "invalid_tenant"


# ---------------------------------------------------------------------------------------------- isolation


def _counts_by_tenant(conn: psycopg.Connection, table: str) -> dict[str, int]:
    return dict(
        conn.execute(
            sql.SQL("SELECT tenant_id, count(*) FROM docpipe.{} GROUP BY 1").format(sql.Identifier(table))
        ).fetchall()
    )


TENANT_TABLES = ("documents", "document_fields", "moderation_results", "pii_findings")


def test_postgres_rls_shows_an_app_session_only_its_tenant(secure_run: dict[str, Any]) -> None:
    dsn = secure_run["dsn"]
    with psycopg.connect(dsn, autocommit=True) as admin:
        truth = {t: _counts_by_tenant(admin, t) for t in TENANT_TABLES}
    assert all(truth[t].get("acme") and truth[t].get("globex") for t in TENANT_TABLES), truth
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET ROLE docpipe_app")
        for tenant in TENANTS:
            conn.execute(sql.SQL("SET app.tenant_id = {}").format(sql.Literal(tenant)))
            for table in TENANT_TABLES:
                assert _counts_by_tenant(conn, table) == {tenant: truth[table][tenant]}, (tenant, table)
            assert [r[0] for r in conn.execute("SELECT tenant_id FROM docpipe.tenants")] == [tenant]
        # no tenant, or a hostile setting: nothing
        conn.execute("RESET app.tenant_id")
        assert conn.execute("SELECT count(*) FROM docpipe.documents").fetchone()[0] == 0
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", ("acme' OR '1'='1",))
        assert conn.execute("SELECT count(*) FROM docpipe.documents").fetchone()[0] == 0
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM docpipe.pipeline_runs")


def test_postgres_rls_refuses_writes_across_tenants(secure_run: dict[str, Any]) -> None:
    dsn = secure_run["dsn"]
    other = secure_run["state"].pg[next(k for k, u in secure_run["uploads"].items() if u["tenant"] == "globex")]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET ROLE docpipe_app")
        conn.execute("SET app.tenant_id = 'acme'")
        assert conn.execute("UPDATE docpipe.documents SET status = status WHERE tenant_id = 'globex'").rowcount == 0
        assert (
            conn.execute("DELETE FROM docpipe.document_fields WHERE document_id = %s", (other["document_id"],)).rowcount
            == 0
        )
        with pytest.raises(errors.InsufficientPrivilege):  # new row violates row-level security policy
            conn.execute(
                "INSERT INTO docpipe.processing_errors (document_id, tenant_id, object_key, reason, message, run_id) "
                "VALUES (%s, 'globex', 'k', 'x', 'x', 'r')",
                (other["document_id"],),
            )
        own = conn.execute("SELECT count(*) FROM docpipe.documents").fetchone()[0]
        # moving its own rows to another tenant: row-level security's WITH CHECK refuses it...
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("UPDATE docpipe.moderation_results SET tenant_id = 'globex' WHERE tenant_id = 'acme'")
        # ...and for documents that have fields, the re-key guard (a BEFORE trigger) may refuse it first
        with pytest.raises((errors.InsufficientPrivilege, errors.ForeignKeyViolation)):
            conn.execute("UPDATE docpipe.documents SET tenant_id = 'globex' WHERE tenant_id = 'acme'")
        assert own > 0 and conn.execute("SELECT count(*) FROM docpipe.documents").fetchone()[0] == own  # none moved
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET ROLE docpipe_reporting")
        assert conn.execute("SELECT count(DISTINCT tenant_id) FROM docpipe.documents").fetchone()[0] == 2
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DELETE FROM docpipe.documents")


def test_dynamodb_items_are_bound_to_their_tenant(secure_run: dict[str, Any]) -> None:
    ddb, table = secure_run["ddb"], Settings.from_env().dynamodb_table
    seen: dict[str, set[str]] = {}
    for tenant in TENANTS:
        items = ddb.query(TableName=table, KeyConditionExpression="tenant_id = :t",
                          ExpressionAttributeValues={":t": {"S": tenant}})["Items"]  # fmt: skip
        assert items
        assert all(i["object_key"]["S"].split("/")[1] == tenant for i in items)
        seen[tenant] = {i["document_id"]["S"] for i in items}
        status = ddb.query(TableName=table, IndexName="tenant_status_updated",
                           KeyConditionExpression="tenant_status = :s",
                           ExpressionAttributeValues={":s": {"S": f"{tenant}#processed"}})["Items"]  # fmt: skip
        assert status and all(i["tenant_id"]["S"] == tenant for i in status)
    assert not seen["acme"] & seen["globex"]
    # the same file name in another tenant is another document, and a key pair never crosses tenants
    bucket = Settings.from_env().uploads_bucket
    acme_id = document_id_for("acme", bucket, f"uploads/acme/{H1:%Y/%m/%d/%H}/invoice-0001.pdf")
    globex_id = document_id_for("globex", bucket, f"uploads/globex/{H1:%Y/%m/%d/%H}/invoice-0001.pdf")
    assert acme_id != globex_id and acme_id in seen["acme"] and globex_id in seen["globex"]
    cross = ddb.get_item(TableName=table, Key={"tenant_id": {"S": "globex"}, "document_id": {"S": acme_id}})
    assert "Item" not in cross


def test_s3_objects_written_for_a_tenant_live_under_its_prefix(secure_run: dict[str, Any]) -> None:
    state = secure_run["state"]
    for key, row in state.pg.items():
        tenant = row["tenant_id"]
        assert key.split("/")[1] == tenant
        if row["result_uri"]:
            assert row["result_uri"].split("/", 3)[3].startswith(f"{tenant}/")
        if row["quarantine_uri"]:
            assert f"/{tenant}/" in row["quarantine_uri"]


# ---------------------------------------------------------------------------------------------- logs


def test_logs_hold_no_password_document_text_or_pii(secure_run: dict[str, Any]) -> None:
    sources = {"log records": "\n".join(secure_run["logs"]), "task output": secure_run["output"], **secure_run["files"]}
    everything = "\n".join(sources.values())
    # the check reads what the tasks logged: their INFO lines are there (discovery's count, for one)
    assert "listed" in everything and "objects in" in everything, "the task logs were not captured"
    needles = {
        **{f"{k} password": v for k, v in secure_run["canaries"].items()},
        "e-mail": EMAIL,
        "phone": PHONE,
        "IBAN": IBAN,
        "IBAN digits": IBAN.replace(" ", ""),
        "document text": TEXT_CANARY,
        "field value": 'O\'Reilly "Trading"',
    }
    leaks = [f"{what} in {where}" for where, text in sources.items() for what, n in needles.items() if n in text]
    assert not leaks, leaks
