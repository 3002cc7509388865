-- Snowflake-only (not run on fakesnow; parsed by tests/unit/test_snowflake_sql.py).
-- Functional roles of the warehouse, run by SECURITYADMIN/USERADMIN at deploy:
--   DOCPIPE_LOADER       Airflow's export/COPY step: writes RAW, reads the stage
--   DOCPIPE_TRANSFORMER  Airflow's merge/reconcile steps: reads RAW, writes CURATED, sees personal data
--   DOCPIPE_ANALYST      BI and ad-hoc analysis: reads CURATED with personal data masked
-- All three roll up to SYSADMIN so that objects stay manageable.

USE ROLE USERADMIN;

CREATE ROLE IF NOT EXISTS DOCPIPE_LOADER COMMENT = 'docpipe: loads RAW from the staging stage';
CREATE ROLE IF NOT EXISTS DOCPIPE_TRANSFORMER COMMENT = 'docpipe: merges RAW into CURATED';
CREATE ROLE IF NOT EXISTS DOCPIPE_ANALYST COMMENT = 'docpipe: reads CURATED, personal data masked';

GRANT ROLE DOCPIPE_LOADER TO ROLE SYSADMIN;
GRANT ROLE DOCPIPE_TRANSFORMER TO ROLE SYSADMIN;
GRANT ROLE DOCPIPE_ANALYST TO ROLE SYSADMIN;

-- Airflow's service user (key-pair auth; the public key is set out of band).
CREATE USER IF NOT EXISTS DOCPIPE_AIRFLOW
    TYPE = SERVICE
    DEFAULT_ROLE = DOCPIPE_TRANSFORMER
    DEFAULT_WAREHOUSE = DOCPIPE_WH
    DEFAULT_NAMESPACE = DOCPIPE.CURATED
    COMMENT = 'Airflow warehouse_load DAG';

GRANT ROLE DOCPIPE_LOADER TO USER DOCPIPE_AIRFLOW;
GRANT ROLE DOCPIPE_TRANSFORMER TO USER DOCPIPE_AIRFLOW;
