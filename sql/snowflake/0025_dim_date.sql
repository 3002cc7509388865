-- DIM_DATE: 10,000 UTC days from 2020-01-01, generated from a digits cross join (portable: no
-- GENERATOR(), which the local stand-in lacks, and no recursive CTE, which Snowflake caps at 100
-- levels by default). MERGE ... WHEN NOT MATCHED makes the file safe to rerun on every deploy.
-- Week columns are computed from DAYOFWEEKISO, so they do not depend on the WEEK_START parameter.

MERGE INTO CURATED.DIM_DATE AS t
USING (
    SELECT
        DATE_DAY,
        YEAR(DATE_DAY) AS YEAR,
        QUARTER(DATE_DAY) AS QUARTER,
        MONTH(DATE_DAY) AS MONTH,
        LEFT(MONTHNAME(DATE_DAY), 3) AS MONTH_NAME,
        DAYOFMONTH(DATE_DAY) AS DAY_OF_MONTH,
        DAYOFYEAR(DATE_DAY) AS DAY_OF_YEAR,
        DAYOFWEEKISO(DATE_DAY) AS DAY_OF_WEEK_ISO,
        LEFT(DAYNAME(DATE_DAY), 3) AS DAY_NAME,
        WEEKISO(DATE_DAY) AS ISO_WEEK,
        YEAROFWEEKISO(DATE_DAY) AS ISO_YEAR,
        DATEADD(day, 1 - DAYOFWEEKISO(DATE_DAY), DATE_DAY) AS WEEK_START,
        DATEADD(day, 1 - DAYOFMONTH(DATE_DAY), DATE_DAY) AS MONTH_START,
        DAYOFWEEKISO(DATE_DAY) >= 6 AS IS_WEEKEND
    FROM (
        SELECT DATEADD(day, d1.N + 10 * d2.N + 100 * d3.N + 1000 * d4.N, '2020-01-01'::DATE) AS DATE_DAY
        FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) AS d1 (N)
        CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) AS d2 (N)
        CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) AS d3 (N)
        CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) AS d4 (N)
    ) AS days
) AS s
ON t.DATE_DAY = s.DATE_DAY
WHEN NOT MATCHED THEN INSERT (
    DATE_DAY, YEAR, QUARTER, MONTH, MONTH_NAME, DAY_OF_MONTH, DAY_OF_YEAR, DAY_OF_WEEK_ISO, DAY_NAME,
    ISO_WEEK, ISO_YEAR, WEEK_START, MONTH_START, IS_WEEKEND
) VALUES (
    s.DATE_DAY, s.YEAR, s.QUARTER, s.MONTH, s.MONTH_NAME, s.DAY_OF_MONTH, s.DAY_OF_YEAR, s.DAY_OF_WEEK_ISO,
    s.DAY_NAME, s.ISO_WEEK, s.ISO_YEAR, s.WEEK_START, s.MONTH_START, s.IS_WEEKEND
);
