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
  description = "Secrets Manager secret (managed by RDS) with the master user's password."
  value       = aws_db_instance.primary.master_user_secret[0].secret_arn
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
