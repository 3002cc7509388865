-- Extraction confidence distribution per field type (fields of current document versions): fields per
-- tenth of confidence (bucket 0.9 holds 0.9 to 1.0 inclusive), their share of the field type and the
-- cumulative share from the lowest bucket up (the share at or below that confidence band).
SELECT
    FIELD_TYPE,
    LEAST(FLOOR(CONFIDENCE * 10), 9) / 10 AS CONFIDENCE_FROM,
    COUNT(*) AS FIELDS,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY FIELD_TYPE), 4) AS SHARE,
    ROUND(
        SUM(COUNT(*)) OVER (PARTITION BY FIELD_TYPE ORDER BY LEAST(FLOOR(CONFIDENCE * 10), 9))
        / SUM(COUNT(*)) OVER (PARTITION BY FIELD_TYPE),
        4
    ) AS CUMULATIVE_SHARE
FROM CURATED.FCT_DOCUMENT_FIELD
GROUP BY FIELD_TYPE, LEAST(FLOOR(CONFIDENCE * 10), 9)
ORDER BY FIELD_TYPE, CONFIDENCE_FROM;
