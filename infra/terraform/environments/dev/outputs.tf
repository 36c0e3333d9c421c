output "api_url" {
  description = "Base URL of the public API."
  value       = module.platform.api_url
}

output "api_ip" {
  description = "Load balancer IP (DNS A record target)."
  value       = module.platform.api_ip
}

output "function_urls" {
  description = "run.app URL of each function."
  value       = module.platform.function_urls
}

output "secret_ids" {
  description = "Secrets to fill before the functions start."
  value       = module.platform.secret_ids
}

output "events_table" {
  description = "BigQuery events table."
  value       = module.platform.events_table
}
