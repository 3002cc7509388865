-- docpipe warehouse: database and schemas.
-- RAW holds one landing table per exported Postgres table, loaded per interval by COPY INTO from the
-- staging bucket; CURATED holds the facts and dimensions merged from RAW (dbt naming: fct_*, dim_*).
-- Every statement is idempotent: apply_ddl() runs the files of this folder in name order on every deploy.

CREATE DATABASE IF NOT EXISTS DOCPIPE
    COMMENT = 'docpipe document-data platform: raw landing and curated facts/dimensions';

USE DATABASE DOCPIPE;

CREATE SCHEMA IF NOT EXISTS RAW
    COMMENT = 'Landing tables: Postgres rows exported per interval (Parquet on the staging stage), plus load metadata';

CREATE SCHEMA IF NOT EXISTS CURATED
    COMMENT = 'Facts and dimensions merged from RAW; re-merging an interval leaves them unchanged';
