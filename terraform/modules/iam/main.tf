# Least-privilege roles of one environment: the Airflow workers' role (the ECS task role of the Celery
# workers and the triggerer), scoped to exactly the buckets, prefixes, table, queue, connection secrets and
# task-log group that environment uses, and (in the primary environment) the role Snowflake's storage
# integration assumes to read the warehouse exports.

# ---------------------------------------------------------------- Airflow workers
data "aws_iam_policy_document" "worker_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = var.trusted_services
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "worker" {
  name                 = "${var.name}-airflow-worker"
  description          = "docpipe Airflow workers: read uploads, write results, DynamoDB read model, connections, task logs"
  assume_role_policy   = data.aws_iam_policy_document.worker_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "worker" {
  # Discovery lists exactly the interval's partitions of uploads/.
  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = var.uploads_bucket_arns

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.uploads_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for b in var.uploads_bucket_arns : "${b}/${var.uploads_prefix}/*"]
  }

  # Quarantine copies the source object (read above) to quarantine/ in the same bucket.
  statement {
    sid       = "WriteQuarantine"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for b in var.uploads_bucket_arns : "${b}/${var.quarantine_prefix}/*"]
  }

  # Results (<tenant>/<document_id>/<sha256>.json) and run manifests, which discovery reads back.
  statement {
    sid       = "WriteResults"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for b in var.processed_bucket_arns : "${b}/*"]
  }

  statement {
    sid       = "ReadManifests"
    actions   = ["s3:GetObject"]
    resources = [for b in var.processed_bucket_arns : "${b}/manifests/*"]
  }

  # The nightly export's Parquet files, read by Snowflake through its own role.
  statement {
    sid       = "WriteStaging"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for b in var.staging_bucket_arns : "${b}/${var.staging_prefix}/*"]
  }

  # Conditional puts, point reads and the tenant/status index; no scans, deletes or table changes.
  statement {
    sid       = "DocumentsReadModel"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"]
    resources = flatten([for t in var.dynamodb_table_arns : [t, "${t}/index/*"]])
  }

  dynamic "statement" {
    for_each = length(var.event_queue_arns) > 0 ? [1] : []

    content {
      sid = "UploadEvents"
      actions = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
      ]
      resources = var.event_queue_arns
    }
  }

  # Airflow's SecretsManagerBackend: these connections, nothing else.
  statement {
    sid       = "AirflowConnections"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = var.connection_secret_arns
  }

  # Remote task logs ([logging] remote_base_log_folder = cloudwatch://...): one stream per task try.
  statement {
    sid = "WriteTaskLogs"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
      "logs:GetLogEvents",
    ]
    resources = flatten([for g in var.task_log_group_arns : [g, "${g}:log-stream:*"]])
  }

  # The data key, only through the services that hold docpipe's data.
  statement {
    sid       = "DataKeyThroughServices"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = var.kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = flatten([
        for r in var.regions : [
          "s3.${r}.amazonaws.com",
          "dynamodb.${r}.amazonaws.com",
          "sqs.${r}.amazonaws.com",
          "secretsmanager.${r}.amazonaws.com",
        ]
      ])
    }
  }
}

resource "aws_iam_role_policy" "worker" {
  name   = "docpipe-worker"
  role   = aws_iam_role.worker.id
  policy = data.aws_iam_policy_document.worker.json
}

# ---------------------------------------------------------------- Snowflake's storage integration
data "aws_iam_policy_document" "snowflake_assume" {
  count = var.create_snowflake_stage_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [var.snowflake_iam_user_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.snowflake_external_id]
    }
  }
}

resource "aws_iam_role" "snowflake_stage" {
  count = var.create_snowflake_stage_role ? 1 : 0

  name                 = var.snowflake_stage_role_name
  description          = "Assumed by Snowflake's storage integration: read the warehouse exports in staging"
  assume_role_policy   = data.aws_iam_policy_document.snowflake_assume[0].json
  max_session_duration = 3600
}

# The primary and the DR staging bucket: after a failover the stage is pointed at the DR copy.
data "aws_iam_policy_document" "snowflake_stage" {
  count = var.create_snowflake_stage_role ? 1 : 0

  statement {
    sid       = "ListExports"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = var.snowflake_staging_bucket_arns

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.staging_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadExports"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for b in var.snowflake_staging_bucket_arns : "${b}/${var.staging_prefix}/*"]
  }

  statement {
    sid       = "DecryptExports"
    actions   = ["kms:Decrypt"]
    resources = var.snowflake_kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [for r in var.snowflake_regions : "s3.${r}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "snowflake_stage" {
  count = var.create_snowflake_stage_role ? 1 : 0

  name   = "snowflake-stage-read"
  role   = aws_iam_role.snowflake_stage[0].id
  policy = data.aws_iam_policy_document.snowflake_stage[0].json
}
