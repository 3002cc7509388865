output "table_name" {
  description = "Name of the documents table (the same in both regions)."
  value       = aws_dynamodb_table.documents.name
}

output "table_arn" {
  description = "ARN of the table in the primary region."
  value       = aws_dynamodb_table.documents.arn
}

output "dr_table_arn" {
  description = "ARN of the global-table replica in the DR region."
  value       = one([for r in aws_dynamodb_table.documents.replica : r.arn])
}

output "status_index_name" {
  description = "Name of the tenant/status GSI."
  value       = one([for g in aws_dynamodb_table.documents.global_secondary_index : g.name])
}

output "stream_arn" {
  description = "ARN of the table's stream (NEW_AND_OLD_IMAGES)."
  value       = aws_dynamodb_table.documents.stream_arn
}
