# ---------------------------------------------------------------- naming (the same as the primary's)

variable "project" {
  description = "Project name, as in the primary environment (the copies there are found by the names it gave them)."
  type        = string
  default     = "docpipe"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.project))
    error_message = "project must be 2-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, as in the primary environment."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "dr_region" {
  description = "The DR region: dr_region of the primary environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.dr_region))
    error_message = "dr_region must be an AWS region name such as eu-central-1."
  }
}

variable "tags" {
  description = "Extra tags on every AWS resource."
  type        = map(string)
  default     = {}
}

variable "running" {
  description = "true runs Airflow here (a failover); false keeps the runtime provisioned with no task running (pilot light)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- network of the DR region

variable "vpc_id" {
  description = "VPC of the DR region (dr_vpc_id of the primary environment)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of vpc_id in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "private_subnet_ids needs at least two subnet ids (subnet-...)."
  }
}

variable "app_db_security_group_id" {
  description = "Security group of the DR database (<project>-<environment>-dr-postgres, the replica's); the DR Airflow tasks are let in. null: manage that rule yourself."
  type        = string
  default     = null
}

variable "app_db_identifier" {
  description = "RDS identifier of the DR database (the replica, <project>-<environment>-dr), for its alarms; null for none."
  type        = string
  default     = null
}

variable "dax_client_security_group_ids" {
  description = "Security groups of the applications in the DR region that read through DAX."
  type        = list(string)
  default     = []
}

# ---------------------------------------------------------------- data copies

variable "uploads_prefix" {
  description = "Prefix of uploaded documents, as in the primary environment."
  type        = string
  default     = "uploads"
}

variable "dynamodb_table_name" {
  description = "The documents table (its global-table replica in this region)."
  type        = string
  default     = "docpipe-documents"
}

variable "dax_node_type" {
  description = "DAX node type."
  type        = string
  default     = "dax.r5.large"
}

variable "dax_node_count" {
  description = "DAX nodes."
  type        = number
  default     = 3
}

# ---------------------------------------------------------------- Airflow runtime (ECS)

variable "ecr_repository_name" {
  description = "The image repository (ECR replicates the primary's into this region under the same name)."
  type        = string
  default     = "docpipe-airflow"
}

variable "airflow_image_tag" {
  description = "Tag of the image to run: the one the primary ran."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.airflow_image_tag)) && var.airflow_image_tag != "latest"
    error_message = "airflow_image_tag must be a Docker tag other than latest."
  }
}

variable "airflow_extra_environment" {
  description = "More environment variables for every Airflow component (the same as the primary's)."
  type        = map(string)
  default     = {}
}

variable "airflow_worker_min_count" {
  description = "Celery workers always running."
  type        = number
  default     = 2
}

variable "airflow_worker_max_count" {
  description = "Celery workers the autoscaler may run at most."
  type        = number
  default     = 10
}

variable "airflow_worker_concurrency" {
  description = "Task slots per Celery worker."
  type        = number
  default     = 2
}

variable "airflow_ui_certificate_arn" {
  description = "ACM certificate in the DR region for the UI load balancer."
  type        = string
}

variable "airflow_ui_base_url" {
  description = "URL of the DR Airflow UI (point the primary's name here on failover, or use a name of its own)."
  type        = string
}

variable "airflow_ui_allowed_cidr_blocks" {
  description = "Ranges (VPN, office) allowed to reach the UI."
  type        = list(string)
}

# ---------------------------------------------------------------- logs and alarms

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least a year (365, 400, 545, 731, ...)."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses that receive the DR environment's alarms."
  type        = list(string)
  default     = []
}
