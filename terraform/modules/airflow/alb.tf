# The UI and REST API behind an internal Application Load Balancer: HTTPS only (TLS 1.2+), reachable from
# ui_allowed_cidr_blocks (the VPN or office ranges), access logs to the logs bucket.

resource "aws_lb" "ui" {
  #checkov:skip=CKV2_AWS_28:internal load balancer reachable only from ui_allowed_cidr_blocks; attach a WAF web ACL with aws_wafv2_web_acl_association if the UI is ever exposed more widely
  name                       = substr("${var.name}-airflow", 0, 32)
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 120

  access_logs {
    bucket  = var.logs_bucket_name
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_target_group" "api" {
  #checkov:skip=CKV_AWS_378:TLS ends at the internal load balancer; from there to the API server the traffic stays in the private subnets, limited by security groups to the load balancer
  name        = substr("${var.name}-airflow-api", 0, 32)
  port        = local.api_port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path                = "/api/v2/monitor/health"
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.ui.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.ui_certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}
