# DAX in front of the documents table, for the application's reads of the read model (point reads and the
# tenant/status index). Nodes in private subnets across availability zones, encryption at rest, TLS-only
# endpoint. docpipe's workers keep writing to DynamoDB directly (conditional puts on the version): DAX's
# item cache expires after record_ttl_ms, so the role DAX uses to reach the table may only read.

locals {
  # 9111 is the TLS endpoint's port (8111 is the unencrypted one, which this cluster does not offer).
  port = 9111
}

resource "aws_dax_subnet_group" "this" {
  name        = var.name
  description = "Private subnets of the ${var.name} DAX cluster"
  subnet_ids  = var.subnet_ids
}

resource "aws_security_group" "this" {
  name        = "${var.name}-dax"
  description = "DAX ${var.name}: ${local.port} (TLS) from the application security groups only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "DAX over TLS from an application security group"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.client_security_group_ids[count.index]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["dax.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = "DAX ${var.name}: read the documents table and its index"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "read_table" {
  statement {
    sid = "ReadDocuments"
    actions = [
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [var.table_arn, "${var.table_arn}/index/*"]
  }

  # The table is encrypted with the customer managed key: DAX decrypts items only through DynamoDB.
  statement {
    sid       = "DecryptThroughDynamoDB"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "dax-read-documents"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.read_table.json
}

resource "aws_dax_parameter_group" "this" {
  name        = var.name
  description = "docpipe read model: item and query cache lifetimes"

  parameters {
    name  = "record-ttl-millis"
    value = tostring(var.record_ttl_ms)
  }

  parameters {
    name  = "query-ttl-millis"
    value = tostring(var.query_ttl_ms)
  }
}

resource "aws_dax_cluster" "this" {
  cluster_name       = var.name
  description        = "Read cache of ${var.table_name}"
  iam_role_arn       = aws_iam_role.this.arn
  node_type          = var.node_type
  replication_factor = var.node_count

  subnet_group_name      = aws_dax_subnet_group.this.name
  security_group_ids     = [aws_security_group.this.id]
  parameter_group_name   = aws_dax_parameter_group.this.name
  maintenance_window     = "sun:05:00-sun:06:00"
  notification_topic_arn = var.notification_topic_arn

  cluster_endpoint_encryption_type = "TLS"

  server_side_encryption {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.this]
}
