# docpipe's read model: one item per document, keyed exactly as include/docpipe/storage/dynamodb.py
# creates it locally (tenant_id / document_id, GSI tenant_status_updated on tenant_status + uploaded_at,
# all attributes projected). On-demand capacity, point-in-time recovery, KMS encryption, and a replica
# in the DR region (a global table, version 2019.11.21): the replica accepts writes after a failover.
# Writes are conditional on the document version, so the last-writer-wins merge of a global table
# cannot let an older version replace a newer one once both regions have converged.

resource "aws_dynamodb_table" "documents" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "tenant_id"
  range_key                   = "document_id"
  deletion_protection_enabled = var.deletion_protection

  # Global tables replicate through the stream.
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "tenant_id"
    type = "S"
  }

  attribute {
    name = "document_id"
    type = "S"
  }

  attribute {
    name = "tenant_status"
    type = "S"
  }

  attribute {
    name = "uploaded_at"
    type = "S"
  }

  # "documents of tenant T in status S, newest first": tenant_status = "<tenant>#<status>".
  global_secondary_index {
    name            = "tenant_status_updated"
    hash_key        = "tenant_status"
    range_key       = "uploaded_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  replica {
    region_name            = var.dr_region
    kms_key_arn            = var.dr_kms_key_arn
    point_in_time_recovery = true
    propagate_tags         = true
  }
}
