-- STAGING: one stg_ view per RAW table (dbt's staging layer). They rename and type columns, parse the
-- JSON text that RAW lands as VARCHAR into VARIANT, derive keys and dates once, and keep one row per
-- source key and load interval (RAW never holds two, the views make the merges safe if it ever did).
-- Views, not tables: they add no storage and no load step, and every merge filters them on
-- _INTERVAL_START, which both Snowflake and DuckDB push below the window functions (the partitions
-- start with _INTERVAL_START). Analysts have no grant on STAGING (security/0002_grants.sql).

CREATE OR REPLACE VIEW STAGING.STG_TENANTS (
    TENANT_ID        COMMENT 'Tenant identifier (slug)',
    CREATED_AT       COMMENT 'When the tenant was created (UTC)',
    UPDATED_AT       COMMENT 'Last change of the tenant in Postgres (UTC)',
    _INTERVAL_START  COMMENT 'Load interval the row was exported for'
)
    COMMENT = 'Tenants per load interval. Grain: one row per tenant per load interval. Key: TENANT_ID, _INTERVAL_START'
AS
SELECT TENANT_ID, CREATED_AT, UPDATED_AT, _INTERVAL_START
FROM RAW.TENANTS
QUALIFY ROW_NUMBER() OVER (PARTITION BY _INTERVAL_START, TENANT_ID ORDER BY UPDATED_AT DESC) = 1;

CREATE OR REPLACE VIEW STAGING.STG_DOCUMENTS (
    DOCUMENT_VERSION_KEY  COMMENT 'DOCUMENT_ID:CONTENT_SHA256 (''-'' when quarantined before hashing)',
    DOCUMENT_ID           COMMENT 'Stable id of the S3 object (tenant, bucket, key)',
    CONTENT_SHA256        COMMENT 'Version: SHA-256 of the content',
    TENANT_ID             COMMENT 'Tenant that uploaded the document',
    BUCKET                COMMENT 'S3 bucket of the upload',
    OBJECT_KEY            COMMENT 'S3 key as uploaded; may contain personal data',
    SIZE_BYTES            COMMENT 'Size of the uploaded object in bytes',
    UPLOADED_AT           COMMENT 'When the object was uploaded (UTC)',
    UPLOADED_DATE         COMMENT 'UTC date of UPLOADED_AT (joins DIM_DATE)',
    SOURCE_HOUR           COMMENT 'Hour partition of the upload',
    STATUS                COMMENT 'processed | quarantined',
    DOCUMENT_TYPE         COMMENT 'Classified type; NULL when quarantined before classification',
    TYPE_CONFIDENCE       COMMENT 'Confidence of the classification, 0..1',
    PAGE_COUNT            COMMENT 'Pages in the document',
    OCR_PAGE_COUNT        COMMENT 'Pages that needed OCR',
    ENGINE                COMMENT 'Extraction engine',
    ENGINE_VERSION        COMMENT 'Version of the extraction engine',
    MODERATION_DECISION   COMMENT 'allow | review | block',
    EXTRACT_MS            COMMENT 'Extraction time in milliseconds',
    MODERATE_MS           COMMENT 'Moderation time in milliseconds',
    RESULT_URI            COMMENT 'Result JSON on the processed bucket',
    RUN_ID                COMMENT 'Pipeline run that processed this version',
    PROCESSED_AT          COMMENT 'When the pipeline wrote this version (documents.updated_at)',
    PROCESSED_DATE        COMMENT 'UTC date of PROCESSED_AT (joins DIM_DATE)',
    _INTERVAL_START       COMMENT 'Load interval the row was exported for'
)
    COMMENT = 'Documents per load interval, typed. Grain: one row per document per load interval (its latest version then). Key: DOCUMENT_ID, _INTERVAL_START'
AS
SELECT
    DOCUMENT_ID || ':' || COALESCE(CONTENT_SHA256, '-'),
    DOCUMENT_ID,
    CONTENT_SHA256,
    TENANT_ID,
    BUCKET,
    OBJECT_KEY,
    SIZE_BYTES,
    UPLOADED_AT,
    CONVERT_TIMEZONE('UTC', UPLOADED_AT)::DATE,
    SOURCE_HOUR,
    STATUS,
    DOCUMENT_TYPE,
    TYPE_CONFIDENCE,
    PAGE_COUNT,
    OCR_PAGE_COUNT,
    ENGINE,
    ENGINE_VERSION,
    MODERATION_DECISION,
    EXTRACT_MS,
    MODERATE_MS,
    RESULT_URI,
    RUN_ID,
    UPDATED_AT,
    CONVERT_TIMEZONE('UTC', UPDATED_AT)::DATE,
    _INTERVAL_START
FROM RAW.DOCUMENTS
QUALIFY ROW_NUMBER() OVER (PARTITION BY _INTERVAL_START, DOCUMENT_ID ORDER BY UPDATED_AT DESC) = 1;

CREATE OR REPLACE VIEW STAGING.STG_DOCUMENT_FIELDS (
    DOCUMENT_ID       COMMENT 'Document the field was extracted from',
    ORDINAL           COMMENT 'Position of the field in the extraction result',
    CONTENT_SHA256    COMMENT 'Document version the field was extracted from',
    FIELD_TYPE        COMMENT 'Schema field name',
    MENTION_TEXT      COMMENT 'Text as read from the document; personal data',
    VALUE_TEXT        COMMENT 'Normalised text value; personal data',
    VALUE_NUMBER      COMMENT 'Normalised number (amounts)',
    VALUE_DATE        COMMENT 'Normalised date',
    CURRENCY          COMMENT 'ISO 4217 currency of an amount',
    NORMALIZED_VALUE  COMMENT 'The normalised value as one object {text, number, date, currency} (absent keys are NULL); personal data',
    CONFIDENCE        COMMENT 'Extraction confidence, 0..1',
    PAGE              COMMENT 'Zero-based page',
    BBOX              COMMENT '[x0, y0, x1, y1], normalised coordinates',
    EXTRACTOR         COMMENT 'What produced the field: the field selector model tag (fs-<hash>), rules, or NULL when the engine does not say',
    UPDATED_AT        COMMENT 'Last change in Postgres (UTC)',
    _INTERVAL_START   COMMENT 'Load interval the row was exported for'
)
    COMMENT = 'Extracted fields per load interval, typed. Grain: one row per field per load interval. Key: DOCUMENT_ID, ORDINAL, _INTERVAL_START'
AS
SELECT
    DOCUMENT_ID,
    ORDINAL,
    CONTENT_SHA256,
    FIELD_TYPE,
    MENTION_TEXT,
    VALUE_TEXT,
    VALUE_NUMBER,
    VALUE_DATE,
    CURRENCY,
    OBJECT_CONSTRUCT('text', VALUE_TEXT, 'number', VALUE_NUMBER, 'date', VALUE_DATE, 'currency', CURRENCY),
    CONFIDENCE,
    PAGE,
    PARSE_JSON(BBOX),
    EXTRACTOR,
    UPDATED_AT,
    _INTERVAL_START
FROM RAW.DOCUMENT_FIELDS
QUALIFY ROW_NUMBER() OVER (PARTITION BY _INTERVAL_START, DOCUMENT_ID, ORDINAL ORDER BY UPDATED_AT DESC) = 1;

CREATE OR REPLACE VIEW STAGING.STG_MODERATION_RESULTS (
    DOCUMENT_ID      COMMENT 'Moderated document',
    CONTENT_SHA256   COMMENT 'Document version that was moderated',
    DECISION         COMMENT 'allow | review | block',
    CATEGORIES       COMMENT 'Object category -> confidence (VARIANT)',
    REASONS          COMMENT 'Array of reason strings (VARIANT)',
    PII_COUNT        COMMENT 'Personal-data findings in the text',
    ENGINE           COMMENT 'Moderation engine',
    ENGINE_VERSION   COMMENT 'Version of the moderation engine',
    MODERATED_AT     COMMENT 'When the moderation result was written (moderation_results.updated_at)',
    _INTERVAL_START  COMMENT 'Load interval the row was exported for'
)
    COMMENT = 'Moderation results per load interval, JSON parsed. Grain: one row per document per load interval. Key: DOCUMENT_ID, _INTERVAL_START'
AS
SELECT
    DOCUMENT_ID,
    CONTENT_SHA256,
    DECISION,
    PARSE_JSON(CATEGORIES),
    PARSE_JSON(REASONS),
    PII_COUNT,
    ENGINE,
    ENGINE_VERSION,
    UPDATED_AT,
    _INTERVAL_START
FROM RAW.MODERATION_RESULTS
QUALIFY ROW_NUMBER() OVER (PARTITION BY _INTERVAL_START, DOCUMENT_ID ORDER BY UPDATED_AT DESC) = 1;

CREATE OR REPLACE VIEW STAGING.STG_MODERATION_CATEGORIES (
    DOCUMENT_ID      COMMENT 'Moderated document',
    CATEGORY         COMMENT 'Moderation category (key of the CATEGORIES object)',
    CONFIDENCE       COMMENT 'Confidence of the category, 0..1',
    CATEGORY_RANK    COMMENT '1 for the highest-scoring category of the document (ties broken by name)',
    DECISION         COMMENT 'Decision for the whole document: allow | review | block',
    CONTENT_SHA256   COMMENT 'Document version that was moderated',
    ENGINE           COMMENT 'Moderation engine',
    ENGINE_VERSION   COMMENT 'Version of the moderation engine',
    MODERATED_AT     COMMENT 'When the moderation result was written',
    _INTERVAL_START  COMMENT 'Load interval the row was exported for'
)
    COMMENT = 'Moderation scores per load interval, one row per category of the CATEGORIES object. Grain: one row per document and category per load interval. Key: DOCUMENT_ID, CATEGORY, _INTERVAL_START'
AS
SELECT
    m.DOCUMENT_ID,
    c.KEY::VARCHAR,
    c.VALUE::FLOAT,
    ROW_NUMBER() OVER (PARTITION BY m._INTERVAL_START, m.DOCUMENT_ID ORDER BY c.VALUE::FLOAT DESC, c.KEY::VARCHAR),
    m.DECISION,
    m.CONTENT_SHA256,
    m.ENGINE,
    m.ENGINE_VERSION,
    m.MODERATED_AT,
    m._INTERVAL_START
FROM STAGING.STG_MODERATION_RESULTS AS m,
    LATERAL FLATTEN(INPUT => m.CATEGORIES) AS c;

CREATE OR REPLACE VIEW STAGING.STG_PIPELINE_RUNS (
    DAG_ID            COMMENT 'Airflow DAG of the run',
    RUN_ID            COMMENT 'Airflow run id',
    RUN_TYPE          COMMENT 'scheduled | manual | backfill | asset_triggered (prefix of the run id); unknown otherwise',
    INTERVAL_START    COMMENT 'Data interval of the pipeline run (inclusive)',
    INTERVAL_END      COMMENT 'End of the data interval (exclusive)',
    INTERVAL_DATE     COMMENT 'UTC date of INTERVAL_START (joins DIM_DATE)',
    STATUS            COMMENT 'success | incomplete | failed',
    LISTED            COMMENT 'Objects listed in the interval',
    PROCESSED         COMMENT 'Documents processed',
    QUARANTINED       COMMENT 'Documents quarantined',
    UNCHANGED         COMMENT 'Documents skipped because unchanged',
    MISSING           COMMENT 'Listed objects not accounted for',
    BATCHES           COMMENT 'Batches of the run',
    PAGES             COMMENT 'Pages processed',
    OCR_PAGES         COMMENT 'Pages that needed OCR',
    DETAILS           COMMENT 'Run details (VARIANT)',
    STARTED_AT        COMMENT 'When the run started (UTC)',
    FINISHED_AT       COMMENT 'When the run recorded its accounting (UTC)',
    DURATION_SECONDS  COMMENT 'FINISHED_AT - STARTED_AT',
    LATENCY_SECONDS   COMMENT 'FINISHED_AT - INTERVAL_END: how long after its interval closed the run finished',
    DEADLINE_AT       COMMENT 'Deadline of the run, when the alerting recorded one (DETAILS:deadline:at)',
    DEADLINE_MISSED   COMMENT 'Whether the deadline alert fired, when recorded (DETAILS:deadline:missed)',
    UPDATED_AT        COMMENT 'Last change in Postgres (UTC)',
    _INTERVAL_START   COMMENT 'Load interval the row was exported for'
)
    COMMENT = 'Pipeline runs per load interval, with durations. Grain: one row per pipeline run per load interval. Key: DAG_ID, RUN_ID, _INTERVAL_START'
AS
SELECT
    DAG_ID,
    RUN_ID,
    IFF(CONTAINS(RUN_ID, '__'), SPLIT_PART(RUN_ID, '__', 1), 'unknown'),
    INTERVAL_START,
    INTERVAL_END,
    CONVERT_TIMEZONE('UTC', INTERVAL_START)::DATE,
    STATUS,
    LISTED,
    PROCESSED,
    QUARANTINED,
    UNCHANGED,
    MISSING,
    BATCHES,
    PAGES,
    OCR_PAGES,
    PARSE_JSON(DETAILS),
    STARTED_AT,
    FINISHED_AT,
    DATEDIFF('second', STARTED_AT, FINISHED_AT),
    DATEDIFF('second', INTERVAL_END, FINISHED_AT),
    PARSE_JSON(DETAILS):deadline:at::TIMESTAMP_TZ,
    PARSE_JSON(DETAILS):deadline:missed::BOOLEAN,
    UPDATED_AT,
    _INTERVAL_START
FROM RAW.PIPELINE_RUNS
QUALIFY ROW_NUMBER() OVER (PARTITION BY _INTERVAL_START, DAG_ID, RUN_ID ORDER BY UPDATED_AT DESC) = 1;
