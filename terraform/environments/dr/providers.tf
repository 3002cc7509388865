# Only the DR region: this configuration must plan and apply while the primary region is unreachable.
provider "aws" {
  region = var.dr_region

  default_tags {
    tags = local.tags
  }
}
