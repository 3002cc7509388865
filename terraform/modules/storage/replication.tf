# Cross-region replication of uploads and processed to DR buckets encrypted with the DR replica key.
# Staging is not replicated: its Parquet files are re-exported from Postgres by rerunning warehouse_load;
# an empty DR staging bucket waits for the first export after a failover.

locals {
  replicated = toset(["uploads", "processed"])
  dr_buckets = toset(["uploads", "processed", "staging"])
}

# ---------------------------------------------------------------- DR buckets
resource "aws_s3_bucket" "dr" {
  #checkov:skip=CKV_AWS_144:the DR copies are the replication targets (uploads, processed) or re-exportable (staging)
  #checkov:skip=CKV2_AWS_62:the DR copies have no event consumer until a failover (the hourly schedule needs none)
  #checkov:skip=CKV2_AWS_61:each DR bucket has its rules below (checkov does not link for_each instances to them)
  provider = aws.dr
  for_each = local.dr_buckets

  bucket = "${local.buckets[each.key]}-dr"
}

resource "aws_s3_bucket_ownership_controls" "dr" {
  provider = aws.dr
  for_each = local.dr_buckets

  bucket = aws_s3_bucket.dr[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "dr" {
  provider = aws.dr
  for_each = local.dr_buckets

  bucket                  = aws_s3_bucket.dr[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "dr" {
  provider = aws.dr
  for_each = local.dr_buckets

  bucket = aws_s3_bucket.dr[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "dr" {
  provider = aws.dr
  for_each = local.dr_buckets

  bucket = aws_s3_bucket.dr[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.dr_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

data "aws_iam_policy_document" "dr_tls_only" {
  for_each = aws_s3_bucket.dr

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "dr" {
  provider = aws.dr
  for_each = local.dr_buckets

  bucket = aws_s3_bucket.dr[each.key].id
  policy = data.aws_iam_policy_document.dr_tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.dr]
}

resource "aws_s3_bucket_lifecycle_configuration" "dr_uploads" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr["uploads"].id

  rule {
    id     = "quarantine"
    status = "Enabled"

    filter {
      prefix = "${var.quarantine_prefix}/"
    }

    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }

    expiration {
      days = var.quarantine_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  rule {
    id     = "uploads-noncurrent"
    status = "Enabled"

    filter {
      prefix = "${var.uploads_prefix}/"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_retention_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.dr]
}

resource "aws_s3_bucket_lifecycle_configuration" "dr_processed" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr["processed"].id

  rule {
    id     = "processed-noncurrent"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.dr]
}

resource "aws_s3_bucket_lifecycle_configuration" "dr_staging" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr["staging"].id

  rule {
    id     = "staging-expire"
    status = "Enabled"

    filter {}

    expiration {
      days = var.staging_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.dr]
}

# ---------------------------------------------------------------- DR logs (S3 access logs of the DR buckets, the DR load balancer)
data "aws_elb_service_account" "dr" {
  provider = aws.dr
}

resource "aws_s3_bucket" "dr_logs" {
  #checkov:skip=CKV_AWS_145:S3 server access logs and ALB access logs are delivered only to buckets encrypted with SSE-S3
  #checkov:skip=CKV_AWS_144:access logs are regional audit data
  #checkov:skip=CKV2_AWS_62:nothing consumes events of the logs bucket
  #checkov:skip=CKV_AWS_18:the logs bucket does not log itself
  provider = aws.dr

  bucket = "${var.name}-logs-${var.account_id}-dr"
}

resource "aws_s3_bucket_ownership_controls" "dr_logs" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "dr_logs" {
  provider = aws.dr

  bucket                  = aws_s3_bucket.dr_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "dr_logs" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "dr_logs" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "dr_logs" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = 365
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "dr_logs" {
  statement {
    sid       = "S3ServerAccessLogsDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.dr_logs.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }

  statement {
    sid       = "AlbAccessLogsDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.dr_logs.arn}/alb/AWSLogs/${var.account_id}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.dr.arn]
    }
  }

  statement {
    sid       = "AlbAccessLogsDeliveryService"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.dr_logs.arn}/alb/AWSLogs/${var.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.dr_logs.arn, "${aws_s3_bucket.dr_logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "dr_logs" {
  provider = aws.dr

  bucket = aws_s3_bucket.dr_logs.id
  policy = data.aws_iam_policy_document.dr_logs.json

  depends_on = [aws_s3_bucket_public_access_block.dr_logs]
}

resource "aws_s3_bucket_logging" "dr" {
  provider = aws.dr
  for_each = local.dr_buckets

  bucket        = aws_s3_bucket.dr[each.key].id
  target_bucket = aws_s3_bucket.dr_logs.id
  target_prefix = "s3/${aws_s3_bucket.dr[each.key].id}/"
}

# ---------------------------------------------------------------- replication role
data "aws_iam_policy_document" "replication_assume" {
  statement {
    actions = ["sts:AssumeRole"]

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
}

resource "aws_iam_role" "replication" {
  name               = "${var.name}-s3-replication"
  description        = "S3 cross-region replication of the docpipe uploads and processed buckets to ${var.dr_region}"
  assume_role_policy = data.aws_iam_policy_document.replication_assume.json
}

data "aws_iam_policy_document" "replication" {
  statement {
    sid       = "ReadSourceConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [for k in local.replicated : aws_s3_bucket.this[k].arn]
  }

  statement {
    sid = "ReadSourceVersions"
    actions = [
      "s3:GetObjectVersionForReplication",
      "s3:GetObjectVersionAcl",
      "s3:GetObjectVersionTagging",
    ]
    resources = [for k in local.replicated : "${aws_s3_bucket.this[k].arn}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = [for k in local.replicated : "${aws_s3_bucket.dr[k].arn}/*"]
  }

  statement {
    sid       = "DecryptSource"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "EncryptReplicas"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.dr_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.dr_region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "replication" {
  name   = "s3-cross-region-replication"
  role   = aws_iam_role.replication.id
  policy = data.aws_iam_policy_document.replication.json
}

# ---------------------------------------------------------------- replication rules
resource "aws_s3_bucket_replication_configuration" "this" {
  for_each = local.replicated

  bucket = aws_s3_bucket.this[each.key].id
  role   = aws_iam_role.replication.arn

  rule {
    id       = "to-${var.dr_region}"
    status   = "Enabled"
    priority = 1

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = aws_s3_bucket.dr[each.key].arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = var.dr_kms_key_arn
      }

      dynamic "replication_time" {
        for_each = var.replication_time_control ? [1] : []

        content {
          status = "Enabled"

          time {
            minutes = 15
          }
        }
      }

      dynamic "metrics" {
        for_each = var.replication_time_control ? [1] : []

        content {
          status = "Enabled"

          event_threshold {
            minutes = 15
          }
        }
      }
    }
  }

  # Replication needs versioning on both sides first.
  depends_on = [aws_s3_bucket_versioning.this, aws_s3_bucket_versioning.dr]
}
