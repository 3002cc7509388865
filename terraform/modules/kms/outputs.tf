output "key_arn" {
  description = "ARN of the primary-region key."
  value       = aws_kms_key.this.arn
}

output "key_alias" {
  description = "Alias of the key (the same name in both regions)."
  value       = aws_kms_alias.this.name
}

output "dr_key_arn" {
  description = "ARN of the replica key in the DR region."
  value       = aws_kms_replica_key.dr.arn
}
