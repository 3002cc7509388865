-- Snowflake-only (not run on fakesnow; parsed by tests/unit/test_snowflake_sql.py).
-- How the external stage authenticates to the staging bucket: a storage integration (an IAM role that
-- Snowflake assumes), attached to the stage created by ../0040_stage.sql. Run by ACCOUNTADMIN once per
-- account; afterwards DESC INTEGRATION DOCPIPE_STAGING_S3 gives the IAM user ARN and external id to trust
-- in the role's policy (terraform/). Replace the account id and bucket for each environment.

USE ROLE ACCOUNTADMIN;

CREATE STORAGE INTEGRATION IF NOT EXISTS DOCPIPE_STAGING_S3
    TYPE = EXTERNAL_STAGE
    STORAGE_PROVIDER = 'S3'
    ENABLED = TRUE
    STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/docpipe-snowflake-staging-read'
    STORAGE_ALLOWED_LOCATIONS = ('s3://docpipe-staging/warehouse/')
    COMMENT = 'docpipe: read-only access to the warehouse prefix of the staging bucket';

GRANT USAGE ON INTEGRATION DOCPIPE_STAGING_S3 TO ROLE SYSADMIN;

USE ROLE SYSADMIN;

ALTER STAGE DOCPIPE.RAW.DOCPIPE_STAGING SET STORAGE_INTEGRATION = DOCPIPE_STAGING_S3;
