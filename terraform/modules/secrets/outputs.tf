locals {
  connection_arns = {
    docpipe_postgres     = aws_secretsmanager_secret.postgres.arn
    snowflake_default    = aws_secretsmanager_secret.snowflake.arn
    google_cloud_default = aws_secretsmanager_secret.google.arn
  }
  connection_names = {
    docpipe_postgres     = aws_secretsmanager_secret.postgres.name
    snowflake_default    = aws_secretsmanager_secret.snowflake.name
    google_cloud_default = aws_secretsmanager_secret.google.name
  }
  lookup_pattern = "^(${join("|", sort(keys(local.connection_arns)))})$"
}

output "connection_secret_arns" {
  description = "Secret ARN of each Airflow connection kept in Secrets Manager, by conn_id."
  value       = local.connection_arns
}

output "connection_secret_names" {
  description = "Secret name of each Airflow connection kept in Secrets Manager, by conn_id."
  value       = local.connection_names
}

output "connections_lookup_pattern" {
  description = "Regex of the conn_ids the SecretsManagerBackend looks up; others (aws_default) come from the environment."
  value       = local.lookup_pattern
}

output "secrets_backend_kwargs" {
  description = "Value for AIRFLOW__SECRETS__BACKEND_KWARGS (add region_name in the DR region)."
  value = jsonencode({
    connections_prefix         = var.connections_prefix
    connections_lookup_pattern = local.lookup_pattern
    variables_prefix           = null
    config_prefix              = null
  })
}
