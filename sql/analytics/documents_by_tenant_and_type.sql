-- Document volume by tenant and document type (current versions): processed vs quarantined, pages,
-- extracted fields and their mean confidence (weighted by field, i.e. the mean over all fields).
-- Quarantined documents without a classified type are reported under 'unknown'.
SELECT
    d.TENANT_ID,
    COALESCE(d.DOCUMENT_TYPE, 'unknown') AS DOCUMENT_TYPE,
    COUNT(*) AS DOCUMENTS,
    SUM(IFF(d.STATUS = 'processed', 1, 0)) AS PROCESSED,
    SUM(IFF(d.STATUS = 'quarantined', 1, 0)) AS QUARANTINED,
    ROUND(SUM(IFF(d.STATUS = 'quarantined', 1, 0)) / COUNT(*), 4) AS QUARANTINE_RATE,
    COALESCE(SUM(d.PAGE_COUNT), 0) AS PAGES,
    SUM(d.FIELD_COUNT) AS FIELDS,
    ROUND(SUM(d.MEAN_FIELD_CONFIDENCE * d.FIELD_COUNT) / NULLIF(SUM(d.FIELD_COUNT), 0), 4) AS MEAN_FIELD_CONFIDENCE
FROM CURATED.FCT_DOCUMENT AS d
WHERE d.IS_CURRENT
GROUP BY d.TENANT_ID, COALESCE(d.DOCUMENT_TYPE, 'unknown')
ORDER BY d.TENANT_ID, DOCUMENT_TYPE;
