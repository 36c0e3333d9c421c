# Secret containers only: values are added out of band (gcloud secrets versions add), never in Terraform
# or its state. Functions read version "latest" at instance start.
resource "google_secret_manager_secret" "this" {
  for_each = toset(local.secrets)

  project   = var.project_id
  secret_id = each.key
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}
