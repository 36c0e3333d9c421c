# The monthly credit-bureau submissions (python: mkopo.service.bureau, README "Credit-bureau reporting"):
# personal data, so private, versioned (a rewrite of a month keeps what was sent before) and kept 7 years.

resource "google_storage_bucket" "bureau_submissions" {
  #checkov:skip=CKV_GCP_62:Access is recorded by Cloud Audit Logs (data access); a log bucket adds cost and no insight.
  project                     = var.project_id
  name                        = "${var.project_id}-mkopo-bureau-submissions"
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
      age = 7 * 365
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Only the bureau function writes (and rewrites) the month's file.
resource "google_storage_bucket_iam_member" "bureau_writes_submissions" {
  bucket = google_storage_bucket.bureau_submissions.name
  role   = "roles/storage.objectUser"
  member = google_service_account.fn["bureau"].member
}
