variable "name" {
  description = "Name prefix for the queues, the replication role and the access-log bucket."
  type        = string
}

variable "account_id" {
  description = "AWS account id (bucket policies, queue policy conditions)."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "region" {
  description = "Primary region (the source buckets' region)."
  type        = string
}

variable "dr_region" {
  description = "DR region (the replication targets' region)."
  type        = string
}

variable "bucket_names" {
  description = "Names of the uploads, processed and staging buckets."
  type        = object({ uploads = string, processed = string, staging = string })
}

variable "kms_key_arn" {
  description = "Customer managed key for SSE-KMS on the primary buckets and the SQS queues."
  type        = string
}

variable "dr_kms_key_arn" {
  description = "Customer managed key in the DR region for the replica buckets."
  type        = string
}

variable "uploads_prefix" {
  description = "Prefix of new uploads: only objects under it raise an event on the queue."
  type        = string
  default     = "uploads"
}

variable "quarantine_prefix" {
  description = "Prefix in the uploads bucket where docpipe copies documents it could not process."
  type        = string
  default     = "quarantine"
}

variable "staging_expiration_days" {
  description = "Days before staging objects (warehouse Parquet exports) expire."
  type        = number
  default     = 14
}

variable "quarantine_retention_days" {
  description = "Days before quarantined documents expire (STANDARD_IA after 30)."
  type        = number
  default     = 180

  validation {
    condition     = var.quarantine_retention_days > 30
    error_message = "quarantine_retention_days must be more than 30."
  }
}

variable "noncurrent_retention_days" {
  description = "Days a replaced or deleted object version is kept (rerun and restore window)."
  type        = number
  default     = 90
}

variable "replication_time_control" {
  description = "Enable S3 Replication Time Control and replication metrics (15-minute replication SLA)."
  type        = bool
  default     = true
}

variable "event_queue_visibility_secs" {
  description = "Visibility timeout of the upload-events queue, seconds."
  type        = number
  default     = 300
}

variable "event_max_receive_count" {
  description = "Receives before an upload event moves to the dead-letter queue."
  type        = number
  default     = 5
}
