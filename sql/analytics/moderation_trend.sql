-- Moderation trend: per ISO week and category, documents scored, how many were flagged (confidence >= 0.5),
-- the flag rate and its change against the previous week with data, and the documents sent to review or
-- blocked. Built on the CURATED.MODERATION_DAILY view and DIM_DATE.
SELECT
    dd.WEEK_START,
    m.CATEGORY,
    SUM(m.DOCUMENTS) AS DOCUMENTS,
    SUM(m.FLAGGED) AS FLAGGED,
    ROUND(SUM(m.FLAGGED) / SUM(m.DOCUMENTS), 4) AS FLAG_RATE,
    ROUND(
        SUM(m.FLAGGED) / SUM(m.DOCUMENTS)
        - LAG(SUM(m.FLAGGED) / SUM(m.DOCUMENTS)) OVER (PARTITION BY m.CATEGORY ORDER BY dd.WEEK_START),
        4
    ) AS FLAG_RATE_CHANGE,
    ROUND(MAX(m.MAX_CONFIDENCE), 4) AS MAX_CONFIDENCE,
    SUM(m.IN_REVIEW) AS IN_REVIEW,
    SUM(m.BLOCKED) AS BLOCKED
FROM CURATED.MODERATION_DAILY AS m
JOIN CURATED.DIM_DATE AS dd
    ON dd.DATE_DAY = m.MODERATED_DATE
GROUP BY dd.WEEK_START, m.CATEGORY
ORDER BY m.CATEGORY, dd.WEEK_START;
