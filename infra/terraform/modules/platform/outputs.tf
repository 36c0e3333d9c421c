output "api_url" {
  description = "Base URL of the public API (the certificate is issued once DNS points at api_ip)."
  value       = "https://${local.api_domain}"
}

output "api_ip" {
  description = "Load balancer address: point the api_domain A record here."
  value       = google_compute_global_address.api.address
}

output "function_urls" {
  description = "run.app URL of each function (internal ingress; for debugging with an identity token)."
  value       = { for name, fn in google_cloudfunctions2_function.fn : name => fn.service_config[0].uri }
}

output "source_object" {
  description = "The source archive object every function was built from."
  value       = "gs://${google_storage_bucket.source.name}/${google_storage_bucket_object.source.name}"
}

output "events_table" {
  description = "Fully qualified BigQuery events table."
  value       = "${var.project_id}.${google_bigquery_dataset.analytics.dataset_id}.${google_bigquery_table.events.table_id}"
}

output "dead_letter_inbox" {
  description = "Pull subscription holding dead-lettered messages."
  value       = google_pubsub_subscription.dead_letter_inbox.id
}

output "secret_ids" {
  description = "Secrets to fill with `gcloud secrets versions add` before the functions can start."
  value       = [for s in google_secret_manager_secret.this : s.secret_id]
}
