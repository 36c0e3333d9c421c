resource "google_bigquery_dataset" "analytics" {
  #checkov:skip=CKV_GCP_81:Google-managed encryption; the events hold pseudonymous ids only (analytics.py), no PII.
  project                    = var.project_id
  dataset_id                 = var.bigquery_dataset
  location                   = var.bigquery_location
  description                = "mkopo domain events for analytics (${var.environment})."
  delete_contents_on_destroy = false
  labels                     = local.labels

  depends_on = [google_project_service.api]
}

# Schema generated from shared/mkopo/analytics.py by infra/scripts/gen_schema.py (a test keeps it current).
resource "google_bigquery_table" "events" {
  #checkov:skip=CKV_GCP_121:deletion_protection = var.deletion_protection: true in prod, false only in dev where the table is disposable.
  #checkov:skip=CKV_GCP_80:Google-managed encryption; the events hold pseudonymous ids only (analytics.py), no PII.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = "events"
  description         = "One row per domain event, de-duplicated on event_id by the exporter."
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type  = "DAY"
    field = "occurred_at"
  }
  clustering = ["event_type", "provider"]

  schema = file("${path.module}/events_schema.json")
}
