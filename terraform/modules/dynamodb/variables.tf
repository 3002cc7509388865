variable "table_name" {
  description = "Name of the documents table (DOCPIPE_DYNAMODB_TABLE)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed key for server-side encryption in the primary region."
  type        = string
}

variable "dr_region" {
  description = "Region of the global-table replica."
  type        = string
}

variable "dr_kms_key_arn" {
  description = "Customer managed key for the replica in dr_region."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse DeleteTable on the table."
  type        = bool
  default     = true
}
