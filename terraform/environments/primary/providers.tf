# The primary region runs docpipe; the DR region holds the replicas (S3 CRR targets, the DynamoDB
# global-table replica, the RDS cross-region replica, replicated secrets) and takes over on failover.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "dr"
  region = var.dr_region

  default_tags {
    tags = merge(local.tags, { Role = "disaster-recovery" })
  }
}

# Authentication comes from the environment, never from this file: SNOWFLAKE_USER,
# SNOWFLAKE_AUTHENTICATOR=SNOWFLAKE_JWT and SNOWFLAKE_PRIVATE_KEY (key-pair auth for a Terraform service user).
provider "snowflake" {
  organization_name = var.snowflake_organization_name
  account_name      = var.snowflake_account_name
  role              = var.snowflake_admin_role

  # Resources the provider still labels "preview"; it refuses them unless they are listed here.
  preview_features_enabled = [
    "snowflake_failover_group_resource",
    "snowflake_stage_resource",
    "snowflake_storage_integration_resource",
  ]
}
