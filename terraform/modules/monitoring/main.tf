# CloudWatch alarms of one environment, to a KMS-encrypted SNS topic (e-mail subscribers optional): the
# databases, the read model, the upload-event queue, S3 replication to DR, the Airflow runtime (scheduler
# running, worker CPU, broker memory, UI errors) and errors in the remote task logs. Each group of alarms
# is created only when its resources are given, so the primary and the DR environment share this module.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  actions = [aws_sns_topic.alarms.arn]

  # name => (namespace, metric, dimensions, statistic, comparison, threshold, periods of 5 minutes, missing data)
  rds = merge([
    for id in var.rds_instance_ids : {
      "rds-${id}-cpu" = {
        namespace   = "AWS/RDS", metric = "CPUUtilization", dimensions = { DBInstanceIdentifier = id },
        statistic   = "Average", comparison = "GreaterThanThreshold", threshold = 80, periods = 3, missing = "missing",
        description = "PostgreSQL ${id}: CPU above 80% for 15 minutes"
      }
      "rds-${id}-storage" = {
        namespace = "AWS/RDS", metric = "FreeStorageSpace", dimensions = { DBInstanceIdentifier = id },
        statistic = "Minimum", comparison = "LessThanThreshold", threshold = 10 * 1024 * 1024 * 1024, periods = 1,
        missing   = "missing", description = "PostgreSQL ${id}: less than 10 GiB of storage left"
      }
    }
  ]...)

  replicas = {
    for id in var.rds_replica_ids : "rds-${id}-replica-lag" => {
      namespace   = "AWS/RDS", metric = "ReplicaLag", dimensions = { DBInstanceIdentifier = id },
      statistic   = "Maximum", comparison = "GreaterThanThreshold", threshold = var.replica_lag_threshold_seconds,
      periods     = 3, missing = "breaching",
      description = "DR replica ${id}: more than ${var.replica_lag_threshold_seconds}s behind the primary (the database RPO)"
    }
  }

  dynamodb = var.dynamodb_table_name == null ? {} : merge(
    {
      for m in ["ReadThrottleEvents", "WriteThrottleEvents"] : "dynamodb-${lower(m)}" => {
        namespace   = "AWS/DynamoDB", metric = m, dimensions = { TableName = var.dynamodb_table_name },
        statistic   = "Sum", comparison = "GreaterThanThreshold", threshold = 0, periods = 1, missing = "notBreaching",
        description = "DynamoDB ${var.dynamodb_table_name}: ${m}"
      }
    },
    {
      for r in var.dynamodb_replica_regions : "dynamodb-replication-latency-${r}" => {
        namespace   = "AWS/DynamoDB", metric = "ReplicationLatency",
        dimensions  = { TableName = var.dynamodb_table_name, ReceivingRegion = r },
        statistic   = "Average", comparison = "GreaterThanThreshold", threshold = 60000, periods = 3, missing = "missing",
        description = "DynamoDB global table: replication to ${r} more than a minute behind"
      }
    },
  )

  queues = merge(
    var.dead_letter_queue_name == null ? {} : {
      "sqs-dead-letters" = {
        namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible",
        dimensions  = { QueueName = var.dead_letter_queue_name },
        statistic   = "Maximum", comparison = "GreaterThanThreshold", threshold = 0, periods = 1, missing = "notBreaching",
        description = "Upload events failed ${var.dead_letter_queue_name}'s consumer repeatedly (dead-letter queue not empty)"
      }
    },
    var.event_queue_name == null ? {} : {
      "sqs-oldest-event" = {
        namespace   = "AWS/SQS", metric = "ApproximateAgeOfOldestMessage", dimensions = { QueueName = var.event_queue_name },
        statistic   = "Maximum", comparison = "GreaterThanThreshold", threshold = 7200, periods = 1, missing = "notBreaching",
        description = "Upload events older than two hours: nothing consumes ${var.event_queue_name}"
      }
    },
  )

  replication = {
    for b in var.replicated_buckets : "s3-replication-failed-${b.source}" => {
      namespace   = "AWS/S3", metric = "OperationsFailedReplication",
      dimensions  = { SourceBucket = b.source, DestinationBucket = b.destination, RuleId = b.rule_id },
      statistic   = "Sum", comparison = "GreaterThanThreshold", threshold = 0, periods = 1, missing = "notBreaching",
      description = "S3 replication of ${b.source} to the DR region failed for some objects"
    }
  }

  airflow = var.ecs_cluster_name == null ? {} : merge(
    {
      "airflow-scheduler-running" = {
        namespace   = "ECS/ContainerInsights", metric = "RunningTaskCount",
        dimensions  = { ClusterName = var.ecs_cluster_name, ServiceName = var.scheduler_service_name },
        statistic   = "Minimum", comparison = "LessThanThreshold", threshold = 1, periods = 2, missing = "breaching",
        description = "No Airflow scheduler running in ${var.ecs_cluster_name}: nothing is scheduled"
      }
      "airflow-worker-cpu" = {
        namespace   = "AWS/ECS", metric = "CPUUtilization",
        dimensions  = { ClusterName = var.ecs_cluster_name, ServiceName = var.worker_service_name },
        statistic   = "Average", comparison = "GreaterThanThreshold", threshold = 90, periods = 6, missing = "missing",
        description = "Celery workers above 90% CPU for 30 minutes (at their autoscaling ceiling?)"
      }
    },
    {
      for c in var.broker_member_clusters : "celery-broker-memory-${c}" => {
        namespace   = "AWS/ElastiCache", metric = "DatabaseMemoryUsagePercentage", dimensions = { CacheClusterId = c },
        statistic   = "Maximum", comparison = "GreaterThanThreshold", threshold = 80, periods = 2, missing = "missing",
        description = "Celery broker node ${c}: memory above 80% (queued tasks piling up?)"
      }
    },
    !var.watch_load_balancer ? {} : {
      "airflow-ui-5xx" = {
        namespace   = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count",
        dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix },
        statistic   = "Sum", comparison = "GreaterThanThreshold", threshold = 10, periods = 1, missing = "notBreaching",
        description = "Airflow API servers answered more than 10 errors in 5 minutes"
      }
    },
  )

  dax = var.dax_cluster_name == null ? {} : {
    "dax-errors" = {
      namespace   = "AWS/DAX", metric = "ErrorRequestCount", dimensions = { ClusterId = var.dax_cluster_name },
      statistic   = "Sum", comparison = "GreaterThanThreshold", threshold = 10, periods = 1, missing = "notBreaching",
      description = "DAX ${var.dax_cluster_name}: requests failing"
    }
  }

  alarms = merge(local.rds, local.replicas, local.dynamodb, local.queues, local.replication, local.airflow, local.dax)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = 300
  evaluation_periods  = each.value.periods
  treat_missing_data  = each.value.missing
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# ---------------------------------------------------------------- errors in the remote task logs
resource "aws_cloudwatch_log_metric_filter" "task_errors" {
  count = var.task_log_group_name == null ? 0 : 1

  name           = "${var.name}-task-errors"
  log_group_name = var.task_log_group_name
  # Task logs are JSON lines; a failed task logs "Task failed with exception" at level error.
  pattern = "{ $.level = \"error\" }"

  metric_transformation {
    name          = "TaskLogErrors"
    namespace     = "docpipe/${var.name}"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "task_errors" {
  count = var.task_log_group_name == null ? 0 : 1

  alarm_name          = "${var.name}-airflow-task-errors"
  alarm_description   = "More than ${var.task_error_threshold} error lines in the Airflow task logs in an hour"
  namespace           = "docpipe/${var.name}"
  metric_name         = aws_cloudwatch_log_metric_filter.task_errors[0].metric_transformation[0].name
  statistic           = "Sum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.task_error_threshold
  period              = 3600
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
