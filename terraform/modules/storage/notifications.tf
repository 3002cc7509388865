# New uploads -> S3 event notification -> SQS queue (+ dead-letter queue). Airflow can react to it
# through SqsSensorTrigger (an AssetWatcher) as well as by the hourly schedule.

resource "aws_sqs_queue" "upload_events_dlq" {
  name                              = "${var.name}-upload-events-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "upload_events" {
  name                              = "${var.name}-upload-events"
  visibility_timeout_seconds        = var.event_queue_visibility_secs
  message_retention_seconds         = 345600
  receive_wait_time_seconds         = 20
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.upload_events_dlq.arn
    maxReceiveCount     = var.event_max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "upload_events_dlq" {
  queue_url = aws_sqs_queue.upload_events_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.upload_events.arn]
  })
}

data "aws_iam_policy_document" "upload_events" {
  statement {
    sid       = "UploadsBucketSendsEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.upload_events.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.this["uploads"].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "upload_events" {
  queue_url = aws_sqs_queue.upload_events.id
  policy    = data.aws_iam_policy_document.upload_events.json
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.this["uploads"].id

  queue {
    id            = "new-uploads"
    queue_arn     = aws_sqs_queue.upload_events.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "${var.uploads_prefix}/"
  }

  depends_on = [aws_sqs_queue_policy.upload_events]
}
