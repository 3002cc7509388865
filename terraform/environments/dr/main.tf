# The DR environment: docpipe's Airflow runtime in the DR region, on the copies the primary environment
# keeps there all the time (the -dr buckets, the DynamoDB global-table replica, the RDS replica, the
# replicated connection secrets, the replica key, the replicated image). One `terraform apply` launches
# it: with running = true during a failover (terraform/README.md), or ahead of time with running = false
# as a pilot light that only needs that one variable flipped.
#
# Everything from the primary environment is found by name in the DR region, never through the primary's
# state or API: its state bucket and its region may be the thing that is down.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  primary_name = "${var.project}-${var.environment}"
  name         = "${local.primary_name}-dr"
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Role        = "disaster-recovery"
  })

  # The names ../primary gives the DR copies.
  bucket_names = {
    uploads   = "${local.primary_name}-uploads-${local.account_id}-dr"
    processed = "${local.primary_name}-processed-${local.account_id}-dr"
    staging   = "${local.primary_name}-staging-${local.account_id}-dr"
  }
  logs_bucket_name = "${local.primary_name}-logs-${local.account_id}-dr"

  staging_prefix     = "warehouse"
  connections_prefix = "airflow/connections"
  # The connections ../primary keeps in Secrets Manager (modules/secrets); aws_default comes from the
  # environment and names this region.
  connection_ids = ["docpipe_postgres", "google_cloud_default", "snowflake_default"]
  secrets_backend_kwargs = jsonencode({
    connections_prefix         = local.connections_prefix
    connections_lookup_pattern = "^(${join("|", local.connection_ids)})$"
    variables_prefix           = null
    config_prefix              = null
  })

  log_prefix          = "${var.project}/${var.environment}-dr/airflow"
  task_log_group_name = "/${local.log_prefix}/tasks"
  task_log_group_arn  = "arn:${local.partition}:logs:${var.dr_region}:${local.account_id}:log-group:${local.task_log_group_name}"

  docpipe_environment = {
    DOCPIPE_UPLOADS_BUCKET    = data.aws_s3_bucket.dr["uploads"].id
    DOCPIPE_PROCESSED_BUCKET  = data.aws_s3_bucket.dr["processed"].id
    DOCPIPE_STAGING_BUCKET    = data.aws_s3_bucket.dr["staging"].id
    DOCPIPE_UPLOADS_PREFIX    = var.uploads_prefix
    DOCPIPE_DYNAMODB_TABLE    = data.aws_dynamodb_table.documents.name
    DOCPIPE_SNOWFLAKE_BACKEND = "snowflake"
  }
}

# ---------------------------------------------------------------- what the primary environment keeps here
data "aws_kms_alias" "data" {
  name = "alias/${local.primary_name}"
}

data "aws_s3_bucket" "dr" {
  for_each = local.bucket_names

  bucket = each.value
}

data "aws_dynamodb_table" "documents" {
  name = var.dynamodb_table_name
}

data "aws_secretsmanager_secret" "connection" {
  for_each = toset(local.connection_ids)

  name = "${local.connections_prefix}/${each.key}"
}

data "aws_ecr_repository" "airflow" {
  name = var.ecr_repository_name
}

# ---------------------------------------------------------------- the DR runtime
module "iam" {
  source = "../../modules/iam"

  name                   = local.name
  account_id             = local.account_id
  regions                = [var.dr_region]
  trusted_services       = ["ecs-tasks.amazonaws.com"]
  uploads_bucket_arns    = [data.aws_s3_bucket.dr["uploads"].arn]
  processed_bucket_arns  = [data.aws_s3_bucket.dr["processed"].arn]
  staging_bucket_arns    = [data.aws_s3_bucket.dr["staging"].arn]
  uploads_prefix         = var.uploads_prefix
  staging_prefix         = local.staging_prefix
  dynamodb_table_arns    = [data.aws_dynamodb_table.documents.arn]
  kms_key_arns           = [data.aws_kms_alias.data.target_key_arn]
  connection_secret_arns = [for id in local.connection_ids : data.aws_secretsmanager_secret.connection[id].arn]
  task_log_group_arns    = [local.task_log_group_arn]
}

module "airflow" {
  source = "../../modules/airflow"

  # Explicit: the module hands this provider on to its metadata DB under two names (aws and aws.dr).
  providers = {
    aws = aws
  }

  name                   = local.name
  account_id             = local.account_id
  region                 = var.dr_region
  vpc_id                 = var.vpc_id
  subnet_ids             = var.private_subnet_ids
  image                  = "${data.aws_ecr_repository.airflow.repository_url}:${var.airflow_image_tag}"
  ecr_repository_arn     = data.aws_ecr_repository.airflow.arn
  ecr_kms_key_arn        = data.aws_kms_alias.data.target_key_arn
  kms_key_arn            = data.aws_kms_alias.data.target_key_arn
  worker_task_role_arn   = module.iam.worker_role_arn
  secrets_backend_kwargs = local.secrets_backend_kwargs
  docpipe_environment    = local.docpipe_environment
  extra_environment      = var.airflow_extra_environment
  log_prefix             = local.log_prefix
  task_log_group_name    = local.task_log_group_name
  log_retention_days     = var.log_retention_days
  running                = var.running
  worker_min_count       = var.airflow_worker_min_count
  worker_max_count       = var.airflow_worker_max_count
  worker_concurrency     = var.airflow_worker_concurrency
  deletion_protection    = var.environment == "prod"
  ui_certificate_arn     = var.airflow_ui_certificate_arn
  ui_base_url            = var.airflow_ui_base_url
  ui_allowed_cidr_blocks = var.airflow_ui_allowed_cidr_blocks
  logs_bucket_name       = local.logs_bucket_name
}

# The DR database (the promoted replica) lets the DR Airflow tasks in.
resource "aws_vpc_security_group_ingress_rule" "app_db_from_airflow" {
  count = var.app_db_security_group_id == null ? 0 : 1

  security_group_id            = var.app_db_security_group_id
  description                  = "PostgreSQL from the DR Airflow tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = module.airflow.security_group_id
}

module "dax" {
  source = "../../modules/dax"

  name                      = local.primary_name
  role_name                 = "${local.name}-dax"
  account_id                = local.account_id
  region                    = var.dr_region
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  client_security_group_ids = var.dax_client_security_group_ids
  table_name                = data.aws_dynamodb_table.documents.name
  table_arn                 = data.aws_dynamodb_table.documents.arn
  kms_key_arn               = data.aws_kms_alias.data.target_key_arn
  node_type                 = var.dax_node_type
  node_count                = var.dax_node_count
  notification_topic_arn    = module.monitoring.topic_arn
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                = local.name
  kms_key_arn         = data.aws_kms_alias.data.target_key_arn
  alarm_emails        = var.alarm_emails
  rds_instance_ids    = compact([var.app_db_identifier, module.airflow.metadata_db_identifier])
  dynamodb_table_name = data.aws_dynamodb_table.documents.name
  # A pilot light runs no scheduler on purpose: no Airflow alarms until it runs.
  ecs_cluster_name         = var.running ? module.airflow.cluster_name : null
  broker_member_clusters   = module.airflow.broker_member_clusters
  watch_load_balancer      = true
  load_balancer_arn_suffix = module.airflow.ui_load_balancer_arn_suffix
  target_group_arn_suffix  = module.airflow.api_target_group_arn_suffix
  dax_cluster_name         = module.dax.cluster_name
  task_log_group_name      = local.task_log_group_name

  depends_on = [module.airflow]
}
