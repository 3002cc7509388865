variable "name" {
  description = "Prefix of the alarm names and the topic."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed key of this region for the SNS topic."
  type        = string
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each confirms by mail); chat or paging tools subscribe to the topic themselves."
  type        = list(string)
  default     = []
}

variable "rds_instance_ids" {
  description = "RDS instances watched for CPU and free storage."
  type        = list(string)
  default     = []
}

variable "rds_replica_ids" {
  description = "Cross-region replicas watched for replication lag."
  type        = list(string)
  default     = []
}

variable "replica_lag_threshold_seconds" {
  description = "Replica lag that raises the alarm, seconds."
  type        = number
  default     = 300
}

variable "dynamodb_table_name" {
  description = "The documents table (null: no DynamoDB alarms)."
  type        = string
  default     = null
}

variable "dynamodb_replica_regions" {
  description = "Regions of the global table's replicas, watched for replication latency (primary environment)."
  type        = list(string)
  default     = []
}

variable "event_queue_name" {
  description = "The upload-events queue (null: none)."
  type        = string
  default     = null
}

variable "dead_letter_queue_name" {
  description = "Its dead-letter queue (null: none)."
  type        = string
  default     = null
}

variable "replicated_buckets" {
  description = "S3 replication rules to watch: source bucket, destination bucket, rule id (needs replication metrics, which Replication Time Control turns on)."
  type        = list(object({ source = string, destination = string, rule_id = string }))
  default     = []
}

variable "ecs_cluster_name" {
  description = "ECS cluster of the Airflow runtime (null: no Airflow alarms)."
  type        = string
  default     = null
}

variable "scheduler_service_name" {
  description = "ECS service of the scheduler."
  type        = string
  default     = "scheduler"
}

variable "worker_service_name" {
  description = "ECS service of the Celery workers."
  type        = string
  default     = "worker"
}

variable "broker_member_clusters" {
  description = "ElastiCache nodes of the Celery broker."
  type        = list(string)
  default     = []
}

# A flag rather than a null check: the suffixes are only known after apply, and alarm names must be known
# when planning.
variable "watch_load_balancer" {
  description = "Create the UI load balancer alarm (load_balancer_arn_suffix and target_group_arn_suffix then required)."
  type        = bool
  default     = false
}

variable "load_balancer_arn_suffix" {
  description = "The UI load balancer (CloudWatch dimension), or null."
  type        = string
  default     = null
}

variable "target_group_arn_suffix" {
  description = "The API servers' target group (CloudWatch dimension)."
  type        = string
  default     = null
}

variable "dax_cluster_name" {
  description = "The DAX cluster (null: none)."
  type        = string
  default     = null
}

variable "task_log_group_name" {
  description = "Log group of the remote task logs (null: no task-error alarm)."
  type        = string
  default     = null
}

variable "task_error_threshold" {
  description = "Error lines in the task logs per hour that raise the alarm."
  type        = number
  default     = 10
}
