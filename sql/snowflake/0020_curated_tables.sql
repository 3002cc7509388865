-- CURATED facts and dimensions, merged from STAGING per load interval by the files in merge/.
-- Each table's COMMENT states its grain and its unique key. Keys are not declared as PRIMARY KEY:
-- Snowflake would not enforce them, and the local DuckDB stand-in would, at a cost of ~100x on the
-- per-interval DELETEs (11 s instead of 0.1 s for 475k field rows). The nightly quality checks
-- (docpipe.warehouse.model.CURATED_KEYS, run by SQLTableCheckOperator) and the tests check every key.
-- _INTERVAL_START records the load interval that last wrote the row (lineage; deterministic, so
-- re-merging an interval leaves the tables identical). No wall-clock columns on purpose.

CREATE TABLE IF NOT EXISTS CURATED.DIM_DATE (
    DATE_DAY          DATE          NOT NULL COMMENT 'The calendar day (UTC)',
    YEAR              NUMBER(4, 0)  NOT NULL COMMENT 'Calendar year',
    QUARTER           NUMBER(1, 0)  NOT NULL COMMENT 'Calendar quarter, 1..4',
    MONTH             NUMBER(2, 0)  NOT NULL COMMENT 'Calendar month, 1..12',
    MONTH_NAME        VARCHAR(3)    NOT NULL COMMENT 'Jan..Dec',
    DAY_OF_MONTH      NUMBER(2, 0)  NOT NULL COMMENT '1..31',
    DAY_OF_YEAR       NUMBER(3, 0)  NOT NULL COMMENT '1..366',
    DAY_OF_WEEK_ISO   NUMBER(1, 0)  NOT NULL COMMENT 'ISO day of week: 1 = Monday .. 7 = Sunday',
    DAY_NAME          VARCHAR(3)    NOT NULL COMMENT 'Mon..Sun',
    ISO_WEEK          NUMBER(2, 0)  NOT NULL COMMENT 'ISO 8601 week number, 1..53',
    ISO_YEAR          NUMBER(4, 0)  NOT NULL COMMENT 'Year the ISO week belongs to',
    WEEK_START        DATE          NOT NULL COMMENT 'Monday of the ISO week',
    MONTH_START       DATE          NOT NULL COMMENT 'First day of the month',
    IS_WEEKEND        BOOLEAN       NOT NULL COMMENT 'Saturday or Sunday'
)
COMMENT = 'Calendar of UTC days from 2020-01-01 for 10,000 days (to 2047-05-18); the *_DATE columns of the facts join it. Grain: one row per day. Key: DATE_DAY';

CREATE TABLE IF NOT EXISTS CURATED.DIM_TENANT (
    TENANT_ID        VARCHAR       NOT NULL COMMENT 'Tenant identifier (slug)',
    CREATED_AT       TIMESTAMP_TZ  COMMENT 'When the tenant was created (UTC)',
    UPDATED_AT       TIMESTAMP_TZ  COMMENT 'Last change of the tenant in Postgres (UTC)',
    _INTERVAL_START  TIMESTAMP_TZ  COMMENT 'Load interval that last wrote this row'
)
COMMENT = 'Tenants (the customers whose documents are processed). Grain: one row per tenant. Key: TENANT_ID';

CREATE TABLE IF NOT EXISTS CURATED.DIM_DOCUMENT_TYPE (
    DOCUMENT_TYPE         VARCHAR        NOT NULL COMMENT 'Document type as classified by extraction',
    DISPLAY_NAME          VARCHAR        COMMENT 'Human-readable name',
    EXPECTED_FIELDS       ARRAY          COMMENT 'Field types the extraction schema of this type looks for (sorted)',
    EXPECTED_FIELD_COUNT  NUMBER(38, 0)  COMMENT 'Size of EXPECTED_FIELDS; 0 for types without a schema',
    FIRST_SEEN_AT         TIMESTAMP_TZ   COMMENT 'Earliest upload time of a loaded document of this type; NULL if none yet',
    LAST_SEEN_AT          TIMESTAMP_TZ   COMMENT 'Latest upload time of a loaded document of this type; NULL if none yet'
)
COMMENT = 'Document types: those of the extraction schemas and any seen in loaded documents. Grain: one row per document type. Key: DOCUMENT_TYPE';

CREATE TABLE IF NOT EXISTS CURATED.FCT_DOCUMENT (
    DOCUMENT_VERSION_KEY        VARCHAR        NOT NULL COMMENT 'DOCUMENT_ID:CONTENT_SHA256 (''-'' when quarantined before hashing)',
    DOCUMENT_ID                 VARCHAR        NOT NULL COMMENT 'Stable id of the S3 object (tenant, bucket, key)',
    CONTENT_SHA256              VARCHAR        COMMENT 'Version: SHA-256 of the content; NULL when quarantined before hashing',
    TENANT_ID                   VARCHAR        NOT NULL COMMENT 'Tenant (DIM_TENANT)',
    DOCUMENT_TYPE               VARCHAR        COMMENT 'Classified type (DIM_DOCUMENT_TYPE); NULL when quarantined before classification',
    TYPE_CONFIDENCE             FLOAT          COMMENT 'Confidence of the classification, 0..1',
    PAGE_COUNT                  NUMBER(38, 0)  COMMENT 'Pages in the document',
    OCR_PAGE_COUNT              NUMBER(38, 0)  COMMENT 'Pages that needed OCR (no text layer)',
    ENGINE                      VARCHAR        COMMENT 'Extraction engine',
    ENGINE_VERSION              VARCHAR        COMMENT 'Version of the extraction engine',
    STATUS                      VARCHAR        NOT NULL COMMENT 'processed | quarantined',
    MODERATION_DECISION         VARCHAR        COMMENT 'allow | review | block; NULL when quarantined',
    MODERATION_CATEGORIES       VARIANT        COMMENT 'Object category -> confidence, as the moderation engine returned it',
    MODERATION_REASONS          VARIANT        COMMENT 'Array of the reasons behind a review or block decision',
    MODERATION_TOP_CATEGORY     VARCHAR        COMMENT 'Highest-scoring moderation category (ties broken by name)',
    MODERATION_TOP_CONFIDENCE   FLOAT          COMMENT 'Confidence of MODERATION_TOP_CATEGORY',
    PII_COUNT                   NUMBER(38, 0)  COMMENT 'Personal-data findings in the text (positions only are kept upstream)',
    EXTRACT_MS                  NUMBER(38, 0)  COMMENT 'Extraction time in milliseconds',
    MODERATE_MS                 NUMBER(38, 0)  COMMENT 'Moderation time in milliseconds',
    FIELD_COUNT                 NUMBER(38, 0)  COMMENT 'Extracted fields of this version',
    MEAN_FIELD_CONFIDENCE       NUMBER(9, 6)   COMMENT 'Mean confidence of the extracted fields; NULL without fields',
    EXPECTED_FIELD_COUNT        NUMBER(38, 0)  COMMENT 'Field types the schema of DOCUMENT_TYPE expects; NULL when quarantined or untyped',
    EXPECTED_FIELDS_FOUND       NUMBER(38, 0)  COMMENT 'Expected field types extracted at least once',
    FIELD_COMPLETENESS          NUMBER(5, 4)   COMMENT 'EXPECTED_FIELDS_FOUND / EXPECTED_FIELD_COUNT, 0..1; NULL when nothing is expected',
    MISSING_FIELDS              ARRAY          COMMENT 'Expected field types that were not extracted (sorted)',
    SIZE_BYTES                  NUMBER(38, 0)  COMMENT 'Size of the uploaded object in bytes',
    BUCKET                      VARCHAR        COMMENT 'S3 bucket of the upload',
    OBJECT_KEY                  VARCHAR        COMMENT 'S3 key as uploaded; may contain personal data (masked for analysts)',
    RESULT_URI                  VARCHAR        COMMENT 'Result JSON on the processed bucket',
    RUN_ID                      VARCHAR        COMMENT 'Pipeline run that processed this version',
    UPLOADED_AT                 TIMESTAMP_TZ   COMMENT 'When the object was uploaded (UTC)',
    UPLOADED_DATE               DATE           COMMENT 'UTC date of UPLOADED_AT (DIM_DATE)',
    SOURCE_HOUR                 TIMESTAMP_TZ   COMMENT 'Hour partition of the upload',
    PROCESSED_AT                TIMESTAMP_TZ   NOT NULL COMMENT 'When the pipeline wrote this version (documents.updated_at)',
    PROCESSED_DATE              DATE           NOT NULL COMMENT 'UTC date of PROCESSED_AT (DIM_DATE)',
    IS_CURRENT                  BOOLEAN        NOT NULL COMMENT 'TRUE for the latest version of the document (exactly one per DOCUMENT_ID)',
    _INTERVAL_START             TIMESTAMP_TZ   COMMENT 'Load interval that last wrote this row'
)
COMMENT = 'Documents as processed, with extraction and moderation outcomes. Grain: one row per document version (a new upload of different bytes to the same key adds a row; IS_CURRENT marks the latest). Key: DOCUMENT_VERSION_KEY';

CREATE TABLE IF NOT EXISTS CURATED.FCT_DOCUMENT_FIELD (
    DOCUMENT_ID       VARCHAR        NOT NULL COMMENT 'Document (FCT_DOCUMENT, current version)',
    ORDINAL           NUMBER(38, 0)  NOT NULL COMMENT 'Position of the field in the extraction result',
    CONTENT_SHA256    VARCHAR        NOT NULL COMMENT 'Document version the field belongs to (always the current one)',
    TENANT_ID         VARCHAR        NOT NULL COMMENT 'Tenant (DIM_TENANT)',
    DOCUMENT_TYPE     VARCHAR        COMMENT 'Type of the document (DIM_DOCUMENT_TYPE)',
    FIELD_TYPE        VARCHAR        NOT NULL COMMENT 'Schema field name (invoice_id, total_amount, ...)',
    IS_EXPECTED       BOOLEAN        COMMENT 'Whether the schema of DOCUMENT_TYPE lists FIELD_TYPE',
    MENTION_TEXT      VARCHAR        COMMENT 'Text as read from the document; personal data (masked for analysts)',
    VALUE_TEXT        VARCHAR        COMMENT 'Normalised text value; personal data (masked for analysts)',
    VALUE_NUMBER      NUMBER(20, 6)  COMMENT 'Normalised number (amounts)',
    VALUE_DATE        DATE           COMMENT 'Normalised date',
    CURRENCY          VARCHAR(3)     COMMENT 'ISO 4217 currency of an amount',
    NORMALIZED_VALUE  VARIANT        COMMENT 'The normalised value as one object {text, number, date, currency}; personal data (masked for analysts)',
    CONFIDENCE        FLOAT          NOT NULL COMMENT 'Extraction confidence, 0..1',
    PAGE              NUMBER(38, 0)  COMMENT 'Zero-based page',
    BBOX              ARRAY          COMMENT '[x0, y0, x1, y1], normalised coordinates',
    EXTRACTOR         VARCHAR        COMMENT 'What produced the field: the field selector model tag (fs-<hash>), rules, or NULL when the engine does not say',
    UPDATED_AT        TIMESTAMP_TZ   COMMENT 'When the field was written (UTC)',
    PROCESSED_DATE    DATE           COMMENT 'UTC date of UPDATED_AT (DIM_DATE)',
    _INTERVAL_START   TIMESTAMP_TZ   COMMENT 'Load interval that last wrote this row'
)
COMMENT = 'Fields extracted from the current version of each document; replaced as a unit on a new version. Grain: one row per extracted field of a current document version. Key: DOCUMENT_ID, ORDINAL';

CREATE TABLE IF NOT EXISTS CURATED.FCT_MODERATION (
    DOCUMENT_ID      VARCHAR        NOT NULL COMMENT 'Document (FCT_DOCUMENT, current version)',
    CATEGORY         VARCHAR        NOT NULL COMMENT 'Moderation category (key of the moderation categories object)',
    CONFIDENCE       FLOAT          COMMENT 'Confidence of the category, 0..1',
    CATEGORY_RANK    NUMBER(38, 0)  COMMENT '1 for the highest-scoring category of the document (ties broken by name)',
    DECISION         VARCHAR        NOT NULL COMMENT 'Decision for the whole document: allow | review | block',
    CONTENT_SHA256   VARCHAR        NOT NULL COMMENT 'Document version that was moderated (always the current one)',
    TENANT_ID        VARCHAR        NOT NULL COMMENT 'Tenant (DIM_TENANT)',
    DOCUMENT_TYPE    VARCHAR        COMMENT 'Type of the document (DIM_DOCUMENT_TYPE)',
    ENGINE           VARCHAR        COMMENT 'Moderation engine',
    ENGINE_VERSION   VARCHAR        COMMENT 'Version of the moderation engine',
    UPDATED_AT       TIMESTAMP_TZ   COMMENT 'When the moderation result was written (UTC)',
    MODERATED_DATE   DATE           COMMENT 'UTC date of UPDATED_AT (DIM_DATE)',
    _INTERVAL_START  TIMESTAMP_TZ   COMMENT 'Load interval that last wrote this row'
)
COMMENT = 'Moderation scores of the current version of each document. Grain: one row per document and moderation category. Key: DOCUMENT_ID, CATEGORY';

CREATE TABLE IF NOT EXISTS CURATED.FCT_PIPELINE_RUN (
    DAG_ID              VARCHAR        NOT NULL COMMENT 'Airflow DAG of the run',
    RUN_ID              VARCHAR        NOT NULL COMMENT 'Airflow run id',
    RUN_TYPE            VARCHAR        COMMENT 'scheduled | manual | backfill | asset_triggered | unknown',
    INTERVAL_START      TIMESTAMP_TZ   NOT NULL COMMENT 'Data interval of the pipeline run (inclusive)',
    INTERVAL_END        TIMESTAMP_TZ   NOT NULL COMMENT 'End of the data interval (exclusive)',
    INTERVAL_DATE       DATE           COMMENT 'UTC date of INTERVAL_START (DIM_DATE)',
    STATUS              VARCHAR        NOT NULL COMMENT 'success | incomplete | failed',
    LISTED              NUMBER(38, 0)  COMMENT 'Objects listed; = PROCESSED + QUARANTINED + UNCHANGED for a successful run',
    PROCESSED           NUMBER(38, 0)  COMMENT 'Documents processed',
    QUARANTINED         NUMBER(38, 0)  COMMENT 'Documents quarantined',
    UNCHANGED           NUMBER(38, 0)  COMMENT 'Documents skipped because unchanged',
    MISSING             NUMBER(38, 0)  COMMENT 'Listed objects not accounted for (0 in a successful run)',
    BATCHES             NUMBER(38, 0)  COMMENT 'Batches (mapped tasks) of the run',
    PAGES               NUMBER(38, 0)  COMMENT 'Pages processed',
    OCR_PAGES           NUMBER(38, 0)  COMMENT 'Pages that needed OCR',
    DETAILS             VARIANT        COMMENT 'Run details as recorded by the run (batch sizes, timings, ...)',
    STARTED_AT          TIMESTAMP_TZ   COMMENT 'When the run started (UTC)',
    FINISHED_AT         TIMESTAMP_TZ   COMMENT 'When the run recorded its accounting (UTC)',
    DURATION_SECONDS    NUMBER(38, 0)  COMMENT 'FINISHED_AT - STARTED_AT',
    LATENCY_SECONDS     NUMBER(38, 0)  COMMENT 'FINISHED_AT - INTERVAL_END: how long after its interval closed the data was in the stores',
    SLA_TARGET_SECONDS  NUMBER(38, 0)  COMMENT 'Latency target of the DAG when the row was loaded (the deadline alert settings); NULL without one',
    DEADLINE_AT         TIMESTAMP_TZ   COMMENT 'Deadline of the run as the alerting recorded it; NULL until recorded',
    DEADLINE_MISSED     BOOLEAN        COMMENT 'Whether the run''s deadline alert fired; NULL until recorded',
    SLA_MET             BOOLEAN        COMMENT 'NOT DEADLINE_MISSED when recorded; else, for scheduled finished runs, LATENCY_SECONDS <= SLA_TARGET_SECONDS; NULL when not applicable (manual runs, backfills, no target)',
    UPDATED_AT          TIMESTAMP_TZ   COMMENT 'Last change of the run row in Postgres (UTC)',
    _INTERVAL_START     TIMESTAMP_TZ   COMMENT 'Load interval that last wrote this row'
)
COMMENT = 'Pipeline runs and their accounting, durations and SLA outcome. Grain: one row per DAG run. Key: DAG_ID, RUN_ID';
