# Who may talk to whom: the Airflow tasks reach each other (Service Connect to the API server), their
# metadata DB, the Celery broker, docpipe's database and DAX inside the VPC, and AWS, Google and Snowflake
# APIs on 443; people reach the UI through an internal load balancer from the allowed ranges only.

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-airflow-tasks"
  description = "Airflow ${var.name}: api-server, scheduler, dag-processor, triggerer and Celery workers"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "api_from_tasks" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Execution API from the workers and the triggerer (Service Connect)"
  ip_protocol                  = "tcp"
  from_port                    = local.api_port
  to_port                      = local.api_port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "UI and REST API from the internal load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.api_port
  to_port                      = local.api_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs, ECR, Google Document AI / Natural Language and Snowflake"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "tasks_in_vpc" {
  for_each = {
    postgres = 5432
    redis    = local.broker_port
    dax      = 9111
    api      = local.api_port
  }

  security_group_id = aws_security_group.tasks.id
  description       = "${each.key} inside the VPC"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_security_group" "broker" {
  name        = "${var.name}-celery-broker"
  description = "Celery broker ${var.name}: Redis over TLS from the Airflow tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "broker_from_tasks" {
  security_group_id            = aws_security_group.broker.id
  description                  = "Redis (TLS) from the Airflow tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.broker_port
  to_port                      = local.broker_port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-airflow-ui"
  description = "Airflow ${var.name} UI load balancer: HTTPS from the allowed ranges"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.ui_allowed_cidr_blocks)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the Airflow API servers"
  ip_protocol                  = "tcp"
  from_port                    = local.api_port
  to_port                      = local.api_port
  referenced_security_group_id = aws_security_group.tasks.id
}

# Service Connect: the workers reach the execution API at http://airflow-api:8080 without a load balancer.
resource "aws_service_discovery_http_namespace" "this" {
  name        = "${var.name}.airflow"
  description = "Service Connect namespace of the Airflow components of ${var.name}"
}
