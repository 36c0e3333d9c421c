provider "google" {
  project = var.project_id
  region  = var.region
}

module "platform" {
  source = "../../modules/platform"

  project_id         = var.project_id
  environment        = "dev"
  region             = var.region
  firestore_location = var.firestore_location
  bigquery_location  = var.bigquery_location
  source_archive     = var.source_archive
  api_domain         = var.api_domain
  alert_email        = var.alert_email
  function_env       = var.function_env

  callback_allowed_networks = var.callback_allowed_networks
  ussd_allowed_networks     = var.ussd_allowed_networks
  cors_allowed_origins      = var.cors_allowed_origins

  # Dev: small, cheap, disposable.
  default_function_memory          = "256Mi"
  default_max_instances            = 3
  http_min_instances               = 0
  deletion_protection              = false
  firestore_point_in_time_recovery = false
}
