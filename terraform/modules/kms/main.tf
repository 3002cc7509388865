# One multi-Region customer managed key for docpipe's data (S3, SQS, DynamoDB, RDS, Secrets Manager),
# with a replica in the DR region: the same key material, so data replicated there (S3 CRR, DynamoDB
# global table, RDS replica, secrets) stays readable after a failover. It also encrypts the log groups,
# the Celery broker and the alarm topic of both environments.

locals {
  regions = [var.region, var.dr_region]
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:a key policy's "*" resource is the key itself; this is AWS's default delegation to IAM
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is the key itself; this is AWS's default delegation to IAM
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource is the key itself; this is AWS's default delegation to IAM

  # Administration and use are delegated to IAM policies in this account (least privilege lives there).
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${var.partition}:iam::${var.account_id}:root"]
    }
  }

  # S3 event notifications write to the KMS-encrypted SQS queue as the S3 service itself.
  statement {
    sid       = "S3EventNotificationsToEncryptedQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }

  # CloudWatch Logs encrypts docpipe's log groups (Airflow components and task logs, the Celery broker's
  # slow log, RDS exports) with this key, in each region, only for log groups of this account.
  statement {
    sid = "CloudWatchLogsEncryptsLogGroups"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:DescribeKey",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = [for r in local.regions : "logs.${r}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [for r in local.regions : "arn:${var.partition}:logs:${r}:${var.account_id}:log-group:*"]
    }
  }

  # CloudWatch alarms publish to the KMS-encrypted SNS alarm topic.
  statement {
    sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: docpipe data at rest (S3, SQS, DynamoDB, RDS, Secrets Manager, logs)"
  multi_region            = true
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_kms_replica_key" "dr" {
  provider = aws.dr

  description             = "${var.name}: DR replica of the docpipe data key"
  primary_key_arn         = aws_kms_key.this.arn
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "dr" {
  provider = aws.dr

  name          = "alias/${var.name}"
  target_key_id = aws_kms_replica_key.dr.key_id
}
