-- Convenience views over CURATED. CREATE OR REPLACE keeps them in step with the tables on every deploy.

CREATE OR REPLACE VIEW CURATED.FCT_DOCUMENT_CURRENT
    COMMENT = 'Latest version of each document'
AS
SELECT *
FROM CURATED.FCT_DOCUMENT
WHERE IS_CURRENT;
