output "cluster_name" {
  description = "ECS cluster of the Airflow components."
  value       = aws_ecs_cluster.this.name
}

output "service_names" {
  description = "ECS service of each component."
  value       = merge({ for k, s in aws_ecs_service.component : k => s.name }, { worker = aws_ecs_service.worker.name })
}

output "security_group_id" {
  description = "Security group of the Airflow tasks (allow it into docpipe's database and DAX)."
  value       = aws_security_group.tasks.id
}

output "ui_load_balancer_dns_name" {
  description = "DNS name of the internal UI load balancer: point ui_base_url's name at it."
  value       = aws_lb.ui.dns_name
}

output "ui_load_balancer_arn_suffix" {
  description = "CloudWatch dimension LoadBalancer of the UI load balancer."
  value       = aws_lb.ui.arn_suffix
}

output "api_target_group_arn_suffix" {
  description = "CloudWatch dimension TargetGroup of the API servers."
  value       = aws_lb_target_group.api.arn_suffix
}

output "component_log_group_name" {
  description = "Log group of the components' own output."
  value       = aws_cloudwatch_log_group.components.name
}

output "task_log_group_name" {
  description = "Log group of the remote task logs."
  value       = aws_cloudwatch_log_group.tasks.name
}

output "broker_member_clusters" {
  description = "ElastiCache nodes of the Celery broker (CloudWatch dimension CacheClusterId)."
  # Built from the replication group's id (ElastiCache numbers its nodes -001, -002) so that alarms on them
  # can be planned before the group exists.
  value = [for i in range(1, local.broker_nodes + 1) : format("%s-%03d", local.broker_id, i)]
}

output "metadata_db_identifier" {
  description = "RDS identifier of the Airflow metadata DB."
  value       = module.metadata_db.identifier
}

output "settings_secret_arn" {
  description = "Secret with the Airflow settings (metadata DB URL, broker, keys, UI password under ui_passwords)."
  value       = aws_secretsmanager_secret.settings.arn
}

output "init_task_definition" {
  description = "Task definition to run one-off commands with (aws ecs run-task ... --overrides): the scheduler's."
  value       = aws_ecs_task_definition.component["scheduler"].arn
}
