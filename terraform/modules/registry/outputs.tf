output "repository_arn" {
  description = "ARN of the repository."
  value       = aws_ecr_repository.airflow.arn
}

output "repository_url" {
  description = "URL to push to and pull from (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = aws_ecr_repository.airflow.repository_url
}

output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.airflow.name
}
