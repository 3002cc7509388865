output "docpipe_environment" {
  description = "DOCPIPE_* settings of the DR environment (the Airflow components get them already)."
  value       = local.docpipe_environment
}

output "airflow_ui_load_balancer" {
  description = "DNS name of the DR UI load balancer: point airflow_ui_base_url's name at it."
  value       = module.airflow.ui_load_balancer_dns_name
}

output "airflow_cluster" {
  description = "ECS cluster of the DR Airflow components, and the service of each."
  value = {
    cluster  = module.airflow.cluster_name
    services = module.airflow.service_names
  }
}

output "airflow_settings_secret_arn" {
  description = "Secret with the DR Airflow settings; the UI admin password is its ui_passwords key."
  value       = module.airflow.settings_secret_arn
}

output "airflow_one_off_task_definition" {
  description = "Task definition for one-off commands (backfills after a failover): aws ecs run-task --overrides ..."
  value       = module.airflow.init_task_definition
}

output "airflow_security_group_id" {
  description = "Security group of the DR Airflow tasks."
  value       = module.airflow.security_group_id
}

output "airflow_secrets_backend_kwargs" {
  description = "AIRFLOW__SECRETS__BACKEND_KWARGS of the DR environment (region_name is added in the containers)."
  value       = local.secrets_backend_kwargs
}

output "worker_role_arn" {
  description = "Task role of the DR workers: the DR copies only."
  value       = module.iam.worker_role_arn
}

output "dax_endpoint" {
  description = "DAX endpoint in the DR region (TLS)."
  value       = module.dax.endpoint
}

output "alarm_topic_arn" {
  description = "SNS topic of the DR alarms."
  value       = module.monitoring.topic_arn
}
