variable "name" {
  description = "Name prefix of the roles (<project>-<environment>, plus -dr in the DR environment)."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "regions" {
  description = "Regions whose S3, DynamoDB, SQS and Secrets Manager endpoints may use the data key for the workers (the environment's region)."
  type        = list(string)
}

variable "trusted_services" {
  description = "Service principals allowed to assume the worker role (ecs-tasks.amazonaws.com for the ECS runtime)."
  type        = list(string)
}

variable "uploads_bucket_arns" {
  description = "Uploads buckets the workers list and read (uploads/) and quarantine into (quarantine/)."
  type        = list(string)
}

variable "processed_bucket_arns" {
  description = "Processed buckets the workers write results and manifests to."
  type        = list(string)
}

variable "staging_bucket_arns" {
  description = "Staging buckets the nightly export writes Parquet files to."
  type        = list(string)
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

variable "dynamodb_table_arns" {
  description = "The documents table (its ARN in the environment's region)."
  type        = list(string)
}

variable "kms_key_arns" {
  description = "Customer managed keys the workers may use through S3, DynamoDB, SQS and Secrets Manager."
  type        = list(string)
}

variable "event_queue_arns" {
  description = "Queues of new-upload events the workers (SqsSensorTrigger) consume; empty for none."
  type        = list(string)
  default     = []
}

variable "connection_secret_arns" {
  description = "Exact ARNs of the Airflow connection secrets the workers read (the SecretsManagerBackend)."
  type        = list(string)

  validation {
    condition     = length(var.connection_secret_arns) > 0 && alltrue([for a in var.connection_secret_arns : !strcontains(a, "*")])
    error_message = "connection_secret_arns must list exact secret ARNs, without wildcards."
  }
}

variable "task_log_group_arns" {
  description = "CloudWatch log groups the workers write remote task logs to."
  type        = list(string)
}

variable "create_snowflake_stage_role" {
  description = "Create the role Snowflake's storage integration assumes (primary environment only)."
  type        = bool
  default     = false
}

variable "snowflake_stage_role_name" {
  description = "Name of the role Snowflake's storage integration assumes to read the staging buckets."
  type        = string
  default     = null
}

variable "snowflake_iam_user_arn" {
  description = "IAM user Snowflake assumes the role as (STORAGE_AWS_IAM_USER_ARN of the storage integration)."
  type        = string
  default     = null
}

variable "snowflake_external_id" {
  description = "External id the storage integration presents (STORAGE_AWS_EXTERNAL_ID)."
  type        = string
  default     = null
}

variable "snowflake_staging_bucket_arns" {
  description = "Staging buckets the storage integration reads (primary and DR copy)."
  type        = list(string)
  default     = []
}

variable "snowflake_kms_key_arns" {
  description = "Keys of those staging buckets (primary and DR replica key)."
  type        = list(string)
  default     = []
}

variable "snowflake_regions" {
  description = "Regions of those staging buckets."
  type        = list(string)
  default     = []
}
