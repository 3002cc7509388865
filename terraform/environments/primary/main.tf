# The primary environment: everything docpipe runs on in the primary region, plus the copies kept in the
# DR region all the time (S3 replicas, the DynamoDB global-table replica, the RDS cross-region replica,
# secret replicas, the replica key, the image). `terraform apply` here builds all of it; ../dr launches
# the Airflow runtime in the DR region on top of those copies.

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

  # Bucket names are global: the account id keeps them unique. The DR copies add "-dr".
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

  # Remote task logs. Named here because the worker role (iam) and the runtime (airflow) both need it.
  log_prefix          = "${var.project}/${var.environment}/airflow"
  task_log_group_name = "/${local.log_prefix}/tasks"
  task_log_group_arn  = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:${local.task_log_group_name}"

  docpipe_environment = {
    DOCPIPE_UPLOADS_BUCKET    = module.storage.bucket_names["uploads"]
    DOCPIPE_PROCESSED_BUCKET  = module.storage.bucket_names["processed"]
    DOCPIPE_STAGING_BUCKET    = module.storage.bucket_names["staging"]
    DOCPIPE_UPLOADS_PREFIX    = var.uploads_prefix
    DOCPIPE_DYNAMODB_TABLE    = module.dynamodb.table_name
    DOCPIPE_SNOWFLAKE_BACKEND = "snowflake"
  }
}

module "kms" {
  source = "../../modules/kms"

  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  name       = local.name
  account_id = local.account_id
  partition  = local.partition
  region     = var.aws_region
  dr_region  = var.dr_region
}

module "storage" {
  source = "../../modules/storage"

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
  source = "../../modules/dynamodb"

  table_name     = var.dynamodb_table_name
  kms_key_arn    = module.kms.key_arn
  dr_region      = var.dr_region
  dr_kms_key_arn = module.kms.dr_key_arn
}

module "dax" {
  source = "../../modules/dax"

  name                      = local.name
  role_name                 = "${local.name}-dax"
  account_id                = local.account_id
  region                    = var.aws_region
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = var.dax_client_security_group_ids
  table_name                = module.dynamodb.table_name
  table_arn                 = module.dynamodb.table_arn
  kms_key_arn               = module.kms.key_arn
  node_type                 = var.dax_node_type
  node_count                = var.dax_node_count
  notification_topic_arn    = module.monitoring.topic_arn
}

module "database" {
  source = "../../modules/database"

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
  client_security_group_ids     = concat(var.db_client_security_group_ids, [module.airflow.security_group_id])
  kms_key_arn                   = module.kms.key_arn
  backup_retention_days         = var.db_backup_retention_days
  deletion_protection           = var.environment == "prod"
  dr_mode                       = var.db_dr_mode
  dr_vpc_id                     = var.dr_vpc_id
  dr_subnet_ids                 = var.dr_private_subnet_ids
  dr_client_security_group_ids  = var.dr_db_client_security_group_ids
  dr_kms_key_arn                = module.kms.dr_key_arn
  log_retention_days            = var.log_retention_days
  performance_insights_retained = 7
}

module "secrets" {
  source = "../../modules/secrets"

  connections_prefix = local.connections_prefix
  kms_key_arn        = module.kms.key_arn
  dr_region          = var.dr_region
  dr_kms_key_arn     = module.kms.dr_key_arn

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

  gcp_project_id = var.gcp_project_id
}

module "snowflake" {
  source = "../../modules/snowflake"

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

# The primary workers' role: this region's buckets, table, queue, connection secrets and task logs only.
# The DR environment creates its own role for the DR copies.
module "iam" {
  source = "../../modules/iam"

  name                   = local.name
  account_id             = local.account_id
  regions                = [var.aws_region]
  trusted_services       = ["ecs-tasks.amazonaws.com"]
  uploads_bucket_arns    = [module.storage.bucket_arns["uploads"]]
  processed_bucket_arns  = [module.storage.bucket_arns["processed"]]
  staging_bucket_arns    = [module.storage.bucket_arns["staging"]]
  uploads_prefix         = var.uploads_prefix
  staging_prefix         = local.staging_prefix
  dynamodb_table_arns    = [module.dynamodb.table_arn]
  kms_key_arns           = [module.kms.key_arn]
  event_queue_arns       = [module.storage.event_queue_arn]
  connection_secret_arns = values(module.secrets.connection_secret_arns)
  task_log_group_arns    = [local.task_log_group_arn]

  create_snowflake_stage_role   = true
  snowflake_stage_role_name     = local.snowflake_stage_role_name
  snowflake_iam_user_arn        = module.snowflake.storage_aws_iam_user_arn
  snowflake_external_id         = module.snowflake.storage_aws_external_id
  snowflake_staging_bucket_arns = [module.storage.bucket_arns["staging"], module.storage.dr_bucket_arns["staging"]]
  snowflake_kms_key_arns        = [module.kms.key_arn, module.kms.dr_key_arn]
  snowflake_regions             = [var.aws_region, var.dr_region]
}

module "registry" {
  source = "../../modules/registry"

  repository_name = var.ecr_repository_name
  account_id      = local.account_id
  dr_region       = var.dr_region
  kms_key_arn     = module.kms.key_arn
}

module "airflow" {
  source = "../../modules/airflow"

  # Explicit: the module hands this provider on to its metadata DB under two names (aws and aws.dr).
  providers = {
    aws = aws
  }

  name                   = local.name
  account_id             = local.account_id
  region                 = var.aws_region
  vpc_id                 = var.vpc_id
  subnet_ids             = var.private_subnet_ids
  image                  = "${module.registry.repository_url}:${var.airflow_image_tag}"
  ecr_repository_arn     = module.registry.repository_arn
  ecr_kms_key_arn        = module.kms.key_arn
  kms_key_arn            = module.kms.key_arn
  worker_task_role_arn   = module.iam.worker_role_arn
  secrets_backend_kwargs = module.secrets.secrets_backend_kwargs
  docpipe_environment    = local.docpipe_environment
  extra_environment      = var.airflow_extra_environment
  log_prefix             = local.log_prefix
  task_log_group_name    = local.task_log_group_name
  log_retention_days     = var.log_retention_days
  running                = true
  worker_min_count       = var.airflow_worker_min_count
  worker_max_count       = var.airflow_worker_max_count
  worker_concurrency     = var.airflow_worker_concurrency
  deletion_protection    = var.environment == "prod"
  ui_certificate_arn     = var.airflow_ui_certificate_arn
  ui_base_url            = var.airflow_ui_base_url
  ui_allowed_cidr_blocks = var.airflow_ui_allowed_cidr_blocks
  logs_bucket_name       = module.storage.logs_bucket_name
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                     = local.name
  kms_key_arn              = module.kms.key_arn
  alarm_emails             = var.alarm_emails
  rds_instance_ids         = [module.database.identifier, module.airflow.metadata_db_identifier]
  dynamodb_table_name      = module.dynamodb.table_name
  dynamodb_replica_regions = [var.dr_region]
  event_queue_name         = module.storage.event_queue_name
  dead_letter_queue_name   = module.storage.event_dlq_name
  replicated_buckets = var.s3_replication_time_control ? [
    # Names from locals, not from the buckets: alarm names are needed while planning.
    for k in ["uploads", "processed"] : {
      source      = local.bucket_names[k]
      destination = "${local.bucket_names[k]}-dr"
      rule_id     = "to-${var.dr_region}"
    }
  ] : []
  ecs_cluster_name         = module.airflow.cluster_name
  broker_member_clusters   = module.airflow.broker_member_clusters
  watch_load_balancer      = true
  load_balancer_arn_suffix = module.airflow.ui_load_balancer_arn_suffix
  target_group_arn_suffix  = module.airflow.api_target_group_arn_suffix
  dax_cluster_name         = module.dax.cluster_name
  task_log_group_name      = local.task_log_group_name

  depends_on = [module.airflow]
}

# The replica lag alarm lives where the replica's metrics are: the DR region.
module "dr_replica_monitoring" {
  source = "../../modules/monitoring"
  count  = var.db_dr_mode == "read_replica" ? 1 : 0

  providers = {
    aws = aws.dr
  }

  name            = "${local.name}-dr-replica"
  kms_key_arn     = module.kms.dr_key_arn
  alarm_emails    = var.alarm_emails
  rds_replica_ids = ["${local.name}-dr"]
}
