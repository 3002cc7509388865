-- Snowflake-only (not run on fakesnow; parsed by tests/unit/test_snowflake_sql.py).
-- Personal data in CURATED: extracted field text (names, addresses, account numbers read from the
-- documents), the same values inside the NORMALIZED_VALUE object, and the uploaded object keys (file
-- names often carry names). Only the transformer role
-- (and roles above it) sees the values; analysts get a fixed marker, NULL stays NULL so that
-- "is the field filled" analyses still work. FORCE replaces an attached policy, so the file reruns.
-- The same values in RAW need no policy: analysts have no grant on RAW (0002_grants.sql).

USE ROLE SYSADMIN;

CREATE MASKING POLICY IF NOT EXISTS DOCPIPE.CURATED.DOCPIPE_PII_TEXT AS (val STRING) RETURNS STRING ->
    CASE
        WHEN val IS NULL THEN NULL
        WHEN IS_ROLE_IN_SESSION('DOCPIPE_TRANSFORMER') THEN val
        ELSE '***MASKED***'
    END
    COMMENT = 'docpipe: personal data visible to DOCPIPE_TRANSFORMER only';

-- The VARIANT twin: analysts keep the typed parts (number, date, currency) and lose the text.
CREATE MASKING POLICY IF NOT EXISTS DOCPIPE.CURATED.DOCPIPE_PII_VARIANT AS (val VARIANT) RETURNS VARIANT ->
    CASE
        WHEN val IS NULL THEN NULL
        WHEN IS_ROLE_IN_SESSION('DOCPIPE_TRANSFORMER') THEN val
        ELSE OBJECT_DELETE(val, 'text')
    END
    COMMENT = 'docpipe: text inside semi-structured values visible to DOCPIPE_TRANSFORMER only';

ALTER TABLE DOCPIPE.CURATED.FCT_DOCUMENT_FIELD MODIFY COLUMN MENTION_TEXT
    SET MASKING POLICY DOCPIPE.CURATED.DOCPIPE_PII_TEXT FORCE;

ALTER TABLE DOCPIPE.CURATED.FCT_DOCUMENT_FIELD MODIFY COLUMN VALUE_TEXT
    SET MASKING POLICY DOCPIPE.CURATED.DOCPIPE_PII_TEXT FORCE;

ALTER TABLE DOCPIPE.CURATED.FCT_DOCUMENT MODIFY COLUMN OBJECT_KEY
    SET MASKING POLICY DOCPIPE.CURATED.DOCPIPE_PII_TEXT FORCE;

ALTER TABLE DOCPIPE.CURATED.FCT_DOCUMENT_FIELD MODIFY COLUMN NORMALIZED_VALUE
    SET MASKING POLICY DOCPIPE.CURATED.DOCPIPE_PII_VARIANT FORCE;
