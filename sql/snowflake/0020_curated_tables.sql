-- CURATED facts and dimensions, merged from RAW per interval by the files in merge/.
-- Natural keys are named in each table's comment but not declared as PRIMARY KEY: Snowflake would not
-- enforce them, and the local DuckDB stand-in would, at a cost of ~100x on the per-interval DELETEs
-- (11 s instead of 0.1 s for 475k field rows). reconcile() checks the keys for duplicates instead.
-- _INTERVAL_START records the export interval that last wrote the row (lineage; deterministic, so
-- re-merging an interval leaves the tables identical). No wall-clock columns on purpose.

CREATE TABLE IF NOT EXISTS CURATED.DIM_TENANT (
    TENANT_ID        VARCHAR       NOT NULL COMMENT 'Tenant identifier (slug)',
    CREATED_AT       TIMESTAMP_TZ  COMMENT 'When the tenant was created (UTC)',
    UPDATED_AT       TIMESTAMP_TZ  COMMENT 'Last change of the tenant in Postgres (UTC)',
    _INTERVAL_START  TIMESTAMP_TZ  COMMENT 'Export interval that last wrote this row'
)
COMMENT = 'One row per tenant. Key: TENANT_ID';

CREATE TABLE IF NOT EXISTS CURATED.DIM_DOCUMENT_TYPE (
    DOCUMENT_TYPE    VARCHAR       NOT NULL COMMENT 'Document type as classified by extraction',
    DISPLAY_NAME     VARCHAR       COMMENT 'Human-readable name',
    FIRST_SEEN_AT    TIMESTAMP_TZ  COMMENT 'Earliest upload time of a document of this type',
    LAST_SEEN_AT     TIMESTAMP_TZ  COMMENT 'Latest upload time of a document of this type'
)
COMMENT = 'One row per document type seen in loaded documents. Key: DOCUMENT_TYPE';

CREATE TABLE IF NOT EXISTS CURATED.FCT_DOCUMENT (
    DOCUMENT_VERSION_KEY   VARCHAR        NOT NULL COMMENT 'DOCUMENT_ID || '':'' || COALESCE(CONTENT_SHA256, ''-''): one row per document version',
    DOCUMENT_ID            VARCHAR        NOT NULL COMMENT 'Stable id of the S3 object (tenant, bucket, key)',
    CONTENT_SHA256         VARCHAR        COMMENT 'Version: SHA-256 of the content; NULL when quarantined before hashing',
    TENANT_ID              VARCHAR        NOT NULL,
    DOCUMENT_TYPE          VARCHAR,
    TYPE_CONFIDENCE        FLOAT,
    PAGE_COUNT             NUMBER(38, 0),
    OCR_PAGE_COUNT         NUMBER(38, 0)  COMMENT 'Pages that needed OCR (no text layer)',
    ENGINE                 VARCHAR        COMMENT 'Extraction engine',
    ENGINE_VERSION         VARCHAR,
    STATUS                 VARCHAR        NOT NULL COMMENT 'processed | quarantined',
    MODERATION_DECISION    VARCHAR        COMMENT 'allow | review | block',
    PII_COUNT              NUMBER(38, 0)  COMMENT 'Personal-data findings in the text (positions only are kept upstream)',
    EXTRACT_MS             NUMBER(38, 0),
    MODERATE_MS            NUMBER(38, 0),
    FIELD_COUNT            NUMBER(38, 0)  COMMENT 'Extracted fields of this version',
    MEAN_FIELD_CONFIDENCE  NUMBER(9, 6)   COMMENT 'Mean confidence of the extracted fields; NULL without fields',
    SIZE_BYTES             NUMBER(38, 0),
    BUCKET                 VARCHAR,
    OBJECT_KEY             VARCHAR        COMMENT 'S3 key as uploaded; may contain personal data (masked for analysts)',
    RESULT_URI             VARCHAR,
    RUN_ID                 VARCHAR        COMMENT 'Pipeline run that processed this version',
    UPLOADED_AT            TIMESTAMP_TZ,
    SOURCE_HOUR            TIMESTAMP_TZ   COMMENT 'Hour partition of the upload',
    PROCESSED_AT           TIMESTAMP_TZ   NOT NULL COMMENT 'When the pipeline wrote this version (documents.updated_at)',
    IS_CURRENT             BOOLEAN        NOT NULL COMMENT 'TRUE for the latest version of the document',
    _INTERVAL_START        TIMESTAMP_TZ   COMMENT 'Export interval that last wrote this row'
)
COMMENT = 'One row per document version (document_id + content_sha256); IS_CURRENT marks the latest. Key: DOCUMENT_VERSION_KEY';

CREATE TABLE IF NOT EXISTS CURATED.FCT_DOCUMENT_FIELD (
    DOCUMENT_ID      VARCHAR        NOT NULL,
    ORDINAL          NUMBER(38, 0)  NOT NULL,
    CONTENT_SHA256   VARCHAR        NOT NULL COMMENT 'Document version the field belongs to (always the current one)',
    TENANT_ID        VARCHAR        NOT NULL,
    DOCUMENT_TYPE    VARCHAR,
    FIELD_TYPE       VARCHAR        NOT NULL,
    MENTION_TEXT     VARCHAR        COMMENT 'Text as read from the document; personal data (masked for analysts)',
    VALUE_TEXT       VARCHAR        COMMENT 'Normalised text value; personal data (masked for analysts)',
    VALUE_NUMBER     NUMBER(20, 6),
    VALUE_DATE       DATE,
    CURRENCY         VARCHAR(3),
    CONFIDENCE       FLOAT          NOT NULL,
    PAGE             NUMBER(38, 0)  COMMENT 'Zero-based page',
    BBOX             ARRAY          COMMENT '[x0, y0, x1, y1], normalised coordinates',
    UPDATED_AT       TIMESTAMP_TZ,
    _INTERVAL_START  TIMESTAMP_TZ   COMMENT 'Export interval that last wrote this row'
)
COMMENT = 'One row per extracted field of the current version of each document; replaced as a unit on a new version. Key: DOCUMENT_ID, ORDINAL';

CREATE TABLE IF NOT EXISTS CURATED.FCT_MODERATION (
    DOCUMENT_ID      VARCHAR        NOT NULL,
    CATEGORY         VARCHAR        NOT NULL COMMENT 'Moderation category (key of moderation_results.categories)',
    CONFIDENCE       FLOAT          COMMENT 'Confidence of the category',
    DECISION         VARCHAR        NOT NULL COMMENT 'Decision for the whole document: allow | review | block',
    CONTENT_SHA256   VARCHAR        NOT NULL,
    TENANT_ID        VARCHAR        NOT NULL,
    DOCUMENT_TYPE    VARCHAR,
    ENGINE           VARCHAR,
    ENGINE_VERSION   VARCHAR,
    UPDATED_AT       TIMESTAMP_TZ,
    _INTERVAL_START  TIMESTAMP_TZ   COMMENT 'Export interval that last wrote this row'
)
COMMENT = 'One row per document (current version) and moderation category. Key: DOCUMENT_ID, CATEGORY';

CREATE TABLE IF NOT EXISTS CURATED.FCT_PIPELINE_RUN (
    DAG_ID            VARCHAR        NOT NULL,
    RUN_ID            VARCHAR        NOT NULL,
    INTERVAL_START    TIMESTAMP_TZ   NOT NULL COMMENT 'Data interval of the pipeline run',
    INTERVAL_END      TIMESTAMP_TZ   NOT NULL,
    STATUS            VARCHAR        NOT NULL COMMENT 'success | incomplete | failed',
    LISTED            NUMBER(38, 0)  COMMENT 'listed = processed + quarantined + unchanged for a successful run',
    PROCESSED         NUMBER(38, 0),
    QUARANTINED       NUMBER(38, 0),
    UNCHANGED         NUMBER(38, 0),
    MISSING           NUMBER(38, 0),
    BATCHES           NUMBER(38, 0),
    PAGES             NUMBER(38, 0),
    OCR_PAGES         NUMBER(38, 0),
    DETAILS           VARIANT,
    STARTED_AT        TIMESTAMP_TZ,
    FINISHED_AT       TIMESTAMP_TZ,
    DURATION_SECONDS  NUMBER(38, 0)  COMMENT 'FINISHED_AT - STARTED_AT',
    UPDATED_AT        TIMESTAMP_TZ,
    _INTERVAL_START   TIMESTAMP_TZ   COMMENT 'Export interval that last wrote this row'
)
COMMENT = 'One row per pipeline DAG run and its accounting. Key: DAG_ID, RUN_ID';
