# docpipe's warehouse: database DOCPIPE with RAW (landing, loaded by COPY INTO) and CURATED (facts and
# dimensions, MERGEd from RAW), LOAD_WH and ANALYST_WH, the LOADER / TRANSFORMER / ANALYST roles, the S3
# storage integration and external stage on the staging bucket, and an optional failover group to a DR
# account. The application's DDL (sql/snowflake, applied with CREATE ... IF NOT EXISTS) creates tables and
# views inside these objects; the stage carries the name that DDL uses (RAW.DOCPIPE_STAGING), so in
# production the DDL finds it here instead of creating an unauthenticated one.

locals {
  roles = {
    LOADER      = "Loads RAW from the staging stage (nightly COPY INTO); inherits TRANSFORMER for the MERGE"
    TRANSFORMER = "Reads RAW, writes CURATED (MERGE of facts and dimensions)"
    ANALYST     = "Reads CURATED with ANALYST_WH"
  }

  stage_url    = "s3://${var.staging_bucket}/${var.staging_prefix}/"
  dr_stage_url = var.dr_staging_bucket == null ? null : "s3://${var.dr_staging_bucket}/${var.staging_prefix}/"
}

# ---------------------------------------------------------------- database and schemas
resource "snowflake_database" "docpipe" {
  name                        = var.database_name
  comment                     = "docpipe document-data platform: raw landing and curated facts/dimensions"
  data_retention_time_in_days = var.data_retention_time_in_days
}

resource "snowflake_schema" "raw" {
  database = snowflake_database.docpipe.name
  name     = "RAW"
  comment  = "Landing tables: Postgres rows exported per interval (Parquet on the staging stage), plus load metadata"
}

resource "snowflake_schema" "curated" {
  database = snowflake_database.docpipe.name
  name     = "CURATED"
  comment  = "Facts and dimensions merged from RAW; re-merging an interval leaves them unchanged"
}

# ---------------------------------------------------------------- warehouses
resource "snowflake_warehouse" "load" {
  name                = "LOAD_WH"
  comment             = "docpipe nightly load: COPY INTO RAW and MERGE into CURATED"
  warehouse_size      = var.load_warehouse_size
  auto_suspend        = var.auto_suspend_seconds
  auto_resume         = "true"
  initially_suspended = true
}

resource "snowflake_warehouse" "analyst" {
  name                = "ANALYST_WH"
  comment             = "docpipe analysts: queries on CURATED"
  warehouse_size      = var.analyst_warehouse_size
  auto_suspend        = var.auto_suspend_seconds
  auto_resume         = "true"
  initially_suspended = true
}

# ---------------------------------------------------------------- roles
resource "snowflake_account_role" "this" {
  for_each = local.roles

  name    = each.key
  comment = each.value
}

# Custom roles roll up to SYSADMIN, so administrators keep control of the objects they create.
resource "snowflake_grant_account_role" "to_sysadmin" {
  for_each = local.roles

  role_name        = snowflake_account_role.this[each.key].name
  parent_role_name = "SYSADMIN"
}

# warehouse_load runs COPY INTO and MERGE through one connection with role LOADER.
resource "snowflake_grant_account_role" "transformer_to_loader" {
  role_name        = snowflake_account_role.this["TRANSFORMER"].name
  parent_role_name = snowflake_account_role.this["LOADER"].name
}

# ---------------------------------------------------------------- S3 integration and stage
resource "snowflake_storage_integration" "staging" {
  name                      = "${var.database_name}_S3_STAGING"
  comment                   = "Read access to the docpipe staging bucket's warehouse exports"
  type                      = "EXTERNAL_STAGE"
  enabled                   = true
  storage_provider          = "S3"
  storage_aws_role_arn      = var.storage_aws_role_arn
  storage_allowed_locations = compact([local.stage_url, local.dr_stage_url])
}

resource "snowflake_stage" "staging" {
  name                = "DOCPIPE_STAGING"
  database            = snowflake_database.docpipe.name
  schema              = snowflake_schema.raw.name
  url                 = local.stage_url
  storage_integration = snowflake_storage_integration.staging.name
  file_format         = "TYPE = PARQUET USE_LOGICAL_TYPE = TRUE"
  comment             = "Staging bucket prefix the exporter writes <table>/interval=<start>/part-0.parquet under"
}

# ---------------------------------------------------------------- grants
resource "snowflake_grant_privileges_to_account_role" "warehouse_usage" {
  for_each = {
    LOADER      = snowflake_warehouse.load.name
    TRANSFORMER = snowflake_warehouse.load.name
    ANALYST     = snowflake_warehouse.analyst.name
  }

  account_role_name = snowflake_account_role.this[each.key].name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = each.value
  }
}

resource "snowflake_grant_privileges_to_account_role" "database_usage" {
  for_each = local.roles

  account_role_name = snowflake_account_role.this[each.key].name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.docpipe.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "integration_usage" {
  account_role_name = snowflake_account_role.this["LOADER"].name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "INTEGRATION"
    object_name = snowflake_storage_integration.staging.name
  }
}

locals {
  schema_grants = {
    loader_raw = {
      role       = "LOADER"
      schema     = snowflake_schema.raw.fully_qualified_name
      privileges = ["USAGE", "CREATE TABLE", "CREATE STAGE", "CREATE FILE FORMAT"]
    }
    transformer_raw = {
      role       = "TRANSFORMER"
      schema     = snowflake_schema.raw.fully_qualified_name
      privileges = ["USAGE"]
    }
    transformer_curated = {
      role       = "TRANSFORMER"
      schema     = snowflake_schema.curated.fully_qualified_name
      privileges = ["USAGE", "CREATE TABLE", "CREATE VIEW"]
    }
    analyst_curated = {
      role       = "ANALYST"
      schema     = snowflake_schema.curated.fully_qualified_name
      privileges = ["USAGE"]
    }
  }

  # Privileges on the tables and views inside the schemas: existing ("all") and future ones alike.
  object_grants = {
    loader_raw_tables = {
      role       = "LOADER"
      schema     = snowflake_schema.raw.fully_qualified_name
      objects    = "TABLES"
      privileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]
    }
    transformer_raw_tables = {
      role       = "TRANSFORMER"
      schema     = snowflake_schema.raw.fully_qualified_name
      objects    = "TABLES"
      privileges = ["SELECT"]
    }
    transformer_curated_tables = {
      role       = "TRANSFORMER"
      schema     = snowflake_schema.curated.fully_qualified_name
      objects    = "TABLES"
      privileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]
    }
    analyst_curated_tables = {
      role       = "ANALYST"
      schema     = snowflake_schema.curated.fully_qualified_name
      objects    = "TABLES"
      privileges = ["SELECT"]
    }
    analyst_curated_views = {
      role       = "ANALYST"
      schema     = snowflake_schema.curated.fully_qualified_name
      objects    = "VIEWS"
      privileges = ["SELECT"]
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "schema" {
  for_each = local.schema_grants

  account_role_name = snowflake_account_role.this[each.value.role].name
  privileges        = each.value.privileges

  on_schema {
    schema_name = each.value.schema
  }
}

resource "snowflake_grant_privileges_to_account_role" "existing_objects" {
  for_each = local.object_grants

  account_role_name = snowflake_account_role.this[each.value.role].name
  privileges        = each.value.privileges

  on_schema_object {
    all {
      object_type_plural = each.value.objects
      in_schema          = each.value.schema
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "future_objects" {
  for_each = local.object_grants

  account_role_name = snowflake_account_role.this[each.value.role].name
  privileges        = each.value.privileges

  on_schema_object {
    future {
      object_type_plural = each.value.objects
      in_schema          = each.value.schema
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "stage_usage" {
  account_role_name = snowflake_account_role.this["LOADER"].name
  privileges        = ["USAGE"]

  on_schema_object {
    object_type = "STAGE"
    object_name = snowflake_stage.staging.fully_qualified_name
  }
}

# ---------------------------------------------------------------- replication to a DR account
# The primary side of a failover group (Business Critical edition). The secondary is created in the DR
# account with `CREATE FAILOVER GROUP ... AS REPLICA OF <org>.<this account>.<name>` (terraform/README.md).
resource "snowflake_failover_group" "docpipe" {
  count = var.enable_replication ? 1 : 0

  name                      = "${var.database_name}_FG"
  object_types              = var.replicate_storage_integration ? ["DATABASES", "ROLES", "WAREHOUSES", "INTEGRATIONS"] : ["DATABASES", "ROLES", "WAREHOUSES"]
  allowed_databases         = [snowflake_database.docpipe.name]
  allowed_integration_types = var.replicate_storage_integration ? ["STORAGE INTEGRATIONS"] : null
  allowed_accounts          = var.replication_allowed_accounts

  replication_schedule {
    interval = var.replication_interval_minutes
  }
}
