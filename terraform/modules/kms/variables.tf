variable "name" {
  description = "Name prefix of the key aliases (alias/<name>)."
  type        = string
}

variable "account_id" {
  description = "AWS account that owns the keys; its root principal administers them through IAM."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "Primary region (CloudWatch Logs there may use the key)."
  type        = string
}

variable "dr_region" {
  description = "DR region, where the replica key lives (CloudWatch Logs there may use it)."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "deletion_window_in_days" {
  description = "Days a scheduled key deletion can still be cancelled."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}
