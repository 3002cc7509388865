-- Moderation categories across current documents: how often each category scores, its mean and max
-- confidence, and how many of those documents ended up in review or blocked.
SELECT
    CATEGORY,
    COUNT(*) AS DOCUMENTS,
    ROUND(AVG(CONFIDENCE), 4) AS MEAN_CONFIDENCE,
    ROUND(MAX(CONFIDENCE), 4) AS MAX_CONFIDENCE,
    SUM(IFF(DECISION = 'review', 1, 0)) AS IN_REVIEW,
    SUM(IFF(DECISION = 'block', 1, 0)) AS BLOCKED
FROM CURATED.FCT_MODERATION
GROUP BY CATEGORY
ORDER BY CATEGORY;
