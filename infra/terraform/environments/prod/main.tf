provider "google" {
  project = var.project_id
  region  = var.region
}

module "platform" {
  source = "../../modules/platform"

  project_id         = var.project_id
  environment        = "prod"
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

  default_function_memory          = var.default_function_memory
  function_memory                  = var.function_memory
  default_max_instances            = var.default_max_instances
  max_instances                    = var.max_instances
  http_min_instances               = var.http_min_instances
  api_rate_limit_per_minute        = var.api_rate_limit_per_minute
  deletion_protection              = true
  firestore_point_in_time_recovery = true
}
