variable "name" {
  description = "Cluster name (also of its subnet group, parameter group and security group, which are regional); at most 20 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name))
    error_message = "name must be 1-20 lowercase letters, digits or hyphens, starting with a letter (a DAX cluster name)."
  }
}

variable "role_name" {
  description = "Name of the role DAX reads the table with (IAM names are global: the DR cluster's differs)."
  type        = string
}

variable "account_id" {
  description = "AWS account id (condition of the role's trust policy)."
  type        = string
}

variable "region" {
  description = "Region of the cluster and the table."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one node per subnet's availability zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two private subnets (availability zones)."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach the cluster's TLS endpoint."
  type        = list(string)
}

variable "table_name" {
  description = "The documents table."
  type        = string
}

variable "table_arn" {
  description = "ARN of the documents table in this region."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed key that encrypts the table in this region."
  type        = string
}

variable "node_type" {
  description = "DAX node type."
  type        = string
  default     = "dax.r5.large"

  validation {
    condition     = startswith(var.node_type, "dax.")
    error_message = "node_type must be a DAX node type such as dax.r5.large or dax.t3.small."
  }
}

variable "node_count" {
  description = "Nodes in the cluster; three spread the cluster over three availability zones (the production recommendation)."
  type        = number
  default     = 3

  validation {
    condition     = var.node_count >= 1 && var.node_count <= 11
    error_message = "node_count must be between 1 and 11."
  }
}

variable "record_ttl_ms" {
  description = "Milliseconds an item stays in DAX's item cache (how stale a read can be after a worker's direct write)."
  type        = number
  default     = 60000
}

variable "query_ttl_ms" {
  description = "Milliseconds a query result stays in DAX's query cache."
  type        = number
  default     = 60000
}

variable "notification_topic_arn" {
  description = "SNS topic for DAX cluster events (null: none)."
  type        = string
  default     = null
}
