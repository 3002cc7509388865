# docpipe's Airflow runtime on ECS Fargate, the image built from ../../../Dockerfile: the components of
# the official Airflow 3 layout (api-server, scheduler, dag-processor, triggerer, Celery workers) as ECS
# services in private subnets, CeleryExecutor on ElastiCache Redis, metadata in RDS PostgreSQL (stores.tf),
# component logs and remote task logs in KMS-encrypted CloudWatch log groups, connections from Secrets
# Manager, the UI behind an internal HTTPS load balancer. Why ECS and not MWAA: terraform/README.md.

locals {
  api_port    = 8080
  broker_port = 6379
  api_dns     = "airflow-api"

  # name => what runs, its size, how many, and which task role it gets. The workers and the triggerer
  # run docpipe's tasks and triggers: they get the worker role (data, connections, task logs); the
  # scheduler, DAG processor and API server get a role that can only read the task logs.
  components = {
    api-server = {
      # SimpleAuthManager reads its users' passwords from a file: written from the settings secret at start.
      command   = ["bash", "-c", "printf '%s' \"$AIRFLOW_UI_PASSWORDS\" > \"$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE\" && exec airflow api-server"]
      cpu       = 1024
      memory    = 2048
      count     = 2
      role      = "control"
      health    = "curl --fail --silent http://localhost:${local.api_port}/api/v2/monitor/health"
      secrets   = ["sql_alchemy_conn", "fernet_key", "jwt_secret", "api_secret_key", "ui_passwords"]
      extra_env = {}
    }
    scheduler = {
      command = ["scheduler"]
      cpu     = 1024
      memory  = 2048
      # Two schedulers (row-level locks in PostgreSQL): one can be replaced while the other schedules.
      count   = 2
      role    = "control"
      health  = "curl --fail --silent http://localhost:8974/health"
      secrets = ["sql_alchemy_conn", "celery_broker_url", "celery_result_backend", "fernet_key", "jwt_secret"]
      # The official image's entrypoint migrates the metadata DB before starting (Airflow locks the
      # migration, so two schedulers starting together are safe): one apply brings up a working Airflow.
      extra_env = { _AIRFLOW_DB_MIGRATE = "true", AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK = "True" }
    }
    dag-processor = {
      command   = ["dag-processor"]
      cpu       = 512
      memory    = 1024
      count     = 1
      role      = "control"
      health    = "airflow jobs check --job-type DagProcessorJob --local"
      secrets   = ["sql_alchemy_conn", "fernet_key", "jwt_secret"]
      extra_env = {}
    }
    triggerer = {
      command   = ["triggerer"]
      cpu       = 512
      memory    = 1024
      count     = 1
      role      = "worker"
      health    = "airflow jobs check --job-type TriggererJob --local"
      secrets   = ["sql_alchemy_conn", "fernet_key", "jwt_secret"]
      extra_env = {}
    }
    worker = {
      command = ["celery", "worker"]
      cpu     = var.worker_cpu
      memory  = var.worker_memory
      count   = var.worker_min_count
      role    = "worker"
      health  = "celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d \"celery@$${HOSTNAME}\""
      # Workers need no metadata-DB URL in Airflow 3 (tasks go through the execution API); the result
      # backend is the one database connection they keep.
      secrets = ["celery_broker_url", "celery_result_backend", "fernet_key", "jwt_secret"]
      # Warm shutdown: Celery finishes the running tasks when ECS stops the task.
      extra_env = { DUMB_INIT_SETSID = "0" }
    }
  }

  secret_env = {
    sql_alchemy_conn      = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
    celery_broker_url     = "AIRFLOW__CELERY__BROKER_URL"
    celery_result_backend = "AIRFLOW__CELERY__RESULT_BACKEND"
    fernet_key            = "AIRFLOW__CORE__FERNET_KEY"
    jwt_secret            = "AIRFLOW__API_AUTH__JWT_SECRET"
    api_secret_key        = "AIRFLOW__API__SECRET_KEY"
    ui_passwords          = "AIRFLOW_UI_PASSWORDS"
  }

  # Settings every component shares (a JWT secret or executor that differs between components breaks task auth).
  common_env = merge(var.docpipe_environment, var.extra_environment, {
    AIRFLOW__CORE__EXECUTOR                           = "CeleryExecutor"
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL           = "http://${local.api_dns}:${local.api_port}/execution/"
    AIRFLOW__CORE__LOAD_EXAMPLES                      = "False"
    AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION        = "True"
    AIRFLOW__CORE__AUTH_MANAGER                       = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS          = "${var.ui_admin_username}:admin"
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE = "/tmp/simple-auth-manager-passwords.json"
    AIRFLOW__API__BASE_URL                            = var.ui_base_url
    AIRFLOW__CELERY__WORKER_CONCURRENCY               = tostring(var.worker_concurrency)
    AIRFLOW__LOGGING__REMOTE_LOGGING                  = "True"
    AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER          = "cloudwatch://${aws_cloudwatch_log_group.tasks.arn}"
    AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID              = "aws_default"
    AIRFLOW__SECRETS__BACKEND                         = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    AIRFLOW__SECRETS__BACKEND_KWARGS                  = jsonencode(merge(jsondecode(var.secrets_backend_kwargs), { region_name = var.region }))
    # No secret in it (credentials come from the task role), and it names this environment's region.
    AIRFLOW_CONN_AWS_DEFAULT = jsonencode({ conn_type = "aws", extra = { region_name = var.region } })
    AWS_DEFAULT_REGION       = var.region
    # Tesseract on one thread per process; Celery runs worker_concurrency tasks side by side.
    OMP_THREAD_LIMIT = "1"
  })

  desired = { for k, c in local.components : k => var.running ? c.count : 0 }
}

# ---------------------------------------------------------------- logs
resource "aws_cloudwatch_log_group" "components" {
  name              = "/${var.log_prefix}/components"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# Remote task logs: the workers write one stream per task try, the API server reads them for the UI.
resource "aws_cloudwatch_log_group" "tasks" {
  name              = var.task_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# ---------------------------------------------------------------- IAM
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# The execution role: what ECS itself needs to start a container (pull the image, write its logs,
# inject the settings secret). The containers never get these permissions.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-airflow-execution"
  description        = "ECS starts the ${var.name} Airflow containers: image, component logs, settings secret"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  # GetAuthorizationToken has no resource-level permissions; the pulls below are limited to the repository.
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "ComponentLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.components.arn}:log-stream:*"]
  }

  statement {
    sid       = "SettingsSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.settings.arn]
  }

  statement {
    sid       = "DecryptSettingsAndImage"
    actions   = ["kms:Decrypt"]
    resources = distinct([var.kms_key_arn, var.ecr_kms_key_arn])

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.region}.amazonaws.com", "ecr.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "airflow-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The control-plane components run no docpipe code: they only read task logs for the UI.
resource "aws_iam_role" "control" {
  name               = "${var.name}-airflow-control"
  description        = "Airflow ${var.name} scheduler, DAG processor and API server: read the remote task logs"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "control" {
  statement {
    sid       = "ReadTaskLogs"
    actions   = ["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:FilterLogEvents"]
    resources = [aws_cloudwatch_log_group.tasks.arn, "${aws_cloudwatch_log_group.tasks.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "control" {
  name   = "airflow-read-task-logs"
  role   = aws_iam_role.control.id
  policy = data.aws_iam_policy_document.control.json
}

locals {
  task_roles = {
    control = aws_iam_role.control.arn
    worker  = var.worker_task_role_arn
  }
}

# ---------------------------------------------------------------- cluster
resource "aws_ecs_cluster" "this" {
  name = "${var.name}-airflow"

  setting {
    name  = "containerInsights"
    value = "enhanced"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = var.kms_key_arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.components.name
      }
    }
  }
}

resource "aws_ecs_task_definition" "component" {
  #checkov:skip=CKV_AWS_336:Airflow writes its logs, the SimpleAuthManager password file and Celery/Tesseract temporary files to the root filesystem; each task's ephemeral storage is discarded when it stops
  for_each = local.components

  family                   = "${var.name}-airflow-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = local.task_roles[each.value.role]

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name        = each.key
      image       = var.image
      command     = each.value.command
      essential   = true
      user        = "50000:0"
      stopTimeout = 120
      environment = [
        for k, v in merge(local.common_env, each.value.extra_env) : { name = k, value = v }
      ]
      secrets = [
        for key in each.value.secrets : {
          name      = local.secret_env[key]
          valueFrom = "${aws_secretsmanager_secret.settings.arn}:${key}::"
        }
      ]
      portMappings = each.key == "api-server" ? [
        { name = "api", containerPort = local.api_port, protocol = "tcp", appProtocol = "http" }
      ] : []
      healthCheck = {
        command     = ["CMD-SHELL", each.value.health]
        interval    = 30
        timeout     = 10
        retries     = 5
        startPeriod = 120
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.components.name
          awslogs-region        = var.region
          awslogs-stream-prefix = each.key
        }
      }
    }
  ])

  depends_on = [aws_secretsmanager_secret_version.settings]
}

resource "aws_ecs_service" "component" {
  for_each = { for k, c in local.components : k => c if k != "worker" }

  name                   = each.key
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.component[each.key].arn
  desired_count          = local.desired[each.key]
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  propagate_tags         = "SERVICE"
  enable_execute_command = false

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # The API server is published in the namespace; every other component is a client of it.
  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn

    dynamic "service" {
      for_each = each.key == "api-server" ? [1] : []

      content {
        port_name      = "api"
        discovery_name = local.api_dns

        client_alias {
          port     = local.api_port
          dns_name = local.api_dns
        }
      }
    }
  }

  dynamic "load_balancer" {
    for_each = each.key == "api-server" ? [1] : []

    content {
      target_group_arn = aws_lb_target_group.api.arn
      container_name   = each.key
      container_port   = local.api_port
    }
  }

  depends_on = [aws_lb_listener.https]
}

# The Celery workers: like the other components, except that their count belongs to the autoscaler once
# the service exists (an apply must not stop busy workers).
resource "aws_ecs_service" "worker" {
  name                   = "worker"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.component["worker"].arn
  desired_count          = local.desired["worker"]
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  propagate_tags         = "SERVICE"
  enable_execute_command = false

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  # Workers call the execution API from their first task on.
  depends_on = [aws_ecs_service.component]
}

# ---------------------------------------------------------------- worker autoscaling
resource "aws_appautoscaling_target" "workers" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.running ? var.worker_min_count : 0
  max_capacity       = var.running ? var.worker_max_count : 0
}

# OCR-bound batches keep the workers' CPU busy: scale on it.
resource "aws_appautoscaling_policy" "workers_cpu" {
  name               = "${var.name}-airflow-workers-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.workers.service_namespace
  resource_id        = aws_appautoscaling_target.workers.resource_id
  scalable_dimension = aws_appautoscaling_target.workers.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 70
    scale_in_cooldown  = 600
    scale_out_cooldown = 120

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
