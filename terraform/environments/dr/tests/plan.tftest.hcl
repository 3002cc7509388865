# `terraform test` (after `terraform init -backend=false`): plans the dr environment with mocked
# providers, no account or credentials. It catches what `validate` cannot: values unknown until apply where
# Terraform needs them while planning (for_each keys, counts), provider-side argument checks, and variable
# validations against a complete, realistic set of inputs.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_vpc" {
    defaults = { cidr_block = "10.1.0.0/16" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_kms_alias" {
    defaults = { target_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef" }
  }
  mock_data "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:eu-central-1:123456789012:table/docpipe-documents", name = "docpipe-documents" }
  }
  mock_data "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::docpipe-prod-uploads-123456789012-dr" }
  }
  mock_data "aws_ecr_repository" {
    defaults = { arn = "arn:aws:ecr:eu-central-1:123456789012:repository/docpipe-airflow", repository_url = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/docpipe-airflow" }
  }
  mock_data "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:airflow/connections/x-AbCdEf" }
  }
}

mock_provider "random" {}

variables {
  environment                    = "prod"
  dr_region                      = "eu-central-1"
  vpc_id                         = "vpc-0fedcba9876543210"
  private_subnet_ids             = ["subnet-0fedcba9876543210", "subnet-0fedcba9876543211"]
  app_db_security_group_id       = "sg-0aaaaaaaaaaaaaaa0"
  app_db_identifier              = "docpipe-prod-dr"
  airflow_image_tag              = "abc123"
  airflow_ui_certificate_arn     = "arn:aws:acm:eu-central-1:123456789012:certificate/x"
  airflow_ui_base_url            = "https://airflow-dr.example.com"
  airflow_ui_allowed_cidr_blocks = ["10.20.0.0/16"]
}

run "pilot_light" {
  command = plan
  variables {
    running = false
  }
}

run "failover" {
  command = plan
}
