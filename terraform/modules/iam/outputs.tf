output "worker_role_arn" {
  description = "ARN of the Airflow worker role (the ECS task role of the Celery workers and the triggerer)."
  value       = aws_iam_role.worker.arn
}

output "worker_role_name" {
  description = "Name of the Airflow worker role."
  value       = aws_iam_role.worker.name
}

output "snowflake_stage_role_arn" {
  description = "ARN of the role Snowflake's storage integration assumes (null when not created)."
  value       = one(aws_iam_role.snowflake_stage[*].arn)
}
