terraform {
  # >= 1.10: S3 backend locking with a lock file (use_lockfile); >= 1.9: validations that refer to other variables.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    snowflake = {
      source  = "snowflakedb/snowflake"
      version = "~> 2.1"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Remote state in S3 (versioned, KMS-encrypted bucket), one key per environment, locked by an S3 lock
  # file. The values are not written here so one configuration serves every environment: put them in a
  # file such as prod.s3.tfbackend (beside this file) and run `terraform init -backend-config=prod.s3.tfbackend`.
  backend "s3" {
    # bucket       = "docpipe-terraform-state-<account-id>"
    # key          = "docpipe/prod/terraform.tfstate"
    # region       = "eu-west-1"
    # encrypt      = true
    # kms_key_id   = "alias/docpipe-terraform-state"
    # use_lockfile = true
  }
}
