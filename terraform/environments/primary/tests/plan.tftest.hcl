# `terraform test` (after `terraform init -backend=false`): plans the primary environment with mocked
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
    defaults = { cidr_block = "10.0.0.0/16" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

mock_provider "aws" {
  alias = "dr"
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

mock_provider "random" {}

mock_provider "snowflake" {}

variables {
  environment                    = "prod"
  aws_region                     = "eu-west-1"
  dr_region                      = "eu-central-1"
  vpc_id                         = "vpc-0123456789abcdef0"
  private_subnet_ids             = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  dr_vpc_id                      = "vpc-0fedcba9876543210"
  dr_private_subnet_ids          = ["subnet-0fedcba9876543210", "subnet-0fedcba9876543211"]
  snowflake_organization_name    = "MYORG"
  snowflake_account_name         = "PROD"
  airflow_image_tag              = "abc123"
  airflow_ui_certificate_arn     = "arn:aws:acm:eu-west-1:123456789012:certificate/x"
  airflow_ui_base_url            = "https://airflow.example.com"
  airflow_ui_allowed_cidr_blocks = ["10.20.0.0/16"]
  alarm_emails                   = ["oncall@example.com"]
}

run "plan" {
  command = plan
}
