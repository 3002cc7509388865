variable "database_name" {
  description = "The warehouse database (docpipe's SQL expects DOCPIPE)."
  type        = string
  default     = "DOCPIPE"

  validation {
    condition     = can(regex("^[A-Z][A-Z0-9_]*$", var.database_name))
    error_message = "database_name must be an upper-case Snowflake identifier."
  }
}

variable "staging_bucket" {
  description = "S3 bucket the nightly export writes Parquet files to."
  type        = string
}

variable "dr_staging_bucket" {
  description = "Staging bucket in the AWS DR region; the integration also allows it, so after a failover the stage can be pointed there with ALTER STAGE."
  type        = string
  default     = null
}

variable "staging_prefix" {
  description = "Prefix of the exports in the staging bucket; the stage and the integration are limited to it."
  type        = string
  default     = "warehouse"
}

variable "storage_aws_role_arn" {
  description = "IAM role the storage integration assumes to read the staging bucket."
  type        = string
}

variable "load_warehouse_size" {
  description = "Size of LOAD_WH."
  type        = string
  default     = "XSMALL"
}

variable "analyst_warehouse_size" {
  description = "Size of ANALYST_WH."
  type        = string
  default     = "SMALL"
}

variable "auto_suspend_seconds" {
  description = "Idle seconds before the warehouses suspend."
  type        = number
  default     = 60
}

variable "data_retention_time_in_days" {
  description = "Time Travel retention of the database, days."
  type        = number
  default     = 7
}

variable "enable_replication" {
  description = "Create the failover group that replicates DOCPIPE (and roles, warehouses, the storage integration) to the DR accounts."
  type        = bool
  default     = false
}

variable "replication_allowed_accounts" {
  description = "DR accounts as <org_name>.<account_name>."
  type        = list(string)
  default     = []

  validation {
    condition     = !var.enable_replication || length(var.replication_allowed_accounts) > 0
    error_message = "enable_replication needs at least one entry in replication_allowed_accounts."
  }
}

variable "replication_interval_minutes" {
  description = "Minutes between refreshes of the secondary failover group."
  type        = number
  default     = 10
}

variable "replicate_storage_integration" {
  description = "Include the storage integration in the failover group, so the DR account can read the DR copy of staging."
  type        = bool
  default     = true
}
