# One Cloud Scheduler job per scheduled function (topology trigger "schedule"), calling it with OIDC.
resource "google_cloud_scheduler_job" "fn" {
  for_each = local.scheduled_functions

  project          = var.project_id
  region           = var.region
  name             = each.key
  description      = "Runs the ${each.key} function on its topology schedule."
  schedule         = each.value.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "${local.function_timeout_s[each.key]}s"

  # The next run is at most a minute away; retrying a missed run would only overlap it.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.fn[each.key].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.scheduler_invoker.email
      audience              = google_cloudfunctions2_function.fn[each.key].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduler_invokes]
}
