# An RDS PostgreSQL database: Multi-AZ, encrypted with the customer managed key, only in private subnets,
# TLS enforced by its parameter group (rds.force_ssl), its logs exported to KMS-encrypted log groups.
# The master password is generated and rotated by RDS in Secrets Manager, or (manage_master_user_password
# = false, for Airflow's metadata DB whose URL Terraform writes into a secret) given by the caller.
# DR: a cross-region read replica (promoted on failover) or cross-region automated-backup replication.
# Used twice: docpipe's application database, and the Airflow metadata database of each environment.

data "aws_partition" "current" {}

locals {
  family         = "postgres${split(".", var.engine_version)[0]}"
  port           = 5432
  log_exports    = ["postgresql", "upgrade"]
  replica        = var.dr_mode == "read_replica"
  backup_copying = var.dr_mode == "backup_replication"
}

# ---------------------------------------------------------------- network
resource "aws_db_subnet_group" "this" {
  name        = var.identifier
  description = "Private subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids
}

resource "aws_security_group" "db" {
  name        = "${var.identifier}-postgres"
  description = "PostgreSQL ${var.identifier}: 5432 from the Airflow security groups only"
  vpc_id      = var.vpc_id
}

# count, not for_each: a client group created in the same apply (the Airflow tasks') is unknown while planning.
resource "aws_vpc_security_group_ingress_rule" "clients" {
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from an application security group"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.client_security_group_ids[count.index]
}

# ---------------------------------------------------------------- parameters
resource "aws_db_parameter_group" "this" {
  name        = "${var.identifier}-${local.family}"
  family      = local.family
  description = "docpipe: TLS only, slow-statement and connection logging"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------- enhanced monitoring
data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.identifier}-rds-monitoring"
  description        = "RDS enhanced monitoring for ${var.identifier}"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# ---------------------------------------------------------------- log groups
# Created before the instances so RDS exports into KMS-encrypted groups with a retention, rather than
# creating unencrypted, never-expiring ones itself.
resource "aws_cloudwatch_log_group" "primary" {
  for_each = toset(local.log_exports)

  name              = "/aws/rds/instance/${var.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "replica" {
  provider = aws.dr
  for_each = local.replica ? toset(local.log_exports) : toset([])

  name              = "/aws/rds/instance/${var.identifier}-dr/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.dr_kms_key_arn
}

# ---------------------------------------------------------------- primary
resource "aws_db_instance" "primary" {
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = var.db_name
  port           = local.port

  username                      = var.master_username
  manage_master_user_password   = var.manage_master_user_password ? true : null
  master_user_secret_kms_key_id = var.manage_master_user_password ? var.kms_key_arn : null
  password                      = var.manage_master_user_password ? null : var.master_password

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  iam_database_authentication_enabled = true

  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:30-03:30"
  maintenance_window        = "sun:04:00-sun:05:00"
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.identifier}-final"

  auto_minor_version_upgrade      = true
  allow_major_version_upgrade     = false
  enabled_cloudwatch_logs_exports = local.log_exports
  monitoring_interval             = 60
  monitoring_role_arn             = aws_iam_role.monitoring.arn

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = var.performance_insights_retained

  depends_on = [aws_iam_role_policy_attachment.monitoring, aws_cloudwatch_log_group.primary]
}

# ---------------------------------------------------------------- DR: cross-region read replica
resource "aws_db_subnet_group" "dr" {
  provider = aws.dr
  count    = local.replica ? 1 : 0

  name        = "${var.identifier}-dr"
  description = "Private subnets of the ${var.identifier} DR replica"
  subnet_ids  = var.dr_subnet_ids
}

resource "aws_security_group" "dr" {
  provider = aws.dr
  count    = local.replica ? 1 : 0

  name        = "${var.identifier}-dr-postgres"
  description = "PostgreSQL ${var.identifier} DR replica: 5432 from the DR Airflow security groups only"
  vpc_id      = var.dr_vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "dr_clients" {
  provider = aws.dr
  count    = local.replica ? length(var.dr_client_security_group_ids) : 0

  security_group_id            = aws_security_group.dr[0].id
  description                  = "PostgreSQL from a DR application security group"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.dr_client_security_group_ids[count.index]
}

resource "aws_db_parameter_group" "dr" {
  provider = aws.dr
  count    = local.replica ? 1 : 0

  name        = "${var.identifier}-dr-${local.family}"
  family      = local.family
  description = "docpipe DR replica: TLS only, slow-statement and connection logging"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "replica" {
  #checkov:skip=CKV_AWS_157:single-AZ by default to halve the standby cost (dr_multi_az); the runbook turns Multi-AZ on at promotion
  provider = aws.dr
  count    = local.replica ? 1 : 0

  identifier          = "${var.identifier}-dr"
  replicate_source_db = aws_db_instance.primary.arn
  instance_class      = var.instance_class

  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.dr_kms_key_arn
  max_allocated_storage = var.max_allocated_storage

  multi_az               = var.dr_multi_az
  db_subnet_group_name   = aws_db_subnet_group.dr[0].name
  vpc_security_group_ids = [aws_security_group.dr[0].id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.dr[0].name

  iam_database_authentication_enabled = true

  # Backups on the replica, so that once promoted it is a full primary with point-in-time restore.
  backup_retention_period = var.backup_retention_days
  copy_tags_to_snapshot   = true
  deletion_protection     = var.deletion_protection
  # A replica holds no data of its own: the primary's snapshots and backups cover it.
  skip_final_snapshot = true

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = local.log_exports
  monitoring_interval             = 60
  monitoring_role_arn             = aws_iam_role.monitoring.arn

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.dr_kms_key_arn
  performance_insights_retention_period = var.performance_insights_retained

  depends_on = [aws_cloudwatch_log_group.replica]
}

# ---------------------------------------------------------------- DR: automated backups copied cross-region
resource "aws_db_instance_automated_backups_replication" "dr" {
  provider = aws.dr
  count    = local.backup_copying ? 1 : 0

  source_db_instance_arn = aws_db_instance.primary.arn
  kms_key_id             = var.dr_kms_key_arn
  retention_period       = var.backup_retention_days
}
