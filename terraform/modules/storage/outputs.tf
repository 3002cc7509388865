output "bucket_names" {
  description = "Bucket names by role (uploads, processed, staging)."
  value       = { for k, b in aws_s3_bucket.this : k => b.id }
}

output "bucket_arns" {
  description = "Bucket ARNs by role (uploads, processed, staging)."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "dr_bucket_names" {
  description = "Names of the DR buckets (uploads and processed: replicas; staging: empty until a failover)."
  value       = { for k, b in aws_s3_bucket.dr : k => b.id }
}

output "dr_bucket_arns" {
  description = "ARNs of the DR buckets (uploads, processed, staging)."
  value       = { for k, b in aws_s3_bucket.dr : k => b.arn }
}

output "event_queue_arn" {
  description = "ARN of the queue that receives new-upload events."
  value       = aws_sqs_queue.upload_events.arn
}

output "event_queue_url" {
  description = "URL of the queue that receives new-upload events (for SqsSensorTrigger)."
  value       = aws_sqs_queue.upload_events.url
}

output "event_dlq_arn" {
  description = "ARN of the dead-letter queue for upload events that failed maxReceiveCount times."
  value       = aws_sqs_queue.upload_events_dlq.arn
}

output "access_log_bucket" {
  description = "Bucket receiving the S3 server access logs of the docpipe buckets."
  value       = aws_s3_bucket.logs.id
}

output "dr_access_log_bucket" {
  description = "Bucket receiving the S3 server access logs of the DR replicas."
  value       = aws_s3_bucket.dr_logs.id
}
