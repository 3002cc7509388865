variable "name" {
  description = "Name prefix of the roles."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "region" {
  description = "Primary region."
  type        = string
}

variable "dr_region" {
  description = "DR region: the worker role is also allowed the DR replicas, so it works unchanged after a failover."
  type        = string
}

variable "trusted_services" {
  description = "Service principals allowed to assume the worker role."
  type        = list(string)
}

variable "bucket_arns" {
  description = "ARNs of the uploads, processed and staging buckets."
  type        = object({ uploads = string, processed = string, staging = string })
}

variable "dr_bucket_arns" {
  description = "ARNs of the DR buckets (uploads, processed, staging)."
  type        = object({ uploads = string, processed = string, staging = string })
}

variable "uploads_prefix" {
  description = "Prefix of uploaded documents in the uploads bucket."
  type        = string
}

variable "quarantine_prefix" {
  description = "Prefix docpipe copies unprocessable documents to, in the uploads bucket."
  type        = string
  default     = "quarantine"
}

variable "staging_prefix" {
  description = "Prefix the warehouse export writes Parquet files to, in the staging bucket."
  type        = string
}

variable "dynamodb_table_arn" {
  description = "ARN of the documents table."
  type        = string
}

variable "dynamodb_dr_arn" {
  description = "ARN of the documents table's replica in the DR region."
  type        = string
}

variable "kms_key_arns" {
  description = "Customer managed keys the workers may use through S3, DynamoDB, SQS and Secrets Manager (primary and DR)."
  type        = list(string)
}

variable "event_queue_arn" {
  description = "Queue of new-upload events the workers (SqsSensorTrigger) consume."
  type        = string
}

variable "connections_prefix" {
  description = "Secrets Manager prefix of the Airflow connections."
  type        = string
}

variable "snowflake_stage_role_name" {
  description = "Name of the role Snowflake's storage integration assumes to read the staging bucket."
  type        = string
}

variable "snowflake_iam_user_arn" {
  description = "IAM user Snowflake assumes the role as (STORAGE_AWS_IAM_USER_ARN of the storage integration)."
  type        = string
}

variable "snowflake_external_id" {
  description = "External id the storage integration presents (STORAGE_AWS_EXTERNAL_ID)."
  type        = string
}
