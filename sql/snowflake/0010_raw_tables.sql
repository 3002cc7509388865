-- RAW landing tables. Columns mirror the exported columns of the Postgres tables in schema docpipe
-- (sql/postgres/0001_core_schema.sql); jsonb and array columns arrive as JSON text (VARCHAR) and are parsed
-- by the curated merges. Every table ends with the load metadata written by the exporter:
--   _INTERVAL_START / _INTERVAL_END  the half-open export interval [start, end) the row was selected for
--   _RUN_ID                          the Airflow run that exported it
--   _LOADED_AT                       when the exporter wrote the file (UTC)
-- A load deletes the rows of its interval before COPY INTO, so each interval is present at most once.

CREATE TABLE IF NOT EXISTS RAW.TENANTS (
    TENANT_ID        VARCHAR       NOT NULL COMMENT 'Tenant identifier (slug)',
    CREATED_AT       TIMESTAMP_TZ  COMMENT 'When the tenant was created in Postgres (UTC)',
    UPDATED_AT       TIMESTAMP_TZ  COMMENT 'Last change in Postgres (UTC)',
    _INTERVAL_START  TIMESTAMP_TZ  NOT NULL COMMENT 'Start of the export interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ  NOT NULL COMMENT 'End of the export interval (exclusive)',
    _RUN_ID          VARCHAR       COMMENT 'Airflow run that exported the row',
    _LOADED_AT       TIMESTAMP_TZ  COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.tenants rows changed in an interval, or referenced by documents changed in it';

CREATE TABLE IF NOT EXISTS RAW.DOCUMENTS (
    DOCUMENT_ID          VARCHAR       NOT NULL COMMENT 'Stable id of the S3 object (tenant, bucket, key)',
    TENANT_ID            VARCHAR       NOT NULL,
    BUCKET               VARCHAR       NOT NULL,
    OBJECT_KEY           VARCHAR       NOT NULL COMMENT 'S3 key as uploaded; may contain personal data',
    CONTENT_SHA256       VARCHAR       COMMENT 'SHA-256 of the content = the document version; NULL when quarantined before hashing',
    S3_ETAG              VARCHAR,
    SIZE_BYTES           NUMBER(38, 0),
    UPLOADED_AT          TIMESTAMP_TZ,
    SOURCE_HOUR          TIMESTAMP_TZ  COMMENT 'Hour partition of the upload',
    STATUS               VARCHAR       NOT NULL COMMENT 'processed | quarantined',
    DOCUMENT_TYPE        VARCHAR,
    TYPE_CONFIDENCE      FLOAT,
    PAGE_COUNT           NUMBER(38, 0),
    OCR_PAGE_COUNT       NUMBER(38, 0),
    ENGINE               VARCHAR,
    ENGINE_VERSION       VARCHAR,
    MODERATION_DECISION  VARCHAR       COMMENT 'allow | review | block',
    EXTRACT_MS           NUMBER(38, 0),
    MODERATE_MS          NUMBER(38, 0),
    RESULT_URI           VARCHAR,
    RUN_ID               VARCHAR       COMMENT 'Pipeline run that processed the document',
    CREATED_AT           TIMESTAMP_TZ,
    UPDATED_AT           TIMESTAMP_TZ  NOT NULL,
    _INTERVAL_START      TIMESTAMP_TZ  NOT NULL COMMENT 'Start of the export interval (inclusive)',
    _INTERVAL_END        TIMESTAMP_TZ  NOT NULL COMMENT 'End of the export interval (exclusive)',
    _RUN_ID              VARCHAR       COMMENT 'Airflow run that exported the row',
    _LOADED_AT           TIMESTAMP_TZ  COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.documents rows changed in an interval (the row or any of its fields/moderation)';

CREATE TABLE IF NOT EXISTS RAW.DOCUMENT_FIELDS (
    DOCUMENT_ID      VARCHAR        NOT NULL,
    ORDINAL          NUMBER(38, 0)  NOT NULL COMMENT 'Position of the field in the extraction result',
    CONTENT_SHA256   VARCHAR        NOT NULL COMMENT 'Document version the field was extracted from',
    FIELD_TYPE       VARCHAR        NOT NULL,
    MENTION_TEXT     VARCHAR        NOT NULL COMMENT 'Text as read from the document; may contain personal data',
    VALUE_TEXT       VARCHAR        COMMENT 'Normalised text value; may contain personal data',
    VALUE_NUMBER     NUMBER(20, 6),
    VALUE_DATE       DATE,
    CURRENCY         VARCHAR(3),
    CONFIDENCE       FLOAT          NOT NULL,
    PAGE             NUMBER(38, 0)  NOT NULL COMMENT 'Zero-based page',
    BBOX             VARCHAR        COMMENT 'JSON array [x0, y0, x1, y1], normalised coordinates',
    UPDATED_AT       TIMESTAMP_TZ   NOT NULL,
    _INTERVAL_START  TIMESTAMP_TZ   NOT NULL COMMENT 'Start of the export interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ   NOT NULL COMMENT 'End of the export interval (exclusive)',
    _RUN_ID          VARCHAR        COMMENT 'Airflow run that exported the row',
    _LOADED_AT       TIMESTAMP_TZ   COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.document_fields: all fields of the documents exported in the same interval';

CREATE TABLE IF NOT EXISTS RAW.MODERATION_RESULTS (
    DOCUMENT_ID      VARCHAR        NOT NULL,
    CONTENT_SHA256   VARCHAR        NOT NULL,
    DECISION         VARCHAR        NOT NULL COMMENT 'allow | review | block',
    CATEGORIES       VARCHAR        NOT NULL COMMENT 'JSON object: category -> confidence',
    REASONS          VARCHAR        COMMENT 'JSON array of reason strings',
    PII_COUNT        NUMBER(38, 0),
    ENGINE           VARCHAR        NOT NULL,
    ENGINE_VERSION   VARCHAR        NOT NULL,
    UPDATED_AT       TIMESTAMP_TZ   NOT NULL,
    _INTERVAL_START  TIMESTAMP_TZ   NOT NULL COMMENT 'Start of the export interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ   NOT NULL COMMENT 'End of the export interval (exclusive)',
    _RUN_ID          VARCHAR        COMMENT 'Airflow run that exported the row',
    _LOADED_AT       TIMESTAMP_TZ   COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.moderation_results of the documents exported in the same interval';

CREATE TABLE IF NOT EXISTS RAW.PIPELINE_RUNS (
    RUN_ID           VARCHAR        NOT NULL,
    DAG_ID           VARCHAR        NOT NULL,
    INTERVAL_START   TIMESTAMP_TZ   NOT NULL COMMENT 'Data interval of the pipeline run (not the export interval)',
    INTERVAL_END     TIMESTAMP_TZ   NOT NULL,
    LISTED           NUMBER(38, 0),
    PROCESSED        NUMBER(38, 0),
    QUARANTINED      NUMBER(38, 0),
    UNCHANGED        NUMBER(38, 0),
    MISSING          NUMBER(38, 0),
    BATCHES          NUMBER(38, 0),
    PAGES            NUMBER(38, 0),
    OCR_PAGES        NUMBER(38, 0),
    DETAILS          VARCHAR        COMMENT 'JSON object with run details',
    STATUS           VARCHAR        NOT NULL COMMENT 'success | incomplete | failed',
    STARTED_AT       TIMESTAMP_TZ,
    FINISHED_AT      TIMESTAMP_TZ,
    UPDATED_AT       TIMESTAMP_TZ   NOT NULL,
    _INTERVAL_START  TIMESTAMP_TZ   NOT NULL COMMENT 'Start of the export interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ   NOT NULL COMMENT 'End of the export interval (exclusive)',
    _RUN_ID          VARCHAR        COMMENT 'Airflow run that exported the row',
    _LOADED_AT       TIMESTAMP_TZ   COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.pipeline_runs rows changed in an interval';
