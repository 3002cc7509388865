terraform {
  # >= 1.10: S3 backend locking with a lock file (use_lockfile); >= 1.9: validations that refer to other variables.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Remote state in S3 with an S3 lock file, like the primary's, but in a bucket IN THE DR REGION: this
  # apply has to work while the primary region is down. The values are not written here: put them in a
  # file such as prod.s3.tfbackend and run `terraform init -backend-config=prod.s3.tfbackend`.
  backend "s3" {
    # bucket       = "docpipe-terraform-state-<account-id>-dr"
    # key          = "docpipe/prod-dr/terraform.tfstate"
    # region       = "eu-central-1"
    # encrypt      = true
    # kms_key_id   = "alias/docpipe-terraform-state"
    # use_lockfile = true
  }
}
