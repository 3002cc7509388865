-- docpipe warehouse: database and schemas, one per layer (dbt's layering):
--   RAW       landing tables, one per exported Postgres table, loaded per interval by COPY INTO from the
--             staging bucket; written only by the loader
--   STAGING   stg_ views over RAW: renamed, typed, JSON parsed into VARIANT, one-to-one with a source
--             table; read by the merges, not by analysts
--   CURATED   facts (fct_) and dimensions (dim_) merged from STAGING, plus views for common questions;
--             what analysts query
-- Every statement is idempotent: apply_ddl() runs the files of this folder in name order on every deploy.

CREATE DATABASE IF NOT EXISTS DOCPIPE
    COMMENT = 'docpipe document-data platform: raw landing, staging views, curated facts and dimensions';

USE DATABASE DOCPIPE;

CREATE SCHEMA IF NOT EXISTS RAW
    COMMENT = 'Landing tables: Postgres rows exported per interval (Parquet on the staging stage), plus load metadata';

CREATE SCHEMA IF NOT EXISTS STAGING
    COMMENT = 'stg_ views over RAW: renamed, typed, JSON parsed; one view per source table; input of the merges';

CREATE SCHEMA IF NOT EXISTS CURATED
    COMMENT = 'Facts and dimensions merged from STAGING, and views for common questions; re-merging an interval leaves them unchanged';
