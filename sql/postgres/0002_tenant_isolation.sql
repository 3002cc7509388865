-- Tenant isolation for the application store, and form key-values.
--
-- Three NOLOGIN group roles; login users are members of one of them (`docpipe db-roles`):
--   docpipe_app        the application: sees and changes only the rows of the tenant named in its
--                      session (`SET app.tenant_id`, or set_config('app.tenant_id', ..., true) per
--                      transaction); no tenant set means no rows. No access to pipeline accounting.
--   docpipe_writer     the pipeline: reads and writes every tenant's rows, no DDL.
--   docpipe_reporting  the warehouse export and analysts' ad-hoc reads: reads everything, writes nothing.
--
-- Every tenant-owned table carries tenant_id (the child tables get it here, backfilled from their
-- document) so that one cheap policy expression serves every table, and a composite foreign key
-- keeps a child's tenant equal to its document's. Row-level security is FORCEd so that a session
-- running as the tables' owner is filtered too; only superusers and BYPASSRLS roles (the migration
-- runner) see past the policies. A data migration run by a non-bypassing owner must
-- `SET LOCAL ROLE docpipe_writer` first.
--
-- Written to be re-runnable: every step checks or replaces what it creates.

-- ---------------------------------------------------------------------------------------- roles
-- Roles belong to the whole cluster, not this database: several databases (test sessions, the demo)
-- may create them at the same moment, hence the guarded CREATE.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['docpipe_app', 'docpipe_writer', 'docpipe_reporting'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created concurrently by another database's migration
            END;
        END IF;
    END LOOP;
    -- A group role that bypasses the policies would silently defeat them for all its members.
    IF EXISTS (SELECT FROM pg_roles
               WHERE rolname IN ('docpipe_app', 'docpipe_writer', 'docpipe_reporting')
                 AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'docpipe_app, docpipe_writer and docpipe_reporting must not be SUPERUSER or BYPASSRLS';
    END IF;
END $$;

-- ------------------------------------------------------------------- tenant_id on child tables
ALTER TABLE docpipe.document_fields ADD COLUMN IF NOT EXISTS tenant_id text;
ALTER TABLE docpipe.moderation_results ADD COLUMN IF NOT EXISTS tenant_id text;
ALTER TABLE docpipe.pii_findings ADD COLUMN IF NOT EXISTS tenant_id text;

UPDATE docpipe.document_fields c SET tenant_id = d.tenant_id
FROM docpipe.documents d WHERE d.document_id = c.document_id AND c.tenant_id IS NULL;
UPDATE docpipe.moderation_results c SET tenant_id = d.tenant_id
FROM docpipe.documents d WHERE d.document_id = c.document_id AND c.tenant_id IS NULL;
UPDATE docpipe.pii_findings c SET tenant_id = d.tenant_id
FROM docpipe.documents d WHERE d.document_id = c.document_id AND c.tenant_id IS NULL;

ALTER TABLE docpipe.document_fields ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE docpipe.moderation_results ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE docpipe.pii_findings ALTER COLUMN tenant_id SET NOT NULL;

-- A writer that predates the column (or inserts by hand) names only the document: take the
-- tenant from it. The WHEN clause keeps the function off the bulk path, which sets tenant_id.
-- Runs with the inserting role's rights, so under RLS a document of another tenant is not found
-- and the NOT NULL constraint rejects the row.
CREATE OR REPLACE FUNCTION docpipe.tenant_from_document() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT d.tenant_id INTO NEW.tenant_id FROM docpipe.documents d WHERE d.document_id = NEW.document_id;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS tenant_from_document ON docpipe.document_fields;
CREATE TRIGGER tenant_from_document BEFORE INSERT ON docpipe.document_fields
    FOR EACH ROW WHEN (NEW.tenant_id IS NULL) EXECUTE FUNCTION docpipe.tenant_from_document();
DROP TRIGGER IF EXISTS tenant_from_document ON docpipe.moderation_results;
CREATE TRIGGER tenant_from_document BEFORE INSERT ON docpipe.moderation_results
    FOR EACH ROW WHEN (NEW.tenant_id IS NULL) EXECUTE FUNCTION docpipe.tenant_from_document();
DROP TRIGGER IF EXISTS tenant_from_document ON docpipe.pii_findings;
CREATE TRIGGER tenant_from_document BEFORE INSERT ON docpipe.pii_findings
    FOR EACH ROW WHEN (NEW.tenant_id IS NULL) EXECUTE FUNCTION docpipe.tenant_from_document();

-- Children reference (document_id, tenant_id): a child row cannot claim another tenant than its
-- document's. These replace the single-column foreign keys of 0001 (same cascade on delete).
DO $$
DECLARE
    t text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint
                   WHERE conrelid = 'docpipe.documents'::regclass AND conname = 'documents_document_tenant_key') THEN
        ALTER TABLE docpipe.documents
            ADD CONSTRAINT documents_document_tenant_key UNIQUE (document_id, tenant_id);
    END IF;
    FOREACH t IN ARRAY ARRAY['document_fields', 'moderation_results', 'pii_findings', 'processing_errors'] LOOP
        EXECUTE format('ALTER TABLE docpipe.%I DROP CONSTRAINT IF EXISTS %I', t, t || '_document_id_fkey');
        IF NOT EXISTS (SELECT FROM pg_constraint
                       WHERE conrelid = format('docpipe.%I', t)::regclass
                         AND conname = t || '_document_tenant_fkey') THEN
            EXECUTE format(
                'ALTER TABLE docpipe.%I ADD CONSTRAINT %I FOREIGN KEY (document_id, tenant_id) '
                'REFERENCES docpipe.documents (document_id, tenant_id) ON DELETE CASCADE',
                t, t || '_document_tenant_fkey');
        END IF;
    END LOOP;
END $$;

-- ------------------------------------------------------------------------------ form key-values
-- A form's key-value pairs are extracted fields (type `form_field`) of the same document version,
-- replaced with the other fields as a unit, so they stay in document_fields; the key (the printed
-- label) gets its own column and a view gives them the shape an application asks for. Rows
-- written before this migration have no key: reprocess (`--reprocess all`) to fill it.
ALTER TABLE docpipe.document_fields ADD COLUMN IF NOT EXISTS form_key text;

CREATE OR REPLACE VIEW docpipe.form_key_values WITH (security_invoker = true) AS
SELECT tenant_id, document_id, ordinal, content_sha256, form_key, value_text AS form_value, mention_text,
       confidence, page, bbox, updated_at
FROM docpipe.document_fields
WHERE field_type = 'form_field';

-- ------------------------------------------------------------------------------ row-level security
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenants', 'documents', 'document_fields', 'moderation_results', 'pii_findings',
                             'processing_errors'] LOOP
        EXECUTE format('ALTER TABLE docpipe.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE docpipe.%I FORCE ROW LEVEL SECURITY', t);

        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON docpipe.%I', t);
        -- current_setting(..., true) is NULL when the session never set a tenant: no row matches.
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON docpipe.%I TO docpipe_app '
            'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
            'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);

        EXECUTE format('DROP POLICY IF EXISTS pipeline_writer ON docpipe.%I', t);
        EXECUTE format(
            'CREATE POLICY pipeline_writer ON docpipe.%I TO docpipe_writer USING (true) WITH CHECK (true)', t);

        EXECUTE format('DROP POLICY IF EXISTS reporting_read ON docpipe.%I', t);
        EXECUTE format('CREATE POLICY reporting_read ON docpipe.%I FOR SELECT TO docpipe_reporting USING (true)', t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------- grants
REVOKE ALL ON SCHEMA docpipe FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA docpipe FROM PUBLIC;
REVOKE ALL ON FUNCTION docpipe.tenant_from_document() FROM PUBLIC;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO docpipe_app, docpipe_writer, docpipe_reporting',
                   current_database());
    -- The bulk writer stages each batch in temporary tables.
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO docpipe_writer', current_database());
END $$;

GRANT USAGE ON SCHEMA docpipe TO docpipe_app, docpipe_writer, docpipe_reporting;

GRANT SELECT ON docpipe.tenants TO docpipe_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON docpipe.documents, docpipe.document_fields, docpipe.moderation_results, docpipe.pii_findings,
       docpipe.processing_errors
    TO docpipe_app;
GRANT SELECT ON docpipe.form_key_values TO docpipe_app;

GRANT SELECT, INSERT, UPDATE, DELETE
    ON docpipe.tenants, docpipe.documents, docpipe.document_fields, docpipe.moderation_results,
       docpipe.pii_findings, docpipe.processing_errors, docpipe.pipeline_runs
    TO docpipe_writer;
GRANT SELECT ON docpipe.form_key_values, docpipe.schema_migrations TO docpipe_writer;

GRANT SELECT
    ON docpipe.tenants, docpipe.documents, docpipe.document_fields, docpipe.moderation_results,
       docpipe.pii_findings, docpipe.processing_errors, docpipe.pipeline_runs, docpipe.form_key_values,
       docpipe.schema_migrations
    TO docpipe_reporting;

-- Tables that later migrations create are readable by reporting and writable by the pipeline at
-- once; the application gets nothing until that migration adds the table's tenant policy.
ALTER DEFAULT PRIVILEGES IN SCHEMA docpipe GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO docpipe_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA docpipe GRANT SELECT ON TABLES TO docpipe_reporting;
