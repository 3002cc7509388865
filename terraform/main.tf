data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # Bucket names are global: the account id keeps them unique.
  bucket_names = {
    uploads   = "${local.name}-uploads-${local.account_id}"
    processed = "${local.name}-processed-${local.account_id}"
    staging   = "${local.name}-staging-${local.account_id}"
  }

  # The role Snowflake assumes to read the staging bucket. Its ARN is built from its name so that the
  # storage integration (which needs the ARN) and the role (whose trust policy needs the integration's
  # IAM user and external id) do not depend on each other in a cycle.
  snowflake_stage_role_name = "${local.name}-snowflake-stage"
  snowflake_stage_role_arn  = "arn:${local.partition}:iam::${local.account_id}:role/${local.snowflake_stage_role_name}"

  # Written by the nightly export (s3://<staging>/warehouse/<table>/interval=<start>/part-0.parquet).
  staging_prefix = "warehouse"
  # The Airflow secrets backend's naming: airflow/connections/<conn_id>.
  connections_prefix = "airflow/connections"
}

module "kms" {
  source = "./modules/kms"

  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  name       = local.name
  account_id = local.account_id
  partition  = local.partition
}

module "storage" {
  source = "./modules/storage"

  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  name                        = local.name
  account_id                  = local.account_id
  partition                   = local.partition
  region                      = var.aws_region
  dr_region                   = var.dr_region
  bucket_names                = local.bucket_names
  kms_key_arn                 = module.kms.key_arn
  dr_kms_key_arn              = module.kms.dr_key_arn
  uploads_prefix              = var.uploads_prefix
  staging_expiration_days     = var.staging_expiration_days
  quarantine_retention_days   = var.quarantine_retention_days
  replication_time_control    = var.s3_replication_time_control
  noncurrent_retention_days   = 90
  event_queue_visibility_secs = 300
}

module "dynamodb" {
  source = "./modules/dynamodb"

  table_name     = var.dynamodb_table_name
  kms_key_arn    = module.kms.key_arn
  dr_region      = var.dr_region
  dr_kms_key_arn = module.kms.dr_key_arn
}

module "database" {
  source = "./modules/database"

  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  identifier                    = local.name
  engine_version                = var.db_engine_version
  instance_class                = var.db_instance_class
  allocated_storage             = var.db_allocated_storage
  max_allocated_storage         = var.db_max_allocated_storage
  db_name                       = var.db_name
  vpc_id                        = var.vpc_id
  subnet_ids                    = var.private_subnet_ids
  client_security_group_ids     = var.db_client_security_group_ids
  kms_key_arn                   = module.kms.key_arn
  backup_retention_days         = var.db_backup_retention_days
  deletion_protection           = var.environment == "prod"
  dr_mode                       = var.db_dr_mode
  dr_vpc_id                     = var.dr_vpc_id
  dr_subnet_ids                 = var.dr_private_subnet_ids
  dr_client_security_group_ids  = var.dr_db_client_security_group_ids
  dr_kms_key_arn                = module.kms.dr_key_arn
  performance_insights_retained = 7
}

module "secrets" {
  source = "./modules/secrets"

  connections_prefix = local.connections_prefix
  kms_key_arn        = module.kms.key_arn
  dr_region          = var.dr_region
  dr_kms_key_arn     = module.kms.dr_key_arn
  aws_region         = var.aws_region

  postgres_host     = module.database.address
  postgres_port     = module.database.port
  postgres_database = var.db_name
  postgres_username = var.db_app_username

  postgres_rotation_lambda_arn = var.db_app_password_rotation_lambda_arn

  snowflake_account   = "${var.snowflake_organization_name}-${var.snowflake_account_name}"
  snowflake_database  = module.snowflake.database_name
  snowflake_warehouse = module.snowflake.load_warehouse_name
  snowflake_role      = module.snowflake.loader_role_name
  snowflake_user      = var.snowflake_loader_user
}

module "snowflake" {
  source = "./modules/snowflake"

  database_name                 = "DOCPIPE"
  staging_bucket                = module.storage.bucket_names["staging"]
  dr_staging_bucket             = module.storage.dr_bucket_names["staging"]
  staging_prefix                = local.staging_prefix
  storage_aws_role_arn          = local.snowflake_stage_role_arn
  load_warehouse_size           = var.snowflake_load_warehouse_size
  analyst_warehouse_size        = var.snowflake_analyst_warehouse_size
  auto_suspend_seconds          = var.snowflake_auto_suspend_seconds
  enable_replication            = var.snowflake_enable_replication
  replication_allowed_accounts  = var.snowflake_replication_accounts
  replication_interval_minutes  = var.snowflake_replication_interval_minutes
  data_retention_time_in_days   = var.environment == "prod" ? 7 : 1
  replicate_storage_integration = true
}

module "iam" {
  source = "./modules/iam"

  name               = local.name
  account_id         = local.account_id
  partition          = local.partition
  region             = var.aws_region
  dr_region          = var.dr_region
  trusted_services   = var.worker_trusted_services
  bucket_arns        = module.storage.bucket_arns
  dr_bucket_arns     = module.storage.dr_bucket_arns
  uploads_prefix     = var.uploads_prefix
  staging_prefix     = local.staging_prefix
  dynamodb_table_arn = module.dynamodb.table_arn
  dynamodb_dr_arn    = module.dynamodb.dr_table_arn
  kms_key_arns       = [module.kms.key_arn, module.kms.dr_key_arn]
  event_queue_arn    = module.storage.event_queue_arn
  connections_prefix = local.connections_prefix

  snowflake_stage_role_name = local.snowflake_stage_role_name
  snowflake_iam_user_arn    = module.snowflake.storage_aws_iam_user_arn
  snowflake_external_id     = module.snowflake.storage_aws_external_id
}
