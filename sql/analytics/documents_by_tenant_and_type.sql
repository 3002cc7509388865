-- Volume and quality by tenant and document type (current versions): processed vs quarantined, pages
-- and the share read by OCR, extracted fields and their mean confidence (over all fields), and field
-- completeness (mean share of the type's expected fields extracted, and documents with all of them).
-- Quarantined documents without a classified type are reported under 'unknown'.
SELECT
    d.TENANT_ID,
    COALESCE(d.DOCUMENT_TYPE, 'unknown') AS DOCUMENT_TYPE,
    COUNT(*) AS DOCUMENTS,
    COUNT_IF(d.STATUS = 'processed') AS PROCESSED,
    COUNT_IF(d.STATUS = 'quarantined') AS QUARANTINED,
    ROUND(COUNT_IF(d.STATUS = 'quarantined') / COUNT(*), 4) AS QUARANTINE_RATE,
    COALESCE(SUM(d.PAGE_COUNT), 0) AS PAGES,
    ROUND(SUM(d.OCR_PAGE_COUNT) / NULLIF(SUM(d.PAGE_COUNT), 0), 4) AS OCR_PAGE_SHARE,
    SUM(d.FIELD_COUNT) AS FIELDS,
    ROUND(SUM(d.MEAN_FIELD_CONFIDENCE * d.FIELD_COUNT) / NULLIF(SUM(d.FIELD_COUNT), 0), 4) AS MEAN_FIELD_CONFIDENCE,
    ROUND(AVG(d.FIELD_COMPLETENESS), 4) AS MEAN_FIELD_COMPLETENESS,
    COUNT_IF(d.FIELD_COMPLETENESS = 1) AS COMPLETE_DOCUMENTS
FROM CURATED.FCT_DOCUMENT AS d
WHERE d.IS_CURRENT
GROUP BY d.TENANT_ID, COALESCE(d.DOCUMENT_TYPE, 'unknown')
ORDER BY d.TENANT_ID, DOCUMENT_TYPE;
