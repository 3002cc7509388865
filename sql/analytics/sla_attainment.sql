-- SLA attainment per DAG and ISO week of the runs' data intervals: runs, runs with an SLA outcome
-- (scheduled runs, or runs whose deadline result the alerting recorded), how many met it, the attainment,
-- failed runs, and the median and worst latency (finish time after the interval closed) of scheduled runs.
SELECT
    r.DAG_ID,
    dd.WEEK_START,
    COUNT(*) AS RUNS,
    COUNT(r.SLA_MET) AS MEASURED_RUNS,
    COUNT_IF(r.SLA_MET) AS MET,
    COUNT_IF(NOT r.SLA_MET) AS MISSED,
    ROUND(COUNT_IF(r.SLA_MET) / NULLIF(COUNT(r.SLA_MET), 0), 4) AS ATTAINMENT,
    COUNT_IF(r.STATUS <> 'success') AS FAILED_RUNS,
    MEDIAN(IFF(r.RUN_TYPE = 'scheduled', r.LATENCY_SECONDS, NULL)) AS MEDIAN_LATENCY_SECONDS,
    MAX(IFF(r.RUN_TYPE = 'scheduled', r.LATENCY_SECONDS, NULL)) AS MAX_LATENCY_SECONDS
FROM CURATED.FCT_PIPELINE_RUN AS r
JOIN CURATED.DIM_DATE AS dd
    ON dd.DATE_DAY = r.INTERVAL_DATE
GROUP BY r.DAG_ID, dd.WEEK_START
ORDER BY r.DAG_ID, dd.WEEK_START;
