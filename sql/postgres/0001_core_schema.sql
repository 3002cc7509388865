-- docpipe application store: documents, what was extracted from them, their moderation,
-- why some were quarantined, and each pipeline run's accounting.
-- Every table carries updated_at: the nightly warehouse load selects rows changed in its interval.

CREATE SCHEMA IF NOT EXISTS docpipe;

CREATE TABLE docpipe.tenants (
    tenant_id   text PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per S3 object (identity = tenant + bucket + key), holding its latest version.
CREATE TABLE docpipe.documents (
    document_id         text PRIMARY KEY,
    tenant_id           text NOT NULL REFERENCES docpipe.tenants (tenant_id),
    bucket              text NOT NULL,
    object_key          text NOT NULL,
    content_sha256      text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    s3_etag             text NOT NULL,
    size_bytes          bigint NOT NULL CHECK (size_bytes >= 0),
    uploaded_at         timestamptz NOT NULL,
    source_hour         timestamptz NOT NULL,
    status              text NOT NULL CHECK (status IN ('processed', 'quarantined')),
    document_type       text,
    type_confidence     real CHECK (type_confidence BETWEEN 0 AND 1),
    page_count          integer CHECK (page_count >= 0),
    ocr_page_count      integer CHECK (ocr_page_count >= 0),
    engine              text,
    engine_version      text,
    moderation_decision text CHECK (moderation_decision IN ('allow', 'review', 'block')),
    extract_ms          integer,
    moderate_ms         integer,
    result_uri          text,
    run_id              text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, bucket, object_key),
    CHECK (status = 'quarantined' OR (content_sha256 IS NOT NULL AND document_type IS NOT NULL))
);
CREATE INDEX documents_updated_at_idx ON docpipe.documents (updated_at);
CREATE INDEX documents_tenant_status_idx ON docpipe.documents (tenant_id, status, updated_at DESC);

-- Extracted fields of a document's current version; replaced as a unit when the version changes.
CREATE TABLE docpipe.document_fields (
    document_id     text NOT NULL REFERENCES docpipe.documents (document_id) ON DELETE CASCADE,
    ordinal         integer NOT NULL,
    content_sha256  text NOT NULL,
    field_type      text NOT NULL,
    mention_text    text NOT NULL,
    value_text      text,
    value_number    numeric(20, 6),
    value_date      date,
    currency        char(3),
    confidence      real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    page            integer NOT NULL CHECK (page >= 0),
    bbox            real[],
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, ordinal)
);
CREATE INDEX document_fields_updated_at_idx ON docpipe.document_fields (updated_at);

CREATE TABLE docpipe.moderation_results (
    document_id     text PRIMARY KEY REFERENCES docpipe.documents (document_id) ON DELETE CASCADE,
    content_sha256  text NOT NULL,
    decision        text NOT NULL CHECK (decision IN ('allow', 'review', 'block')),
    categories      jsonb NOT NULL,
    reasons         text[] NOT NULL DEFAULT '{}',
    pii_count       integer NOT NULL DEFAULT 0,
    engine          text NOT NULL,
    engine_version  text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_results_updated_at_idx ON docpipe.moderation_results (updated_at);

-- Where personal data was found: type and character offsets into the document text, never the value.
CREATE TABLE docpipe.pii_findings (
    document_id     text NOT NULL REFERENCES docpipe.documents (document_id) ON DELETE CASCADE,
    ordinal         integer NOT NULL,
    pii_type        text NOT NULL,
    start_offset    integer NOT NULL CHECK (start_offset >= 0),
    end_offset      integer NOT NULL CHECK (end_offset > start_offset),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, ordinal)
);

-- Why a document was quarantined. One row per document: its latest failure.
CREATE TABLE docpipe.processing_errors (
    document_id     text PRIMARY KEY REFERENCES docpipe.documents (document_id) ON DELETE CASCADE,
    tenant_id       text NOT NULL REFERENCES docpipe.tenants (tenant_id),
    object_key      text NOT NULL,
    content_sha256  text,
    reason          text NOT NULL,
    message         text NOT NULL,
    quarantine_uri  text,
    run_id          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processing_errors_reason_idx ON docpipe.processing_errors (reason);

-- Each DAG run's accounting: listed = processed + quarantined + unchanged, or the run failed.
CREATE TABLE docpipe.pipeline_runs (
    run_id          text NOT NULL,
    dag_id          text NOT NULL,
    interval_start  timestamptz NOT NULL,
    interval_end    timestamptz NOT NULL,
    listed          integer NOT NULL DEFAULT 0,
    processed       integer NOT NULL DEFAULT 0,
    quarantined     integer NOT NULL DEFAULT 0,
    unchanged       integer NOT NULL DEFAULT 0,
    missing         integer NOT NULL DEFAULT 0,
    batches         integer NOT NULL DEFAULT 0,
    pages           integer NOT NULL DEFAULT 0,
    ocr_pages       integer NOT NULL DEFAULT 0,
    details         jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL CHECK (status IN ('success', 'incomplete', 'failed')),
    started_at      timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, run_id),
    CHECK (interval_end > interval_start)
);
CREATE INDEX pipeline_runs_updated_at_idx ON docpipe.pipeline_runs (updated_at);
