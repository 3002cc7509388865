-- RAW landing tables. Columns mirror the exported columns of the Postgres tables in schema docpipe
-- (sql/postgres/0001_core_schema.sql); jsonb and array columns arrive as JSON text (VARCHAR) and are parsed
-- by the STAGING views. Every table ends with the load metadata written by the exporter:
--   _INTERVAL_START / _INTERVAL_END  the half-open load interval [start, end) the row was exported for
--   _RUN_ID                          the Airflow run that exported it
--   _EXPORT_ID                       the export attempt (one folder of files on the stage)
--   _LOADED_AT                       when the exporter wrote the file (UTC)
-- Grain: one row per source row per load interval. A load keeps only the latest export of its interval
-- (copy_into_raw deletes the rows of earlier exports in the same transaction as the COPY), so the key
-- of each table is its Postgres primary key plus _INTERVAL_START.

CREATE TABLE IF NOT EXISTS RAW.TENANTS (
    TENANT_ID        VARCHAR       NOT NULL COMMENT 'Tenant identifier (slug)',
    CREATED_AT       TIMESTAMP_TZ  COMMENT 'When the tenant was created in Postgres (UTC)',
    UPDATED_AT       TIMESTAMP_TZ  COMMENT 'Last change in Postgres (UTC)',
    _INTERVAL_START  TIMESTAMP_TZ  NOT NULL COMMENT 'Start of the load interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ  NOT NULL COMMENT 'End of the load interval (exclusive)',
    _RUN_ID          VARCHAR       COMMENT 'Airflow run that exported the row',
    _EXPORT_ID       VARCHAR       NOT NULL COMMENT 'Export attempt that wrote the row (folder on the stage)',
    _LOADED_AT       TIMESTAMP_TZ  COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.tenants rows changed in an interval, or referenced by documents changed in it. Grain: one row per tenant per load interval. Key: TENANT_ID, _INTERVAL_START';

CREATE TABLE IF NOT EXISTS RAW.DOCUMENTS (
    DOCUMENT_ID          VARCHAR        NOT NULL COMMENT 'Stable id of the S3 object (tenant, bucket, key)',
    TENANT_ID            VARCHAR        NOT NULL COMMENT 'Tenant that uploaded the document',
    BUCKET               VARCHAR        NOT NULL COMMENT 'S3 bucket of the upload',
    OBJECT_KEY           VARCHAR        NOT NULL COMMENT 'S3 key as uploaded; may contain personal data',
    CONTENT_SHA256       VARCHAR        COMMENT 'SHA-256 of the content = the document version; NULL when quarantined before hashing',
    S3_ETAG              VARCHAR        COMMENT 'ETag of the S3 object when it was processed',
    SIZE_BYTES           NUMBER(38, 0)  COMMENT 'Size of the uploaded object in bytes',
    UPLOADED_AT          TIMESTAMP_TZ   COMMENT 'When the object was uploaded (S3 LastModified, UTC)',
    SOURCE_HOUR          TIMESTAMP_TZ   COMMENT 'Hour partition of the upload',
    STATUS               VARCHAR        NOT NULL COMMENT 'processed | quarantined',
    DOCUMENT_TYPE        VARCHAR        COMMENT 'Classified type (invoice, receipt, form, other); NULL when quarantined before classification',
    TYPE_CONFIDENCE      FLOAT          COMMENT 'Confidence of the classification, 0..1',
    PAGE_COUNT           NUMBER(38, 0)  COMMENT 'Pages in the document',
    OCR_PAGE_COUNT       NUMBER(38, 0)  COMMENT 'Pages that needed OCR (no text layer)',
    ENGINE               VARCHAR        COMMENT 'Extraction engine',
    ENGINE_VERSION       VARCHAR        COMMENT 'Version of the extraction engine',
    MODERATION_DECISION  VARCHAR        COMMENT 'allow | review | block',
    EXTRACT_MS           NUMBER(38, 0)  COMMENT 'Extraction time in milliseconds',
    MODERATE_MS          NUMBER(38, 0)  COMMENT 'Moderation time in milliseconds',
    RESULT_URI           VARCHAR        COMMENT 'Result JSON on the processed bucket',
    RUN_ID               VARCHAR        COMMENT 'Pipeline run that processed the document',
    CREATED_AT           TIMESTAMP_TZ   COMMENT 'When the row was first written in Postgres (UTC)',
    UPDATED_AT           TIMESTAMP_TZ   NOT NULL COMMENT 'Last change in Postgres (UTC): when this version was processed',
    _INTERVAL_START      TIMESTAMP_TZ   NOT NULL COMMENT 'Start of the load interval (inclusive)',
    _INTERVAL_END        TIMESTAMP_TZ   NOT NULL COMMENT 'End of the load interval (exclusive)',
    _RUN_ID              VARCHAR        COMMENT 'Airflow run that exported the row',
    _EXPORT_ID           VARCHAR        NOT NULL COMMENT 'Export attempt that wrote the row (folder on the stage)',
    _LOADED_AT           TIMESTAMP_TZ   COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.documents rows changed in an interval (the row or any of its fields/moderation). Grain: one row per document per load interval. Key: DOCUMENT_ID, _INTERVAL_START';

CREATE TABLE IF NOT EXISTS RAW.DOCUMENT_FIELDS (
    DOCUMENT_ID      VARCHAR        NOT NULL COMMENT 'Document the field was extracted from',
    ORDINAL          NUMBER(38, 0)  NOT NULL COMMENT 'Position of the field in the extraction result',
    CONTENT_SHA256   VARCHAR        NOT NULL COMMENT 'Document version the field was extracted from',
    FIELD_TYPE       VARCHAR        NOT NULL COMMENT 'Schema field name (invoice_id, total_amount, ...)',
    MENTION_TEXT     VARCHAR        NOT NULL COMMENT 'Text as read from the document; may contain personal data',
    VALUE_TEXT       VARCHAR        COMMENT 'Normalised text value; may contain personal data',
    VALUE_NUMBER     NUMBER(20, 6)  COMMENT 'Normalised number (amounts)',
    VALUE_DATE       DATE           COMMENT 'Normalised date',
    CURRENCY         VARCHAR(3)     COMMENT 'ISO 4217 currency of an amount',
    CONFIDENCE       FLOAT          NOT NULL COMMENT 'Extraction confidence, 0..1',
    PAGE             NUMBER(38, 0)  NOT NULL COMMENT 'Zero-based page',
    BBOX             VARCHAR        COMMENT 'JSON array [x0, y0, x1, y1], normalised coordinates',
    EXTRACTOR        VARCHAR        COMMENT 'What produced the field: the field selector model tag (fs-<hash>), rules, or NULL when the engine does not say',
    UPDATED_AT       TIMESTAMP_TZ   NOT NULL COMMENT 'Last change in Postgres (UTC)',
    _INTERVAL_START  TIMESTAMP_TZ   NOT NULL COMMENT 'Start of the load interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ   NOT NULL COMMENT 'End of the load interval (exclusive)',
    _RUN_ID          VARCHAR        COMMENT 'Airflow run that exported the row',
    _EXPORT_ID       VARCHAR        NOT NULL COMMENT 'Export attempt that wrote the row (folder on the stage)',
    _LOADED_AT       TIMESTAMP_TZ   COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.document_fields: all fields of the documents exported in the same interval. Grain: one row per field per load interval. Key: DOCUMENT_ID, ORDINAL, _INTERVAL_START';

CREATE TABLE IF NOT EXISTS RAW.MODERATION_RESULTS (
    DOCUMENT_ID      VARCHAR        NOT NULL COMMENT 'Moderated document',
    CONTENT_SHA256   VARCHAR        NOT NULL COMMENT 'Document version that was moderated',
    DECISION         VARCHAR        NOT NULL COMMENT 'allow | review | block',
    CATEGORIES       VARCHAR        NOT NULL COMMENT 'JSON object: category -> confidence',
    REASONS          VARCHAR        COMMENT 'JSON array of reason strings',
    PII_COUNT        NUMBER(38, 0)  COMMENT 'Personal-data findings in the text',
    ENGINE           VARCHAR        NOT NULL COMMENT 'Moderation engine',
    ENGINE_VERSION   VARCHAR        NOT NULL COMMENT 'Version of the moderation engine',
    UPDATED_AT       TIMESTAMP_TZ   NOT NULL COMMENT 'Last change in Postgres (UTC)',
    _INTERVAL_START  TIMESTAMP_TZ   NOT NULL COMMENT 'Start of the load interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ   NOT NULL COMMENT 'End of the load interval (exclusive)',
    _RUN_ID          VARCHAR        COMMENT 'Airflow run that exported the row',
    _EXPORT_ID       VARCHAR        NOT NULL COMMENT 'Export attempt that wrote the row (folder on the stage)',
    _LOADED_AT       TIMESTAMP_TZ   COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.moderation_results of the documents exported in the same interval. Grain: one row per document per load interval. Key: DOCUMENT_ID, _INTERVAL_START';

CREATE TABLE IF NOT EXISTS RAW.PIPELINE_RUNS (
    RUN_ID           VARCHAR        NOT NULL COMMENT 'Airflow run id (scheduled__..., manual__..., backfill__...)',
    DAG_ID           VARCHAR        NOT NULL COMMENT 'Airflow DAG of the run',
    INTERVAL_START   TIMESTAMP_TZ   NOT NULL COMMENT 'Data interval of the pipeline run (not the load interval)',
    INTERVAL_END     TIMESTAMP_TZ   NOT NULL COMMENT 'End of the data interval of the pipeline run (exclusive)',
    LISTED           NUMBER(38, 0)  COMMENT 'Objects listed in the interval',
    PROCESSED        NUMBER(38, 0)  COMMENT 'Documents processed',
    QUARANTINED      NUMBER(38, 0)  COMMENT 'Documents quarantined',
    UNCHANGED        NUMBER(38, 0)  COMMENT 'Documents skipped because unchanged',
    MISSING          NUMBER(38, 0)  COMMENT 'Listed objects not accounted for (0 in a successful run)',
    BATCHES          NUMBER(38, 0)  COMMENT 'Batches (mapped tasks) of the run',
    PAGES            NUMBER(38, 0)  COMMENT 'Pages processed',
    OCR_PAGES        NUMBER(38, 0)  COMMENT 'Pages that needed OCR',
    DETAILS          VARCHAR        COMMENT 'JSON object with run details',
    STATUS           VARCHAR        NOT NULL COMMENT 'success | incomplete | failed',
    STARTED_AT       TIMESTAMP_TZ   COMMENT 'When the run started (UTC)',
    FINISHED_AT      TIMESTAMP_TZ   COMMENT 'When the run recorded its accounting (UTC)',
    UPDATED_AT       TIMESTAMP_TZ   NOT NULL COMMENT 'Last change in Postgres (UTC)',
    _INTERVAL_START  TIMESTAMP_TZ   NOT NULL COMMENT 'Start of the load interval (inclusive)',
    _INTERVAL_END    TIMESTAMP_TZ   NOT NULL COMMENT 'End of the load interval (exclusive)',
    _RUN_ID          VARCHAR        COMMENT 'Airflow run that exported the row',
    _EXPORT_ID       VARCHAR        NOT NULL COMMENT 'Export attempt that wrote the row (folder on the stage)',
    _LOADED_AT       TIMESTAMP_TZ   COMMENT 'When the exporter wrote the row (UTC)'
)
COMMENT = 'docpipe.pipeline_runs rows changed in an interval. Grain: one row per pipeline run per load interval. Key: DAG_ID, RUN_ID, _INTERVAL_START';
