# docpipe's Airflow connections in Secrets Manager, named the way Airflow's SecretsManagerBackend looks them
# up: <connections_prefix>/<conn_id>, e.g. airflow/connections/docpipe_postgres. Airflow is pointed at them with
#   AIRFLOW__SECRETS__BACKEND=airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend
#   AIRFLOW__SECRETS__BACKEND_KWARGS={"connections_prefix": "airflow/connections", "variables_prefix": null, "config_prefix": null}
# Values are JSON documents with the connection's fields (conn_type, host, login, password, ...).
# Every secret is encrypted with the customer managed key and replicated to the DR region.
# aws_default is not here: it holds no secret (the workers' credentials come from their IAM role) and
# names the environment's own region, so each environment sets it as AIRFLOW_CONN_AWS_DEFAULT and the
# backend's connections_lookup_pattern sends only the connections below to Secrets Manager.

# The application role's password. RDS does not create that role: see terraform/README.md, "First apply".
resource "random_password" "postgres" {
  length  = 40
  special = false
}

# docpipe_postgres: the keys satisfy both readers. Airflow's SecretsManagerBackend maps engine -> conn_type,
# username -> login, database -> schema; AWS's RDS PostgreSQL rotation function reads engine, host, port,
# username, password and dbname, and writes back the whole document with a new password.
resource "aws_secretsmanager_secret" "postgres" {
  #checkov:skip=CKV2_AWS_57:rotation is switched on by postgres_rotation_lambda_arn (aws_secretsmanager_secret_rotation below)
  name                    = "${var.connections_prefix}/docpipe_postgres"
  description             = "Airflow connection docpipe_postgres: docpipe application database (RDS PostgreSQL), role ${var.postgres_username}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days

  replica {
    region     = var.dr_region
    kms_key_id = var.dr_kms_key_arn
  }
}

resource "aws_secretsmanager_secret_version" "postgres" {
  secret_id = aws_secretsmanager_secret.postgres.id
  secret_string = jsonencode({
    engine   = "postgres"
    host     = var.postgres_host
    port     = var.postgres_port
    dbname   = var.postgres_database
    database = var.postgres_database
    username = var.postgres_username
    password = random_password.postgres.result
    extra    = jsonencode({ sslmode = "require" })
  })

  # Once rotation runs, the password in Secrets Manager is the truth: Terraform must not put the first
  # one back. A new host (e.g. a promoted replica) is written by the failover runbook.
  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret_rotation" "postgres" {
  count = var.postgres_rotation_lambda_arn == null ? 0 : 1

  secret_id           = aws_secretsmanager_secret.postgres.id
  rotation_lambda_arn = var.postgres_rotation_lambda_arn

  rotation_rules {
    automatically_after_days = var.postgres_rotation_days
  }
}

# The Snowflake loader authenticates with a key pair whose private key never passes through Terraform:
# Terraform writes the connection without it, an operator adds "private_key_content" (and rotates it)
# with `aws secretsmanager put-secret-value`, and Terraform leaves the value alone afterwards.
resource "aws_secretsmanager_secret" "snowflake" {
  #checkov:skip=CKV2_AWS_57:a key pair, rotated in Snowflake (ALTER USER ... SET RSA_PUBLIC_KEY_2) and put here by an operator
  name                    = "${var.connections_prefix}/snowflake_default"
  description             = "Airflow connection snowflake_default: docpipe's nightly load into ${var.snowflake_database}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days

  replica {
    region     = var.dr_region
    kms_key_id = var.dr_kms_key_arn
  }
}

resource "aws_secretsmanager_secret_version" "snowflake" {
  secret_id = aws_secretsmanager_secret.snowflake.id
  secret_string = jsonencode({
    conn_type = "snowflake"
    login     = var.snowflake_user
    extra = jsonencode({
      account   = var.snowflake_account
      database  = var.snowflake_database
      warehouse = var.snowflake_warehouse
      role      = var.snowflake_role
    })
  })

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# google_cloud_default: Document AI and Natural Language moderation in production. Terraform writes the
# connection without credentials; an operator adds them (a Workload Identity Federation credential config,
# so the workers' AWS role becomes a Google identity without a key, or a service-account key) with
# `aws secretsmanager put-secret-value`, and Terraform leaves the value alone afterwards.
resource "aws_secretsmanager_secret" "google" {
  #checkov:skip=CKV2_AWS_57:federated credentials hold no secret to rotate; a service-account key is rotated in Google Cloud and put here by an operator
  name                    = "${var.connections_prefix}/google_cloud_default"
  description             = "Airflow connection google_cloud_default: Document AI extraction and text moderation"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days

  replica {
    region     = var.dr_region
    kms_key_id = var.dr_kms_key_arn
  }
}

resource "aws_secretsmanager_secret_version" "google" {
  secret_id = aws_secretsmanager_secret.google.id
  secret_string = jsonencode({
    conn_type = "google_cloud_platform"
    extra     = jsonencode({ project = var.gcp_project_id })
  })

  lifecycle {
    ignore_changes = [secret_string]
  }
}
