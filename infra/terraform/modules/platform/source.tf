# The one source archive every function is built from. The object name carries the archive's MD5, so a
# changed archive is a new object and every function is rebuilt; an unchanged one changes nothing.

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Build inputs only; access is recorded by Cloud Audit Logs, a log bucket adds cost and no insight.
  project                     = var.project_id
  name                        = "${var.project_id}-mkopo-functions-src"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket_object" "source" {
  name         = "mkopo-functions-${filemd5(var.source_archive)}.zip"
  bucket       = google_storage_bucket.source.name
  source       = var.source_archive
  content_type = "application/zip"
}
