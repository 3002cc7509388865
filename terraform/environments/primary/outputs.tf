output "docpipe_environment" {
  description = "DOCPIPE_* settings of the primary environment (the Airflow components get them already)."
  value       = local.docpipe_environment
}

output "airflow_ui_load_balancer" {
  description = "DNS name of the internal UI load balancer: point airflow_ui_base_url's name at it (CNAME or alias)."
  value       = module.airflow.ui_load_balancer_dns_name
}

output "airflow_cluster" {
  description = "ECS cluster of the Airflow components, and the service of each."
  value = {
    cluster  = module.airflow.cluster_name
    services = module.airflow.service_names
  }
}

output "airflow_settings_secret_arn" {
  description = "Secret with the Airflow settings; the UI admin password is its ui_passwords key."
  value       = module.airflow.settings_secret_arn
}

output "airflow_one_off_task_definition" {
  description = "Task definition for one-off commands (first-apply migrations): aws ecs run-task --overrides ..."
  value       = module.airflow.init_task_definition
}

output "airflow_security_group_id" {
  description = "Security group of the Airflow tasks (for the one-off run-task's network configuration)."
  value       = module.airflow.security_group_id
}

output "image_repository_url" {
  description = "Push the image built from the Dockerfile here (tagged with airflow_image_tag); ECR replicates it to the DR region."
  value       = module.registry.repository_url
}

output "airflow_secrets_backend_kwargs" {
  description = "AIRFLOW__SECRETS__BACKEND_KWARGS of the primary environment."
  value       = module.secrets.secrets_backend_kwargs
}

output "connection_secret_names" {
  description = "Secrets Manager names of the Airflow connections, by conn_id."
  value       = module.secrets.connection_secret_names
}

output "upload_events_queue_url" {
  description = "SQS queue receiving new-upload events (for an SqsSensorTrigger asset watcher)."
  value       = module.storage.event_queue_url
}

output "logs_bucket" {
  description = "The logs bucket (S3 access logs under s3/, load balancer logs under alb/)."
  value       = module.storage.logs_bucket_name
}

output "dynamodb_table_arn" {
  description = "ARN of the documents table (global table; replica in the DR region)."
  value       = module.dynamodb.table_arn
}

output "dax_endpoint" {
  description = "DAX endpoint for the application's reads of the documents (TLS)."
  value       = module.dax.endpoint
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
  description = "Task role of the Airflow workers and triggerer."
  value       = module.iam.worker_role_arn
}

output "kms_key_arn" {
  description = "Customer managed key of docpipe's data (multi-Region; replica in the DR region)."
  value       = module.kms.key_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms (subscribe chat or paging here)."
  value       = module.monitoring.topic_arn
}

output "snowflake_stage" {
  description = "External stage on the staging bucket."
  value       = module.snowflake.stage_name
}

output "snowflake_failover_group" {
  description = "Snowflake failover group (null when replication is off)."
  value       = module.snowflake.failover_group_name
}
