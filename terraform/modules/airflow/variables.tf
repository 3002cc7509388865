variable "name" {
  description = "Name prefix of every resource (<project>-<environment>, plus -dr in the DR environment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}$", var.name))
    error_message = "name must be 2-25 lowercase letters, digits or hyphens (it prefixes RDS, ElastiCache and load balancer names)."
  }
}

variable "account_id" {
  description = "AWS account id (conditions of the roles' trust policies)."
  type        = string
}

variable "region" {
  description = "Region of this environment (connections, secrets backend and logs use it)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the Airflow tasks, the metadata DB, the broker and the load balancer."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (no route to an internet gateway; a NAT gateway or VPC endpoints for AWS, Google and Snowflake APIs) in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two private subnets."
  }
}

variable "image" {
  description = "The docpipe Airflow image (built from the Dockerfile), as <registry>/<repository>:<tag>; an immutable tag or a digest."
  type        = string

  validation {
    condition     = can(regex(":[A-Za-z0-9_.-]+$|@sha256:[0-9a-f]{64}$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image must name a tag or digest, and not :latest."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository holding the image (in this region)."
  type        = string
}

variable "ecr_kms_key_arn" {
  description = "Key that encrypts that repository (the execution role decrypts image layers through ECR)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed key of this region: log groups, the broker, the metadata DB, the settings secret."
  type        = string
}

variable "worker_task_role_arn" {
  description = "Task role of the Celery workers and the triggerer (the iam module's worker role)."
  type        = string
}

variable "secrets_backend_kwargs" {
  description = "JSON for AIRFLOW__SECRETS__BACKEND_KWARGS from the secrets module (region_name is added here)."
  type        = string

  validation {
    condition     = can(jsondecode(var.secrets_backend_kwargs).connections_prefix)
    error_message = "secrets_backend_kwargs must be a JSON object with connections_prefix."
  }
}

variable "docpipe_environment" {
  description = "DOCPIPE_* settings of this environment (buckets, table, backends)."
  type        = map(string)
}

variable "extra_environment" {
  description = "More environment variables for every component (e.g. the Document AI processor settings)."
  type        = map(string)
  default     = {}
}

variable "log_prefix" {
  description = "Prefix of the component and broker log groups, e.g. docpipe/prod/airflow."
  type        = string
}

variable "task_log_group_name" {
  description = "Log group of the remote task logs (the iam module grants the workers access to it by name)."
  type        = string
}

variable "log_retention_days" {
  description = "Days the log groups keep their events."
  type        = number
  default     = 365
}

variable "running" {
  description = "false keeps the environment provisioned with no Airflow task running (a pilot-light DR environment); true runs it."
  type        = bool
  default     = true
}

variable "worker_min_count" {
  description = "Celery workers always running (when running is true)."
  type        = number
  default     = 2

  validation {
    condition     = var.worker_min_count >= 1
    error_message = "worker_min_count must be at least 1."
  }
}

variable "worker_max_count" {
  description = "Celery workers the autoscaler may run at most."
  type        = number
  default     = 10
}

variable "worker_concurrency" {
  description = "Task slots per worker ([celery] worker_concurrency): OCR runs one thread per task, so about one per vCPU."
  type        = number
  default     = 2
}

variable "worker_cpu" {
  description = "vCPU units of a worker task (1024 = 1 vCPU)."
  type        = number
  default     = 2048
}

variable "worker_memory" {
  description = "Memory of a worker task, MiB (rapidocr peaks at about 1.2 GB per process)."
  type        = number
  default     = 4096
}

variable "broker_node_type" {
  description = "ElastiCache node type of the Celery broker."
  type        = string
  default     = "cache.t4g.small"
}

variable "metadata_db_instance_class" {
  description = "RDS instance class of the Airflow metadata DB."
  type        = string
  default     = "db.t4g.medium"
}

variable "metadata_db_engine_version" {
  description = "PostgreSQL version of the Airflow metadata DB."
  type        = string
  default     = "16"
}

variable "deletion_protection" {
  description = "Protect the metadata DB and the load balancer from deletion."
  type        = bool
  default     = true
}

variable "ui_certificate_arn" {
  description = "ACM certificate (in this region) for the UI load balancer's HTTPS listener."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.ui_certificate_arn))
    error_message = "ui_certificate_arn must be an ACM certificate ARN."
  }
}

variable "ui_base_url" {
  description = "URL people open the UI at (the certificate's name pointed at the load balancer), e.g. https://airflow.example.com."
  type        = string

  validation {
    condition     = startswith(var.ui_base_url, "https://")
    error_message = "ui_base_url must start with https://."
  }
}

variable "ui_allowed_cidr_blocks" {
  description = "Ranges (VPN, office) allowed to reach the UI load balancer on 443."
  type        = list(string)

  validation {
    condition     = length(var.ui_allowed_cidr_blocks) > 0 && !contains(var.ui_allowed_cidr_blocks, "0.0.0.0/0")
    error_message = "ui_allowed_cidr_blocks must list the allowed ranges, not 0.0.0.0/0."
  }
}

variable "ui_admin_username" {
  description = "The UI's admin user (SimpleAuthManager); its password is generated into the settings secret."
  type        = string
  default     = "admin"
}

variable "logs_bucket_name" {
  description = "The logs bucket of this region (the load balancer's access logs go under alb/)."
  type        = string
}
