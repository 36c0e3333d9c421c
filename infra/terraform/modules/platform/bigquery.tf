resource "google_bigquery_dataset" "analytics" {
  #checkov:skip=CKV_GCP_81:Google-managed encryption; the events hold pseudonymous ids only (warehouse_schema.py), no PII.
  project                    = var.project_id
  dataset_id                 = var.bigquery_dataset
  location                   = var.bigquery_location
  description                = "mkopo domain events for analytics (${var.environment})."
  delete_contents_on_destroy = false
  labels                     = local.labels

  depends_on = [google_project_service.api]
}

# Schema generated from shared/mkopo/warehouse_schema.py by infra/scripts/gen_schema.py (a test keeps it current).
resource "google_bigquery_table" "events" {
  #checkov:skip=CKV_GCP_121:deletion_protection = var.deletion_protection: true in prod, false only in dev where the table is disposable.
  #checkov:skip=CKV_GCP_80:Google-managed encryption; the events hold pseudonymous ids only (warehouse_schema.py), no PII.
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

# Analytics views: the SQL files in analytics/sql (tested on the BigQuery emulator by
# tests/integration/test_analytics_views.py), rendered with templatefile() exactly as analytics/views.py
# renders them. Each view reads the events table and the views above it, hence the depends_on chain.
locals {
  analytics_sql = "${path.module}/../../../../analytics/sql"
  analytics_view_vars = {
    project = var.project_id
    dataset = google_bigquery_dataset.analytics.dataset_id
  }
  analytics_report_views = toset([
    "funnel_daily",
    "approval_daily",
    "score_bands",
    "decision_times",
    "portfolio_at_risk",
    "cohort_repayment",
    "model_versions",
    "allowance",
  ])
}

resource "google_bigquery_table" "view_events_dedup" {
  #checkov:skip=CKV_GCP_80:A view stores no data; the events table it reads carries the dataset's encryption.
  #checkov:skip=CKV_GCP_121:deletion_protection = var.deletion_protection; a view holds no data and is rebuilt from analytics/sql.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = "events_dedup"
  description         = "The events table with one row per event_id (the first export wins)."
  deletion_protection = var.deletion_protection
  labels              = local.labels

  view {
    query          = templatefile("${local.analytics_sql}/events_dedup.sql", local.analytics_view_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.events]
}

resource "google_bigquery_table" "view_applications" {
  #checkov:skip=CKV_GCP_80:A view stores no data; the events table it reads carries the dataset's encryption.
  #checkov:skip=CKV_GCP_121:deletion_protection = var.deletion_protection; a view holds no data and is rebuilt from analytics/sql.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = "applications"
  description         = "One row per application with the time of every step it reached."
  deletion_protection = var.deletion_protection
  labels              = local.labels

  view {
    query          = templatefile("${local.analytics_sql}/applications.sql", local.analytics_view_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.view_events_dedup]
}

resource "google_bigquery_table" "view_loans" {
  #checkov:skip=CKV_GCP_80:A view stores no data; the events table it reads carries the dataset's encryption.
  #checkov:skip=CKV_GCP_121:deletion_protection = var.deletion_protection; a view holds no data and is rebuilt from analytics/sql.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = "loans"
  description         = "One row per disbursed loan and where it stands now."
  deletion_protection = var.deletion_protection
  labels              = local.labels

  view {
    query          = templatefile("${local.analytics_sql}/loans.sql", local.analytics_view_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.view_applications]
}

resource "google_bigquery_table" "view_report" {
  #checkov:skip=CKV_GCP_80:A view stores no data; the events table it reads carries the dataset's encryption.
  #checkov:skip=CKV_GCP_121:deletion_protection = var.deletion_protection; a view holds no data and is rebuilt from analytics/sql.
  for_each = local.analytics_report_views

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = each.key
  description         = "Lender report view ${each.key} (analytics/sql/${each.key}.sql)."
  deletion_protection = var.deletion_protection
  labels              = local.labels

  view {
    query          = templatefile("${local.analytics_sql}/${each.key}.sql", local.analytics_view_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.view_loans, google_bigquery_table.audit]
}
