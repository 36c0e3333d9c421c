locals {
  # Non-secret settings every function reads (config.Settings, prefix MKOPO_).
  function_env = merge({
    MKOPO_ENVIRONMENT           = "cloud"
    MKOPO_PROJECT_ID            = var.project_id
    MKOPO_BIGQUERY_DATASET      = google_bigquery_dataset.analytics.dataset_id
    MKOPO_BIGQUERY_EVENTS_TABLE = google_bigquery_table.events.table_id
    LOG_EXECUTION_ID            = "true"
    # Providers call back on the public API (per-request signed URLs), from these networks only.
    MKOPO_PUBLIC_BASE_URL           = "https://${local.api_domain}"
    MKOPO_CALLBACK_ALLOWED_NETWORKS = jsonencode(var.callback_allowed_networks)
    MKOPO_USSD_ALLOWED_NETWORKS     = jsonencode(var.ussd_allowed_networks)
    MKOPO_CORS_ALLOWED_ORIGINS      = join(",", var.cors_allowed_origins)
    MKOPO_BUREAU_BUCKET             = google_storage_bucket.bureau_submissions.name
  }, var.function_env)

  # Push waits up to the ack deadline; the function must finish inside it or the message is redelivered
  # while still being handled. Scheduled runs (the exporters included) must end before the next minute's.
  function_timeout_s = { for name, fn in local.functions : name => fn.trigger == "pubsub" ? fn.retry.ack_deadline_s : 60 }

  # The exporters (analytics functions) keep exporting for this long after the scheduler calls them, so a
  # once-a-minute job exports in near real time; the last batch then has the rest of the 60 s timeout.
  # Locally the linger is 0 (drain and return).
  analytics_function_env = {
    MKOPO_EXPORT_LINGER_S = "50"
  }
  # One writer per table: an exporter runs as a single instance (its code also holds a Firestore
  # lease), so a late scheduler run cannot export in parallel with the previous one.
  analytics_function_max_instances = 1
}

resource "google_cloudfunctions2_function" "fn" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = each.key
  description = "mkopo ${each.key} (${each.value.trigger})"
  labels      = merge(local.labels, { function = each.key, trigger = each.value.trigger })

  build_config {
    runtime         = "python311"
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  # No event_trigger: Pub/Sub delivery goes through our own push and pull subscriptions (pubsub.tf) so
  # their names, retry and dead-letter policies are exactly topology's; the scheduler calls over HTTP.
  service_config {
    available_memory               = lookup(var.function_memory, each.key, var.default_function_memory)
    timeout_seconds                = local.function_timeout_s[each.key]
    min_instance_count             = each.value.trigger == "http" ? var.http_min_instances : 0
    max_instance_count             = contains(keys(local.analytics_functions), each.key) ? local.analytics_function_max_instances : lookup(var.max_instances, each.key, var.default_max_instances)
    ingress_settings               = each.value.trigger == "http" ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.fn[each.key].email
    environment_variables          = merge(local.function_env, { for k, v in local.analytics_function_env : k => v if contains(keys(local.analytics_functions), each.key) })

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = local.secret_env[secret_environment_variables.value]
        project_id = var.project_id
        secret     = google_secret_manager_secret.this[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_project_iam_member.build,
    google_secret_manager_secret_iam_member.fn_reads_secret,
  ]
}
