variable "identifier" {
  description = "RDS instance identifier of the primary (the replica gets a -dr suffix)."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version (major, or major.minor)."
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "Instance class of the primary and of the DR replica."
  type        = string
}

variable "allocated_storage" {
  description = "Initial gp3 storage, GiB."
  type        = number
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling, GiB."
  type        = number
}

variable "db_name" {
  description = "Database created with the instance."
  type        = string
}

variable "master_username" {
  description = "Administrative user; its password is generated and kept in Secrets Manager by RDS."
  type        = string
  default     = "docpipe_admin"
}

variable "manage_master_user_password" {
  description = "Let RDS generate the master password and keep (and rotate) it in Secrets Manager; false uses master_password."
  type        = bool
  default     = true
}

variable "master_password" {
  description = "Master password when manage_master_user_password is false (letters and digits; it is written into a connection URL)."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.master_password == null || can(regex("^[A-Za-z0-9]{16,128}$", var.master_password))
    error_message = "master_password must be 16-128 letters and digits."
  }

  validation {
    condition     = var.manage_master_user_password || var.master_password != null
    error_message = "master_password is required when manage_master_user_password is false."
  }
}

variable "log_retention_days" {
  description = "Days the exported PostgreSQL logs are kept in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "vpc_id" {
  description = "VPC of the primary instance."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (two or more availability zones) of the primary."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5432."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "Customer managed key for storage, Performance Insights and the master-password secret."
  type        = string
}

variable "backup_retention_days" {
  description = "Automated backup retention, days."
  type        = number
  default     = 14
}

variable "deletion_protection" {
  description = "Refuse to delete the instances."
  type        = bool
  default     = true
}

variable "performance_insights_retained" {
  description = "Performance Insights retention, days (7 is free)."
  type        = number
  default     = 7
}

variable "dr_mode" {
  description = "read_replica, backup_replication or none."
  type        = string
  default     = "read_replica"

  validation {
    condition     = contains(["read_replica", "backup_replication", "none"], var.dr_mode)
    error_message = "dr_mode must be read_replica, backup_replication or none."
  }
}

variable "dr_vpc_id" {
  description = "VPC of the DR replica (read_replica only)."
  type        = string
  default     = null
}

variable "dr_subnet_ids" {
  description = "Private subnets of the DR replica (read_replica only)."
  type        = list(string)
  default     = []
}

variable "dr_client_security_group_ids" {
  description = "Security groups in the DR VPC allowed to connect to the replica on 5432."
  type        = list(string)
  default     = []
}

variable "dr_kms_key_arn" {
  description = "Customer managed key in the DR region for the replica or the replicated backups."
  type        = string
}

variable "dr_multi_az" {
  description = "Make the DR replica Multi-AZ (doubles its cost; it becomes the primary after a failover)."
  type        = bool
  default     = false
}
