-- Parquet file format and the external stage on the staging bucket, e.g. s3://<staging-bucket>/warehouse/.
-- %(stage_url)s is bound by apply_ddl()/ensure_stage(). In production the stage authenticates through
-- a storage integration attached in security/0003_storage_integration.sql.
-- (The local fakesnow stand-in keeps file formats and stages in memory only: ensure_stage() re-creates
-- them on every connection before COPY INTO.)

CREATE FILE FORMAT IF NOT EXISTS RAW.DOCPIPE_PARQUET
    TYPE = PARQUET
    USE_LOGICAL_TYPE = TRUE
    COMMENT = 'Parquet files written by the docpipe exporter (timestamps UTC, logical types)';

CREATE STAGE IF NOT EXISTS RAW.DOCPIPE_STAGING
    URL = %(stage_url)s
    FILE_FORMAT = RAW.DOCPIPE_PARQUET
    COMMENT = 'Staging bucket prefix; the exporter writes <table>/interval=<start>/run=<run>/export=<id>/part-NNNNN.parquet under it';
