output "docpipe_environment" {
  description = "DOCPIPE_* settings for the Airflow deployment in the primary region."
  value = {
    DOCPIPE_UPLOADS_BUCKET    = module.storage.bucket_names["uploads"]
    DOCPIPE_PROCESSED_BUCKET  = module.storage.bucket_names["processed"]
    DOCPIPE_STAGING_BUCKET    = module.storage.bucket_names["staging"]
    DOCPIPE_UPLOADS_PREFIX    = var.uploads_prefix
    DOCPIPE_DYNAMODB_TABLE    = module.dynamodb.table_name
    DOCPIPE_SNOWFLAKE_BACKEND = "snowflake"
  }
}

output "dr_docpipe_environment" {
  description = "DOCPIPE_* settings for an Airflow deployment in the DR region after a failover."
  value = {
    DOCPIPE_UPLOADS_BUCKET    = module.storage.dr_bucket_names["uploads"]
    DOCPIPE_PROCESSED_BUCKET  = module.storage.dr_bucket_names["processed"]
    DOCPIPE_STAGING_BUCKET    = module.storage.dr_bucket_names["staging"]
    DOCPIPE_UPLOADS_PREFIX    = var.uploads_prefix
    DOCPIPE_DYNAMODB_TABLE    = module.dynamodb.table_name
    DOCPIPE_SNOWFLAKE_BACKEND = "snowflake"
  }
}

output "airflow_secrets_backend" {
  description = "Airflow [secrets] settings that read the connections from Secrets Manager."
  value = {
    AIRFLOW__SECRETS__BACKEND        = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    AIRFLOW__SECRETS__BACKEND_KWARGS = module.secrets.secrets_backend_kwargs
  }
}

output "connection_secret_names" {
  description = "Secrets Manager names of the Airflow connections, by conn_id."
  value       = module.secrets.connection_secret_names
}

output "upload_events_queue_url" {
  description = "SQS queue receiving new-upload events (for an SqsSensorTrigger asset watcher)."
  value       = module.storage.event_queue_url
}

output "dynamodb_table_arn" {
  description = "ARN of the documents table (global table; replica in the DR region)."
  value       = module.dynamodb.table_arn
}

output "database_address" {
  description = "Host of the RDS PostgreSQL primary."
  value       = module.database.address
}

output "database_master_secret_arn" {
  description = "Secret (managed by RDS) holding the master password: for administration and the first-apply bootstrap only."
  value       = module.database.master_user_secret_arn
}

output "database_replica_identifier" {
  description = "DR replica to promote on failover (null unless db_dr_mode = read_replica)."
  value       = module.database.replica_identifier
}

output "worker_role_arn" {
  description = "IAM role for the Airflow workers (ECS task role or EKS pod identity)."
  value       = module.iam.worker_role_arn
}

output "kms_key_arn" {
  description = "Customer managed key of docpipe's data (multi-Region; replica in the DR region)."
  value       = module.kms.key_arn
}

output "snowflake_stage" {
  description = "External stage on the staging bucket."
  value       = module.snowflake.stage_name
}

output "snowflake_failover_group" {
  description = "Snowflake failover group (null when replication is off)."
  value       = module.snowflake.failover_group_name
}
