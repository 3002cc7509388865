variable "connections_prefix" {
  description = "Secret name prefix the Airflow secrets backend reads connections from (connections_prefix in [secrets] backend_kwargs)."
  type        = string
  default     = "airflow/connections"

  validation {
    condition     = !endswith(var.connections_prefix, "/")
    error_message = "connections_prefix must not end with a slash."
  }
}

variable "kms_key_arn" {
  description = "Customer managed key that encrypts the secrets."
  type        = string
}

variable "dr_region" {
  description = "Region the secrets are replicated to."
  type        = string
}

variable "dr_kms_key_arn" {
  description = "Customer managed key for the replicas in dr_region."
  type        = string
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30
}

variable "postgres_host" {
  description = "Host of docpipe's application database."
  type        = string
}

variable "postgres_port" {
  description = "Port of docpipe's application database."
  type        = number
  default     = 5432
}

variable "postgres_database" {
  description = "docpipe's application database name."
  type        = string
}

variable "postgres_username" {
  description = "Role docpipe connects as."
  type        = string
}

variable "snowflake_account" {
  description = "Snowflake account identifier, <orgname>-<accountname>."
  type        = string
}

variable "snowflake_user" {
  description = "Snowflake user the loader connects as."
  type        = string
}

variable "snowflake_database" {
  description = "Snowflake database docpipe loads into."
  type        = string
}

variable "snowflake_warehouse" {
  description = "Warehouse of the nightly load."
  type        = string
}

variable "snowflake_role" {
  description = "Role of the nightly load."
  type        = string
}

variable "postgres_rotation_lambda_arn" {
  description = "Rotation function for the docpipe_postgres secret (AWS's SecretsManagerRDSPostgreSQLRotationSingleUser, deployed in the database's VPC); null leaves rotation off."
  type        = string
  default     = null
}

variable "postgres_rotation_days" {
  description = "Days between rotations of the docpipe_postgres password."
  type        = number
  default     = 30

  validation {
    condition     = var.postgres_rotation_days >= 1 && var.postgres_rotation_days <= 365
    error_message = "postgres_rotation_days must be between 1 and 365."
  }
}

variable "gcp_project_id" {
  description = "Google Cloud project of Document AI and Natural Language (the google_cloud_default connection); null until known."
  type        = string
  default     = null
}
