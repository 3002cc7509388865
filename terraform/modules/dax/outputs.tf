output "cluster_arn" {
  description = "ARN of the DAX cluster."
  value       = aws_dax_cluster.this.arn
}

output "cluster_name" {
  description = "Name of the DAX cluster (CloudWatch dimension ClusterId)."
  value       = aws_dax_cluster.this.cluster_name
}

output "endpoint" {
  description = "Cluster discovery endpoint for DAX clients (daxs://..., TLS)."
  value       = "daxs://${aws_dax_cluster.this.cluster_address}:${aws_dax_cluster.this.port}"
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}
