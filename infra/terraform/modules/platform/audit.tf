# The audit trail in BigQuery: one row per audit record, read from Firestore (`audit/`, in commit order from a mark)
# and written in batches by the audit-exporter function. Schema from shared/mkopo/warehouse_schema.py
# (AUDIT_SCHEMA; tests/infra/test_audit_table.py keeps audit_schema.json equal to it).
resource "google_bigquery_table" "audit" {
  #checkov:skip=CKV_GCP_121:deletion_protection = var.deletion_protection: true in prod, false only in dev where the table is disposable.
  #checkov:skip=CKV_GCP_80:Google-managed encryption; audit rows hold pseudonymous ids and masked phones only, no names.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = "audit"
  description         = "Append-only audit trail: who, role, what, entity, before/after, when, request id."
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type  = "DAY"
    field = "occurred_at"
  }
  clustering = ["entity_type", "action"]

  schema = file("${path.module}/audit_schema.json")
}
