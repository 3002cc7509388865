# ---------------------------------------------------------------- naming and regions

variable "project" {
  description = "Project name: the prefix of every resource name."
  type        = string
  default     = "docpipe"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.project))
    error_message = "project must be 2-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment; part of every resource name."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "aws_region" {
  description = "Primary AWS region, where docpipe runs."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region name such as eu-west-1."
  }
}

variable "dr_region" {
  description = "Disaster-recovery AWS region: S3 replication targets, the DynamoDB replica, the RDS replica or backup copies, replicated secrets."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.dr_region)) && var.dr_region != var.aws_region
    error_message = "dr_region must be an AWS region name, different from aws_region."
  }
}

variable "tags" {
  description = "Extra tags on every AWS resource (Project, Environment and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- network (existing VPCs)

variable "vpc_id" {
  description = "VPC of the primary region that holds the database and the Airflow workers."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (no route to an internet gateway) of vpc_id, in at least two availability zones, for the Multi-AZ database."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "private_subnet_ids needs at least two subnet ids (subnet-...)."
  }
}

variable "db_client_security_group_ids" {
  description = "Security groups, besides the Airflow tasks' (always allowed), that may reach docpipe's PostgreSQL on 5432 (the application, a bastion)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.db_client_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "db_client_security_group_ids must be security group ids (sg-...)."
  }
}

variable "dax_client_security_group_ids" {
  description = "Security groups of the applications that read the documents through DAX (TLS port 9111)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.dax_client_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "dax_client_security_group_ids must be security group ids (sg-...)."
  }
}

variable "dr_vpc_id" {
  description = "VPC of the DR region for the database replica; required when db_dr_mode is read_replica."
  type        = string
  default     = null

  validation {
    condition     = var.dr_vpc_id == null || can(regex("^vpc-[0-9a-f]+$", var.dr_vpc_id))
    error_message = "dr_vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "dr_private_subnet_ids" {
  description = "Private subnets of dr_vpc_id (two or more availability zones); required when db_dr_mode is read_replica."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.dr_private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "dr_private_subnet_ids must be subnet ids (subnet-...)."
  }
}

variable "dr_db_client_security_group_ids" {
  description = "Security groups in the DR VPC allowed to reach the replica on 5432 (the DR Airflow deployment)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.dr_db_client_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "dr_db_client_security_group_ids must be security group ids (sg-...)."
  }
}

# ---------------------------------------------------------------- S3

variable "uploads_prefix" {
  description = "Key prefix the uploading application writes under: uploads/<tenant>/<YYYY>/<MM>/<DD>/<HH>/<file> (DOCPIPE_UPLOADS_PREFIX)."
  type        = string
  default     = "uploads"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.uploads_prefix))
    error_message = "uploads_prefix must be one path segment without slashes."
  }
}

variable "staging_expiration_days" {
  description = "Days the warehouse export keeps its Parquet files in the staging bucket (they are reloadable from Postgres)."
  type        = number
  default     = 14

  validation {
    condition     = var.staging_expiration_days >= 1 && var.staging_expiration_days <= 365
    error_message = "staging_expiration_days must be between 1 and 365."
  }
}

variable "quarantine_retention_days" {
  description = "Days quarantined documents (uploads bucket, quarantine/ prefix) are kept before expiring; they move to STANDARD_IA after 30."
  type        = number
  default     = 180

  validation {
    condition     = var.quarantine_retention_days > 30
    error_message = "quarantine_retention_days must be more than 30 (objects move to STANDARD_IA at 30 days)."
  }
}

variable "s3_replication_time_control" {
  description = "Use S3 Replication Time Control (99.99% of objects replicated within 15 minutes, extra cost) for uploads and processed."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- DynamoDB

variable "dynamodb_table_name" {
  description = "Name of the documents read-model table (DOCPIPE_DYNAMODB_TABLE)."
  type        = string
  default     = "docpipe-documents"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.dynamodb_table_name))
    error_message = "dynamodb_table_name must be 3-255 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "dax_node_type" {
  description = "DAX node type of the read cache in front of the documents table."
  type        = string
  default     = "dax.r5.large"
}

variable "dax_node_count" {
  description = "DAX nodes (three: one per availability zone)."
  type        = number
  default     = 3
}

# ---------------------------------------------------------------- RDS PostgreSQL

variable "db_engine_version" {
  description = "PostgreSQL engine version for RDS (major, or major.minor)."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^1[4-9](\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be PostgreSQL 14 or newer, e.g. 16 or 16.4."
  }
}

variable "db_instance_class" {
  description = "RDS instance class of the primary (and of the DR replica)."
  type        = string
  default     = "db.m7g.large"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS instance class such as db.m7g.large."
  }
}

variable "db_allocated_storage" {
  description = "Initial storage of the database, GiB (gp3)."
  type        = number
  default     = 100

  validation {
    condition     = var.db_allocated_storage >= 20
    error_message = "db_allocated_storage must be at least 20 GiB."
  }
}

variable "db_max_allocated_storage" {
  description = "Ceiling for storage autoscaling, GiB."
  type        = number
  default     = 500

  validation {
    condition     = var.db_max_allocated_storage >= var.db_allocated_storage
    error_message = "db_max_allocated_storage must be at least db_allocated_storage."
  }
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time restore window), in the primary region and, for backup_replication, in the DR region."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 7 and 35."
  }
}

variable "db_dr_mode" {
  description = "How the database reaches the DR region: read_replica (cross-region replica, promoted on failover), backup_replication (automated backups copied, restored on failover) or none."
  type        = string
  default     = "read_replica"

  validation {
    condition     = contains(["read_replica", "backup_replication", "none"], var.db_dr_mode)
    error_message = "db_dr_mode must be read_replica, backup_replication or none."
  }

  validation {
    condition     = var.db_dr_mode != "read_replica" || (var.dr_vpc_id != null && length(var.dr_private_subnet_ids) >= 2)
    error_message = "db_dr_mode = read_replica needs dr_vpc_id and at least two dr_private_subnet_ids."
  }
}

variable "db_name" {
  description = "docpipe's application database on RDS."
  type        = string
  default     = "docpipe"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must be a lowercase PostgreSQL identifier."
  }
}

variable "db_app_username" {
  description = "PostgreSQL role docpipe connects as (owner of db_name; created once by hand, see README). The master user is for administration only."
  type        = string
  default     = "docpipe"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_app_username)) && var.db_app_username != "postgres"
    error_message = "db_app_username must be a lowercase PostgreSQL identifier other than postgres."
  }
}

variable "db_app_password_rotation_lambda_arn" {
  description = "ARN of a SecretsManagerRDSPostgreSQLRotationSingleUser function that rotates the docpipe_postgres password every 30 days; null leaves rotation off."
  type        = string
  default     = null

  validation {
    condition     = var.db_app_password_rotation_lambda_arn == null || can(regex("^arn:aws[a-z-]*:lambda:", var.db_app_password_rotation_lambda_arn))
    error_message = "db_app_password_rotation_lambda_arn must be a Lambda function ARN."
  }
}

# ---------------------------------------------------------------- Airflow runtime (ECS)

variable "ecr_repository_name" {
  description = "ECR repository of the docpipe Airflow image (created here, replicated to the DR region)."
  type        = string
  default     = "docpipe-airflow"
}

variable "airflow_image_tag" {
  description = "Tag of the image to run (CI pushes one per commit, e.g. the git SHA); tags are immutable."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.airflow_image_tag)) && var.airflow_image_tag != "latest"
    error_message = "airflow_image_tag must be a Docker tag other than latest."
  }
}

variable "airflow_extra_environment" {
  description = "More environment variables for every Airflow component, e.g. DOCPIPE_EXTRACTION_BACKEND and the Document AI processor settings."
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
  description = "ACM certificate in aws_region for the Airflow UI's internal load balancer."
  type        = string
}

variable "airflow_ui_base_url" {
  description = "URL of the Airflow UI (a DNS name for the load balancer, covered by the certificate)."
  type        = string
}

variable "airflow_ui_allowed_cidr_blocks" {
  description = "Ranges (VPN, office) allowed to reach the Airflow UI."
  type        = list(string)
}

variable "gcp_project_id" {
  description = "Google Cloud project of Document AI and Natural Language (google_cloud_default connection)."
  type        = string
  default     = null
}

# ---------------------------------------------------------------- logs and alarms

variable "log_retention_days" {
  description = "Days CloudWatch keeps the Airflow component, task, broker and PostgreSQL logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least a year (365, 400, 545, 731, ...)."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses that receive the CloudWatch alarms (each confirms the subscription)."
  type        = list(string)
  default     = []
}

# ---------------------------------------------------------------- Snowflake

variable "snowflake_organization_name" {
  description = "Snowflake organization of the primary account."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]*$", var.snowflake_organization_name))
    error_message = "snowflake_organization_name must be a Snowflake identifier."
  }
}

variable "snowflake_account_name" {
  description = "Snowflake account name (within the organization) that holds DOCPIPE."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]*$", var.snowflake_account_name))
    error_message = "snowflake_account_name must be a Snowflake identifier."
  }
}

variable "snowflake_admin_role" {
  description = "Role Terraform uses in Snowflake; it must be able to create integrations, roles and failover groups."
  type        = string
  default     = "ACCOUNTADMIN"
}

variable "snowflake_loader_user" {
  description = "Snowflake user the Airflow workers load as (granted LOADER; key-pair auth, its private key set in the snowflake_default secret by hand)."
  type        = string
  default     = "DOCPIPE_LOADER"
}

variable "snowflake_load_warehouse_size" {
  description = "Size of LOAD_WH (nightly COPY INTO and MERGE)."
  type        = string
  default     = "XSMALL"

  validation {
    condition     = contains(["XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE"], var.snowflake_load_warehouse_size)
    error_message = "snowflake_load_warehouse_size must be XSMALL, SMALL, MEDIUM, LARGE or XLARGE."
  }
}

variable "snowflake_analyst_warehouse_size" {
  description = "Size of ANALYST_WH (analysts' queries on CURATED)."
  type        = string
  default     = "SMALL"

  validation {
    condition     = contains(["XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE"], var.snowflake_analyst_warehouse_size)
    error_message = "snowflake_analyst_warehouse_size must be XSMALL, SMALL, MEDIUM, LARGE or XLARGE."
  }
}

variable "snowflake_auto_suspend_seconds" {
  description = "Idle seconds before a warehouse suspends (billing stops)."
  type        = number
  default     = 60

  validation {
    condition     = var.snowflake_auto_suspend_seconds >= 60 && var.snowflake_auto_suspend_seconds <= 3600
    error_message = "snowflake_auto_suspend_seconds must be between 60 and 3600."
  }
}

variable "snowflake_enable_replication" {
  description = "Create the DOCPIPE failover group that replicates the database, roles, warehouses and the storage integration to snowflake_replication_accounts (Business Critical edition)."
  type        = bool
  default     = false
}

variable "snowflake_replication_accounts" {
  description = "DR accounts allowed to hold the secondary failover group, as <org_name>.<account_name>."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.snowflake_replication_accounts : can(regex("^[A-Za-z0-9_]+\\.[A-Za-z0-9_]+$", a))])
    error_message = "snowflake_replication_accounts entries must look like ORGNAME.ACCOUNTNAME."
  }

  validation {
    condition     = !var.snowflake_enable_replication || length(var.snowflake_replication_accounts) > 0
    error_message = "snowflake_enable_replication needs at least one account in snowflake_replication_accounts."
  }
}

variable "snowflake_replication_interval_minutes" {
  description = "Minutes between refreshes of the secondary failover group (the Snowflake RPO)."
  type        = number
  default     = 10

  validation {
    condition     = var.snowflake_replication_interval_minutes >= 1 && var.snowflake_replication_interval_minutes < 1440
    error_message = "snowflake_replication_interval_minutes must be between 1 and 1439."
  }
}
