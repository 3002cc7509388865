output "database_name" {
  description = "The warehouse database."
  value       = snowflake_database.docpipe.name
}

output "load_warehouse_name" {
  description = "Warehouse of the nightly load."
  value       = snowflake_warehouse.load.name
}

output "analyst_warehouse_name" {
  description = "Warehouse of the analysts."
  value       = snowflake_warehouse.analyst.name
}

output "loader_role_name" {
  description = "Role of the Airflow snowflake_default connection."
  value       = snowflake_account_role.this["LOADER"].name
}

output "role_names" {
  description = "The docpipe roles."
  value       = [for r in snowflake_account_role.this : r.name]
}

output "stage_name" {
  description = "Fully qualified name of the external stage on the staging bucket."
  value       = snowflake_stage.staging.fully_qualified_name
}

output "storage_integration_name" {
  description = "Name of the S3 storage integration."
  value       = snowflake_storage_integration.staging.name
}

output "storage_aws_iam_user_arn" {
  description = "IAM user Snowflake uses to assume the stage role (for its trust policy)."
  value       = snowflake_storage_integration.staging.storage_aws_iam_user_arn
}

output "storage_aws_external_id" {
  description = "External id Snowflake presents when assuming the stage role."
  value       = snowflake_storage_integration.staging.storage_aws_external_id
}

output "failover_group_name" {
  description = "Name of the failover group (null when replication is off)."
  value       = one(snowflake_failover_group.docpipe[*].name)
}
