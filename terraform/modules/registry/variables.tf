variable "repository_name" {
  description = "Name of the image repository (the same name in the DR region)."
  type        = string
  default     = "docpipe-airflow"
}

variable "account_id" {
  description = "AWS account id (the DR region's registry)."
  type        = string
}

variable "dr_region" {
  description = "Region the images are replicated to."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed key that encrypts the image layers."
  type        = string
}

variable "keep_images" {
  description = "Images kept in the repository."
  type        = number
  default     = 50
}
