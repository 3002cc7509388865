output "address" {
  description = "Host name of the primary."
  value       = aws_db_instance.primary.address
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_db_instance.primary.port
}

output "arn" {
  description = "ARN of the primary instance."
  value       = aws_db_instance.primary.arn
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) with the master user's password (null when the caller gives the password)."
  value       = try(aws_db_instance.primary.master_user_secret[0].secret_arn, null)
}

output "security_group_id" {
  description = "Security group of the primary."
  value       = aws_security_group.db.id
}

output "replica_address" {
  description = "Host name of the DR replica (null unless dr_mode is read_replica)."
  value       = one(aws_db_instance.replica[*].address)
}

output "replica_identifier" {
  description = "Identifier of the DR replica, the instance to promote on failover (null unless read_replica)."
  value       = one(aws_db_instance.replica[*].identifier)
}

output "identifier" {
  description = "Identifier of the primary instance (CloudWatch dimension DBInstanceIdentifier)."
  value       = aws_db_instance.primary.identifier
}

output "replica_arn" {
  description = "ARN of the DR replica (null unless dr_mode is read_replica)."
  value       = one(aws_db_instance.replica[*].arn)
}

output "replica_security_group_id" {
  description = "Security group of the DR replica (the DR environment lets its Airflow tasks in; null unless read_replica)."
  value       = one(aws_security_group.dr[*].id)
}
