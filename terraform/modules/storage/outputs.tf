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

output "event_queue_name" {
  description = "Name of the queue that receives new-upload events."
  value       = aws_sqs_queue.upload_events.name
}

output "event_dlq_name" {
  description = "Name of the upload events' dead-letter queue."
  value       = aws_sqs_queue.upload_events_dlq.name
}

output "event_dlq_arn" {
  description = "ARN of the dead-letter queue for upload events that failed maxReceiveCount times."
  value       = aws_sqs_queue.upload_events_dlq.arn
}

output "logs_bucket_name" {
  description = "The logs bucket: S3 server access logs (s3/) and the Airflow load balancer's access logs (alb/)."
  value       = aws_s3_bucket.logs.id
}

output "logs_bucket_arn" {
  description = "ARN of the logs bucket."
  value       = aws_s3_bucket.logs.arn
}

output "dr_logs_bucket_name" {
  description = "The logs bucket in the DR region (access logs of the DR buckets and the DR load balancer)."
  value       = aws_s3_bucket.dr_logs.id
}
