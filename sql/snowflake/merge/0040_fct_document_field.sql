-- FCT_DOCUMENT_FIELD <- RAW.DOCUMENT_FIELDS of one interval. Fields are replaced as a unit per document
-- (as in Postgres): delete the document's rows, insert the interval's rows. Only documents whose current
-- version in FCT_DOCUMENT was last written by this interval are touched, so re-merging an older interval
-- cannot bring back the fields of a superseded version (or older fields of the same version).
-- Bound parameter: %(interval_start)s.

DELETE FROM CURATED.FCT_DOCUMENT_FIELD
WHERE DOCUMENT_ID IN (
    SELECT d.DOCUMENT_ID
    FROM RAW.DOCUMENTS AS d
    JOIN CURATED.FCT_DOCUMENT AS c
        ON c.DOCUMENT_VERSION_KEY = d.DOCUMENT_ID || ':' || COALESCE(d.CONTENT_SHA256, '-')
        AND c.PROCESSED_AT = d.UPDATED_AT
        AND c.IS_CURRENT
        AND c._INTERVAL_START = d._INTERVAL_START
    WHERE d._INTERVAL_START = %(interval_start)s::TIMESTAMP_TZ
);

INSERT INTO CURATED.FCT_DOCUMENT_FIELD (
    DOCUMENT_ID, ORDINAL, CONTENT_SHA256, TENANT_ID, DOCUMENT_TYPE, FIELD_TYPE, MENTION_TEXT, VALUE_TEXT,
    VALUE_NUMBER, VALUE_DATE, CURRENCY, CONFIDENCE, PAGE, BBOX, UPDATED_AT, _INTERVAL_START
)
SELECT
    f.DOCUMENT_ID,
    f.ORDINAL,
    f.CONTENT_SHA256,
    c.TENANT_ID,
    c.DOCUMENT_TYPE,
    f.FIELD_TYPE,
    f.MENTION_TEXT,
    f.VALUE_TEXT,
    f.VALUE_NUMBER,
    f.VALUE_DATE,
    f.CURRENCY,
    f.CONFIDENCE,
    f.PAGE,
    PARSE_JSON(f.BBOX),
    f.UPDATED_AT,
    f._INTERVAL_START
FROM RAW.DOCUMENT_FIELDS AS f
JOIN (
    SELECT c.DOCUMENT_ID, c.TENANT_ID, c.DOCUMENT_TYPE
    FROM RAW.DOCUMENTS AS d
    JOIN CURATED.FCT_DOCUMENT AS c
        ON c.DOCUMENT_VERSION_KEY = d.DOCUMENT_ID || ':' || COALESCE(d.CONTENT_SHA256, '-')
        AND c.PROCESSED_AT = d.UPDATED_AT
        AND c.IS_CURRENT
        AND c._INTERVAL_START = d._INTERVAL_START
    WHERE d._INTERVAL_START = %(interval_start)s::TIMESTAMP_TZ
) AS c
    ON c.DOCUMENT_ID = f.DOCUMENT_ID
WHERE f._INTERVAL_START = %(interval_start)s::TIMESTAMP_TZ
QUALIFY ROW_NUMBER() OVER (PARTITION BY f.DOCUMENT_ID, f.ORDINAL ORDER BY f.UPDATED_AT DESC) = 1;
