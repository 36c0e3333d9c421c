resource "google_monitoring_notification_channel" "email" {
  count = var.alert_email == "" ? 0 : 1

  project      = var.project_id
  display_name = "mkopo ${var.environment} on-call"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

locals {
  notification_channels = google_monitoring_notification_channel.email[*].id
}

# Anything in the dead-letter inbox is a message no function could handle: page someone.
resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "mkopo ${var.environment}: dead-lettered messages"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "${local.dead_letter_inbox} has undelivered messages"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.dead_letter_inbox.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "60s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Messages reached `${local.dead_letter_topic}` after their subscription's max delivery attempts. Inspect them with `gcloud pubsub subscriptions pull ${local.dead_letter_inbox} --limit 10` (attribute CloudPubSubDeadLetterSourceSubscription names the consumer), fix, then republish to the source topic."
  }
}

# A pull subscription whose oldest message waits too long: its exporter is not draining it (scheduler job
# paused or failing, the function crashing or timing out, BigQuery rejecting the batch).
resource "google_monitoring_alert_policy" "pull_backlog" {
  count = length(local.pull_subscriptions) > 0 ? 1 : 0

  project               = var.project_id
  display_name          = "mkopo ${var.environment}: pull subscription backlog"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "oldest unacked message older than ${var.pull_backlog_max_age_s} s"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = one_of(${join(", ", [for name in keys(local.pull_subscriptions) : "\"${name}\""])}) AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.pull_backlog_max_age_s
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A pull subscription `<function>--<topic>` of ${join(" or ", sort(distinct([for sub in local.pull_subscriptions : sub.function])))} has held a message for more than ${var.pull_backlog_max_age_s} s although its function should drain it every minute. Check the Cloud Scheduler job of that function (`gcloud scheduler jobs describe <function> --location ${var.region}`), the function's ERROR logs (a failed BigQuery insert redelivers the whole batch, with backoff) and the subscription's `num_undelivered_messages`. Messages dead-letter to `${local.dead_letter_topic}` after their max delivery attempts; fix the cause and the next runs catch up."
  }
}

# Log-based metric: ERROR (or worse) log entries of our functions, labelled by function.
resource "google_logging_metric" "function_errors" {
  project = var.project_id
  name    = "mkopo/function_errors"
  filter  = "resource.type = \"cloud_run_revision\" AND severity >= ERROR AND resource.labels.service_name = (${join(" OR ", [for name in keys(local.functions) : "\"${name}\""])})"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "function"
      value_type  = "STRING"
      description = "Cloud Function (Cloud Run service) name"
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }
}

resource "google_monitoring_alert_policy" "function_errors" {
  project               = var.project_id
  display_name          = "mkopo ${var.environment}: function errors"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "ERROR log entries per function"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.function_errors.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.function_error_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.function"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A function logged more than ${var.function_error_threshold} errors in 5 minutes. Logs: resource.type=cloud_run_revision severity>=ERROR, grouped by service_name."
  }
}

# Error rate: share of 5xx responses per function (for push subscribers a 5xx is a redelivery).
resource "google_monitoring_alert_policy" "function_5xx_ratio" {
  project               = var.project_id
  display_name          = "mkopo ${var.environment}: function 5xx ratio"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "5xx share above ${var.http_5xx_ratio_threshold}"
    condition_prometheus_query_language {
      query               = "sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource=\"cloud_run_revision\",response_code_class=\"5xx\"}[5m])) / sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource=\"cloud_run_revision\"}[5m])) > ${var.http_5xx_ratio_threshold}"
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.http_5xx_ratio_threshold * 100}% of a function's requests failed with 5xx over 5 minutes."
  }
}

# Score monitoring. The daily score-stability job logs one line per model version whose jsonPayload carries
# event = "score_stability", model_version, role and, when there is a figure worth acting on (enough scores
# against a model card), score_psi (mkopo.service.score_stability). The metric is a distribution of those
# values per version; its mean over an hour is the run's PSI exactly (a distribution keeps the true mean).
resource "google_logging_metric" "score_psi" {
  project = var.project_id
  name    = "mkopo/score_psi"
  filter  = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"score-stability\" AND jsonPayload.event = \"score_stability\" AND jsonPayload.score_psi:*"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "Score PSI per model version (last 7 days against the model card)"
    labels {
      key         = "model_version"
      value_type  = "STRING"
      description = "Points table version (MKOPO_SCORECARD_VERSION or MKOPO_CHALLENGER_VERSION)"
    }
    labels {
      key         = "role"
      value_type  = "STRING"
      description = "champion or challenger"
    }
  }

  value_extractor = "EXTRACT(jsonPayload.score_psi)"
  label_extractors = {
    model_version = "EXTRACT(jsonPayload.model_version)"
    role          = "EXTRACT(jsonPayload.role)"
  }

  bucket_options {
    linear_buckets {
      num_finite_buckets = 300
      width              = 0.01
      offset             = 0
    }
  }
}

resource "google_monitoring_alert_policy" "score_psi" {
  project               = var.project_id
  display_name          = "mkopo ${var.environment}: score PSI above ${var.score_psi_threshold}"
  combiner              = "OR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "a model version's score PSI above ${var.score_psi_threshold}"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.score_psi.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.score_psi_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["metric.label.model_version", "metric.label.role"]
      }
    }
  }

  alert_strategy {
    auto_close = "172800s" # the next two daily runs say whether it is still true
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The score distribution of the last 7 days of a model version has moved away from its model card (PSI above ${var.score_psi_threshold}: act). Read the figures per band with `python -m mkopo.ops psi` (or the `score_stability` Firestore documents), check whether the applicant mix changed (a new lender, market or channel) or a feature's source broke (a credit-data field all zero), compare approval and early bad rates per version (`model_versions` view, `make report`), and retrain (`make train`) or roll the champion back (`MKOPO_SCORECARD_VERSION`). README: Score monitoring."
  }
}
