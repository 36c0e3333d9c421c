resource "google_pubsub_topic" "this" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; events carry ids and amounts, no names, phone numbers or tokens.
  for_each = toset(local.topics)

  project                    = var.project_id
  name                       = each.key
  message_retention_duration = "86400s"
  labels                     = local.labels

  depends_on = [google_project_service.api]
}

# One subscription per (function, topic): <function>--<topic>, as topology.subscriptions(). Pub/Sub-
# triggered functions get theirs pushed (push_config); the exporters pull theirs in batches (none).
resource "google_pubsub_subscription" "fn" {
  for_each = local.subscriptions

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.this[each.value.topic].id
  labels  = merge(local.labels, { function = each.value.function })

  # Push: also the HTTP timeout (the function's own timeout is the same). Pull: a batch must be written
  # to BigQuery and acked within this, or it is redelivered.
  ack_deadline_seconds       = each.value.ack_deadline_s
  message_retention_duration = "604800s"

  # Never expire for inactivity (the default 31 days would silently drop a quiet subscription).
  expiration_policy {
    ttl = ""
  }

  # A failed push, or a nacked or expired pulled batch, is redelivered with this backoff.
  retry_policy {
    minimum_backoff = "${each.value.minimum_backoff_s}s"
    maximum_backoff = "${each.value.maximum_backoff_s}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.this[local.dead_letter_topic].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  dynamic "push_config" {
    for_each = each.value.push ? [each.value] : []
    content {
      # The run.app URI (not the cloudfunctions.net url): Cloud Run counts Pub/Sub push to its default
      # URL as internal traffic. The path names the topic, so the CloudEvent source is
      # //pubsub.googleapis.com/projects/P/topics/T, as in local wiring (functions-framework derives the
      # source from the request path).
      push_endpoint = "${google_cloudfunctions2_function.fn[push_config.value.function].service_config[0].uri}/projects/${var.project_id}/topics/${push_config.value.topic}"

      oidc_token {
        service_account_email = google_service_account.pubsub_invoker.email
        audience              = google_cloudfunctions2_function.fn[push_config.value.function].service_config[0].uri
      }
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.pubsub_invokes]
}

# Each pulling function may pull and ack exactly its own subscriptions (not the topic, not the project).
resource "google_pubsub_subscription_iam_member" "fn_pulls" {
  for_each = local.pull_subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.fn[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.fn[each.value.function].member
}

# Operators read (and replay) dead-lettered messages from this pull subscription.
resource "google_pubsub_subscription" "dead_letter_inbox" {
  project = var.project_id
  name    = local.dead_letter_inbox
  topic   = google_pubsub_topic.this[local.dead_letter_topic].id
  labels  = local.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = true

  expiration_policy {
    ttl = ""
  }
}

# The Pub/Sub service agent forwards undeliverable messages: it must publish to the dead-letter topic
# and subscribe to (acknowledge on) each source subscription, push and pull alike.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.this[local.dead_letter_topic].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.fn[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
