output "topic_arn" {
  description = "SNS topic the alarms publish to (subscribe chat or paging integrations here)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the alarms created."
  value       = concat(sort([for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]), aws_cloudwatch_metric_alarm.task_errors[*].alarm_name)
}
