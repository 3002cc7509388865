output "connection_secret_arns" {
  description = "Secret ARN of each Airflow connection, by conn_id."
  value = {
    docpipe_postgres  = aws_secretsmanager_secret.postgres.arn
    aws_default       = aws_secretsmanager_secret.aws.arn
    snowflake_default = aws_secretsmanager_secret.snowflake.arn
  }
}

output "connection_secret_names" {
  description = "Secret name of each Airflow connection, by conn_id."
  value = {
    docpipe_postgres  = aws_secretsmanager_secret.postgres.name
    aws_default       = aws_secretsmanager_secret.aws.name
    snowflake_default = aws_secretsmanager_secret.snowflake.name
  }
}

output "secrets_backend_kwargs" {
  description = "Value for AIRFLOW__SECRETS__BACKEND_KWARGS."
  value       = jsonencode({ connections_prefix = var.connections_prefix, variables_prefix = null, config_prefix = null })
}
