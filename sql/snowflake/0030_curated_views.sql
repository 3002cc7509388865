-- Views over CURATED for the questions analysts ask most. CREATE OR REPLACE keeps them in step with
-- the tables on every deploy. Each view's COMMENT states its grain and key; computed columns carry
-- their own comment (FCT_DOCUMENT_CURRENT's columns are those of FCT_DOCUMENT).
-- Documents are counted by their current version; "flagged" means a category confidence >= 0.5.

CREATE OR REPLACE VIEW CURATED.FCT_DOCUMENT_CURRENT
    COMMENT = 'Latest version of each document; columns as in FCT_DOCUMENT. Grain: one row per document. Key: DOCUMENT_ID'
AS
SELECT *
FROM CURATED.FCT_DOCUMENT
WHERE IS_CURRENT;

CREATE OR REPLACE VIEW CURATED.DIM_DOCUMENT_TYPE_FIELD (
    DOCUMENT_TYPE   COMMENT 'Document type (DIM_DOCUMENT_TYPE)',
    FIELD_TYPE      COMMENT 'A field type the schema of the document type expects',
    FIELD_POSITION  COMMENT 'Position of the field in the schema, from 0'
)
    COMMENT = 'Expected fields of each document type (DIM_DOCUMENT_TYPE.EXPECTED_FIELDS, one row each). Grain: one row per document type and expected field. Key: DOCUMENT_TYPE, FIELD_TYPE'
AS
SELECT t.DOCUMENT_TYPE, f.VALUE::VARCHAR, f.INDEX
FROM CURATED.DIM_DOCUMENT_TYPE AS t,
    LATERAL FLATTEN(INPUT => t.EXPECTED_FIELDS) AS f;

CREATE OR REPLACE VIEW CURATED.DOCUMENT_QUALITY_DAILY (
    PROCESSED_DATE            COMMENT 'UTC day the current version was processed (DIM_DATE)',
    TENANT_ID                 COMMENT 'Tenant (DIM_TENANT)',
    DOCUMENT_TYPE             COMMENT 'Document type; unknown when quarantined before classification',
    DOCUMENTS                 COMMENT 'Documents (current versions)',
    PROCESSED                 COMMENT 'Documents processed',
    QUARANTINED               COMMENT 'Documents quarantined',
    QUARANTINE_RATE           COMMENT 'QUARANTINED / DOCUMENTS',
    PAGES                     COMMENT 'Pages of the processed documents',
    OCR_PAGES                 COMMENT 'Pages that needed OCR',
    FIELDS                    COMMENT 'Extracted fields',
    MEAN_FIELD_CONFIDENCE     COMMENT 'Mean confidence over all extracted fields',
    MEAN_FIELD_COMPLETENESS   COMMENT 'Mean FIELD_COMPLETENESS of the documents whose type expects fields',
    COMPLETE_DOCUMENTS        COMMENT 'Documents with every expected field extracted',
    IN_REVIEW                 COMMENT 'Documents whose moderation decision is review',
    BLOCKED                   COMMENT 'Documents whose moderation decision is block'
)
    COMMENT = 'Volume and quality per day, tenant and document type. Grain: one row per processing day, tenant and document type. Key: PROCESSED_DATE, TENANT_ID, DOCUMENT_TYPE'
AS
SELECT
    PROCESSED_DATE,
    TENANT_ID,
    COALESCE(DOCUMENT_TYPE, 'unknown'),
    COUNT(*),
    COUNT_IF(STATUS = 'processed'),
    COUNT_IF(STATUS = 'quarantined'),
    ROUND(COUNT_IF(STATUS = 'quarantined') / COUNT(*), 4),
    COALESCE(SUM(PAGE_COUNT), 0),
    COALESCE(SUM(OCR_PAGE_COUNT), 0),
    SUM(FIELD_COUNT),
    ROUND(SUM(MEAN_FIELD_CONFIDENCE * FIELD_COUNT) / NULLIF(SUM(FIELD_COUNT), 0), 4),
    ROUND(AVG(FIELD_COMPLETENESS), 4),
    COUNT_IF(FIELD_COMPLETENESS = 1),
    COUNT_IF(MODERATION_DECISION = 'review'),
    COUNT_IF(MODERATION_DECISION = 'block')
FROM CURATED.FCT_DOCUMENT
WHERE IS_CURRENT
GROUP BY PROCESSED_DATE, TENANT_ID, COALESCE(DOCUMENT_TYPE, 'unknown');

CREATE OR REPLACE VIEW CURATED.MODERATION_DAILY (
    MODERATED_DATE   COMMENT 'UTC day the moderation result was written (DIM_DATE)',
    TENANT_ID        COMMENT 'Tenant (DIM_TENANT)',
    CATEGORY         COMMENT 'Moderation category',
    DOCUMENTS        COMMENT 'Documents scored in the category',
    FLAGGED          COMMENT 'Documents with a confidence >= 0.5 in the category',
    FLAG_RATE        COMMENT 'FLAGGED / DOCUMENTS',
    TOP_CATEGORY     COMMENT 'Documents whose highest-scoring category this is, with a confidence >= 0.5',
    MEAN_CONFIDENCE  COMMENT 'Mean confidence in the category',
    MAX_CONFIDENCE   COMMENT 'Highest confidence in the category',
    IN_REVIEW        COMMENT 'Of DOCUMENTS, those whose decision is review',
    BLOCKED          COMMENT 'Of DOCUMENTS, those whose decision is block'
)
    COMMENT = 'Moderation outcomes per day, tenant and category. Grain: one row per moderation day, tenant and category. Key: MODERATED_DATE, TENANT_ID, CATEGORY'
AS
SELECT
    MODERATED_DATE,
    TENANT_ID,
    CATEGORY,
    COUNT(*),
    COUNT_IF(CONFIDENCE >= 0.5),
    ROUND(COUNT_IF(CONFIDENCE >= 0.5) / COUNT(*), 4),
    COUNT_IF(CATEGORY_RANK = 1 AND CONFIDENCE >= 0.5),
    ROUND(AVG(CONFIDENCE), 4),
    ROUND(MAX(CONFIDENCE), 4),
    COUNT_IF(DECISION = 'review'),
    COUNT_IF(DECISION = 'block')
FROM CURATED.FCT_MODERATION
GROUP BY MODERATED_DATE, TENANT_ID, CATEGORY;

CREATE OR REPLACE VIEW CURATED.FIELD_QUALITY (
    DOCUMENT_TYPE          COMMENT 'Document type (DIM_DOCUMENT_TYPE)',
    FIELD_TYPE             COMMENT 'Field type (expected by the schema, or extracted anyway)',
    IS_EXPECTED            COMMENT 'Whether the schema of the document type expects the field',
    DOCUMENTS              COMMENT 'Processed documents of the type (current versions)',
    DOCUMENTS_WITH_FIELD   COMMENT 'Of those, documents with the field extracted at least once',
    FOUND_RATE             COMMENT 'DOCUMENTS_WITH_FIELD / DOCUMENTS',
    FIELDS                 COMMENT 'Extracted fields of this type',
    MEAN_CONFIDENCE        COMMENT 'Mean confidence of those fields',
    LOW_CONFIDENCE_FIELDS  COMMENT 'Fields with a confidence below 0.5'
)
    COMMENT = 'Extraction quality per document type and field type. Grain: one row per document type and field type. Key: DOCUMENT_TYPE, FIELD_TYPE'
AS
SELECT
    k.DOCUMENT_TYPE,
    k.FIELD_TYPE,
    e.FIELD_TYPE IS NOT NULL,
    COALESCE(d.DOCUMENTS, 0),
    COALESCE(f.DOCUMENTS_WITH_FIELD, 0),
    ROUND(COALESCE(f.DOCUMENTS_WITH_FIELD, 0) / NULLIF(d.DOCUMENTS, 0), 4),
    COALESCE(f.FIELDS, 0),
    ROUND(f.MEAN_CONFIDENCE, 4),
    COALESCE(f.LOW_CONFIDENCE_FIELDS, 0)
FROM (
    SELECT DOCUMENT_TYPE, FIELD_TYPE FROM CURATED.DIM_DOCUMENT_TYPE_FIELD
    UNION
    SELECT DISTINCT DOCUMENT_TYPE, FIELD_TYPE FROM CURATED.FCT_DOCUMENT_FIELD WHERE DOCUMENT_TYPE IS NOT NULL
) AS k
LEFT JOIN CURATED.DIM_DOCUMENT_TYPE_FIELD AS e
    ON e.DOCUMENT_TYPE = k.DOCUMENT_TYPE AND e.FIELD_TYPE = k.FIELD_TYPE
LEFT JOIN (
    SELECT DOCUMENT_TYPE, COUNT(*) AS DOCUMENTS
    FROM CURATED.FCT_DOCUMENT
    WHERE IS_CURRENT AND STATUS = 'processed'
    GROUP BY DOCUMENT_TYPE
) AS d
    ON d.DOCUMENT_TYPE = k.DOCUMENT_TYPE
LEFT JOIN (
    SELECT
        DOCUMENT_TYPE,
        FIELD_TYPE,
        COUNT(DISTINCT DOCUMENT_ID) AS DOCUMENTS_WITH_FIELD,
        COUNT(*) AS FIELDS,
        AVG(CONFIDENCE) AS MEAN_CONFIDENCE,
        COUNT_IF(CONFIDENCE < 0.5) AS LOW_CONFIDENCE_FIELDS
    FROM CURATED.FCT_DOCUMENT_FIELD
    GROUP BY DOCUMENT_TYPE, FIELD_TYPE
) AS f
    ON f.DOCUMENT_TYPE = k.DOCUMENT_TYPE AND f.FIELD_TYPE = k.FIELD_TYPE;

CREATE OR REPLACE VIEW CURATED.PIPELINE_SLA_DAILY (
    INTERVAL_DATE           COMMENT 'UTC day of the runs'' data intervals (DIM_DATE)',
    DAG_ID                  COMMENT 'Airflow DAG',
    RUNS                    COMMENT 'Runs of any type',
    FAILED_RUNS             COMMENT 'Runs whose status is not success',
    SLA_MEASURED_RUNS       COMMENT 'Runs with an SLA outcome (SLA_MET not NULL)',
    SLA_MET_RUNS            COMMENT 'Runs that met their SLA',
    SLA_ATTAINMENT          COMMENT 'SLA_MET_RUNS / SLA_MEASURED_RUNS; NULL when nothing was measured',
    MEDIAN_LATENCY_SECONDS  COMMENT 'Median LATENCY_SECONDS of the scheduled runs',
    MAX_LATENCY_SECONDS     COMMENT 'Largest LATENCY_SECONDS of the scheduled runs',
    MEAN_DURATION_SECONDS   COMMENT 'Mean DURATION_SECONDS of all runs',
    LISTED                  COMMENT 'Objects listed by the runs',
    PROCESSED               COMMENT 'Documents processed by the runs',
    QUARANTINED             COMMENT 'Documents quarantined by the runs'
)
    COMMENT = 'Pipeline runs and SLA attainment per day and DAG. Grain: one row per interval day and DAG. Key: INTERVAL_DATE, DAG_ID'
AS
SELECT
    INTERVAL_DATE,
    DAG_ID,
    COUNT(*),
    COUNT_IF(STATUS <> 'success'),
    COUNT(SLA_MET),
    COUNT_IF(SLA_MET),
    ROUND(COUNT_IF(SLA_MET) / NULLIF(COUNT(SLA_MET), 0), 4),
    MEDIAN(IFF(RUN_TYPE = 'scheduled', LATENCY_SECONDS, NULL)),
    MAX(IFF(RUN_TYPE = 'scheduled', LATENCY_SECONDS, NULL)),
    ROUND(AVG(DURATION_SECONDS), 1),
    SUM(LISTED),
    SUM(PROCESSED),
    SUM(QUARANTINED)
FROM CURATED.FCT_PIPELINE_RUN
GROUP BY INTERVAL_DATE, DAG_ID;
