# Least-privilege roles: the Airflow workers' role, and the role Snowflake assumes to read staging.

locals {
  regions = [var.region, var.dr_region]

  uploads_arns   = [var.bucket_arns.uploads, var.dr_bucket_arns.uploads]
  processed_arns = [var.bucket_arns.processed, var.dr_bucket_arns.processed]
  staging_arns   = [var.bucket_arns.staging, var.dr_bucket_arns.staging]

  secret_arns = [
    for r in local.regions : "arn:${var.partition}:secretsmanager:${r}:${var.account_id}:secret:${var.connections_prefix}/*"
  ]
}

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
  description          = "docpipe Airflow workers: read uploads, write results, DynamoDB read model, connections"
  assume_role_policy   = data.aws_iam_policy_document.worker_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "worker" {
  # Discovery lists exactly the interval's partitions of uploads/.
  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = local.uploads_arns

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.uploads_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for b in local.uploads_arns : "${b}/${var.uploads_prefix}/*"]
  }

  # Quarantine copies the source object (read above) to quarantine/ in the same bucket.
  statement {
    sid       = "WriteQuarantine"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for b in local.uploads_arns : "${b}/${var.quarantine_prefix}/*"]
  }

  # Results (<tenant>/<document_id>/<sha256>.json) and run manifests, which discovery reads back.
  statement {
    sid       = "WriteResults"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for b in local.processed_arns : "${b}/*"]
  }

  statement {
    sid       = "ReadManifests"
    actions   = ["s3:GetObject"]
    resources = [for b in local.processed_arns : "${b}/manifests/*"]
  }

  # The nightly export's Parquet files, read by Snowflake through its own role.
  statement {
    sid       = "WriteStaging"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for b in local.staging_arns : "${b}/${var.staging_prefix}/*"]
  }

  # Conditional puts, point reads and the tenant/status index; no scans, deletes or table changes.
  statement {
    sid     = "DocumentsReadModel"
    actions = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"]
    resources = [
      var.dynamodb_table_arn,
      "${var.dynamodb_table_arn}/index/*",
      var.dynamodb_dr_arn,
      "${var.dynamodb_dr_arn}/index/*",
    ]
  }

  statement {
    sid = "UploadEvents"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
    ]
    resources = [var.event_queue_arn]
  }

  # Airflow's SecretsManagerBackend: the connections, nothing else.
  statement {
    sid       = "AirflowConnections"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = local.secret_arns
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
        for r in local.regions : [
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
  name                 = var.snowflake_stage_role_name
  description          = "Assumed by Snowflake's storage integration: read the warehouse exports in staging"
  assume_role_policy   = data.aws_iam_policy_document.snowflake_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "snowflake_stage" {
  statement {
    sid       = "ListExports"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = local.staging_arns

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.staging_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadExports"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for b in local.staging_arns : "${b}/${var.staging_prefix}/*"]
  }

  statement {
    sid       = "DecryptExports"
    actions   = ["kms:Decrypt"]
    resources = var.kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [for r in local.regions : "s3.${r}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "snowflake_stage" {
  name   = "snowflake-stage-read"
  role   = aws_iam_role.snowflake_stage.id
  policy = data.aws_iam_policy_document.snowflake_stage.json
}
