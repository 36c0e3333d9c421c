# Identities. Each function runs as its own service account holding only what it needs; callers
# (Pub/Sub push, Cloud Scheduler) present OIDC tokens of dedicated invoker accounts.

resource "google_service_account" "fn" {
  for_each = local.functions

  project      = var.project_id
  account_id   = "mkopo-fn-${each.key}"
  display_name = "mkopo ${each.key} function"
  description  = "Runtime identity of the ${each.key} Cloud Function (${each.value.trigger})."
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "mkopo-build"
  display_name = "mkopo function builds"
  description  = "Cloud Build identity that turns the source archive into function images."
}

resource "google_service_account" "pubsub_invoker" {
  project      = var.project_id
  account_id   = "mkopo-pubsub-invoker"
  display_name = "mkopo Pub/Sub push invoker"
  description  = "Identity in the OIDC token of every push subscription."
}

resource "google_service_account" "scheduler_invoker" {
  project      = var.project_id
  account_id   = "mkopo-scheduler-invoker"
  display_name = "mkopo Cloud Scheduler invoker"
  description  = "Identity in the OIDC token of the scheduled jobs."
}

# Firestore has no per-collection IAM: every function reads and writes documents (roles/datastore.user).
resource "google_project_iam_member" "fn_firestore" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.fn[each.key].member
}

# Every function sends its spans to Cloud Trace (OpenTelemetry's exporter; mkopo.adapters.trace_export).
resource "google_project_iam_member" "fn_trace" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/cloudtrace.agent"
  member  = google_service_account.fn[each.key].member
}

# Roles a custom Cloud Functions build account needs: read the source (copied by Cloud Functions into
# its gcf-v2-sources bucket in this project), push the image, write build logs. Narrower than
# roles/cloudbuild.builds.builder.
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/storage.objectViewer", "roles/artifactregistry.writer", "roles/logging.logWriter"])

  project = var.project_id
  role    = each.key
  member  = google_service_account.build.member
}

# Publisher only on the topics a function emits.
resource "google_pubsub_topic_iam_member" "fn_publishes" {
  for_each = local.function_publishes

  project = var.project_id
  topic   = google_pubsub_topic.this[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.fn[each.value.function].member
}

# Secret accessor only on the function's own secrets.
resource "google_secret_manager_secret_iam_member" "fn_reads_secret" {
  for_each = local.function_secrets

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.value.function].member
}

# The exporters (events, audit) write rows into the analytics dataset; the backoffice function only reads it
# (below). Each also runs a query job (which ids are already there, adapters/bigquery.py), hence jobUser on
# the project.
resource "google_bigquery_dataset_iam_member" "exporter_writes_events" {
  for_each   = local.analytics_functions
  project    = var.project_id
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.fn[each.key].member
}

resource "google_project_iam_member" "exporter_runs_queries" {
  for_each = local.analytics_functions
  project  = var.project_id
  role     = "roles/bigquery.jobUser"
  member   = google_service_account.fn[each.key].member
}

# The analytics readers (topology Function.reads_analytics: the console's portfolio dashboard, the
# score-stability job) query the views and the events table: read-only on the dataset they live in and
# query jobs in the project, never a write.
resource "google_bigquery_dataset_iam_member" "analytics_reader_reads" {
  for_each   = local.analytics_readers
  project    = var.project_id
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = google_service_account.fn[each.key].member
}

resource "google_project_iam_member" "analytics_reader_runs_queries" {
  for_each = local.analytics_readers
  project  = var.project_id
  role     = "roles/bigquery.jobUser"
  member   = google_service_account.fn[each.key].member
}

# The same grants under their earlier, one-per-function names: moved, not destroyed and created again.
moved {
  from = google_bigquery_dataset_iam_member.backoffice_reads_analytics
  to   = google_bigquery_dataset_iam_member.analytics_reader_reads["backoffice"]
}

moved {
  from = google_project_iam_member.backoffice_runs_queries
  to   = google_project_iam_member.analytics_reader_runs_queries["backoffice"]
}

moved {
  from = google_bigquery_dataset_iam_member.score_stability_reads_events
  to   = google_bigquery_dataset_iam_member.analytics_reader_reads["score-stability"]
}

moved {
  from = google_project_iam_member.score_stability_runs_queries
  to   = google_project_iam_member.analytics_reader_runs_queries["score-stability"]
}

# Invocation. Public HTTP functions take requests from the load balancer only (ingress setting) and
# check the caller's JWT themselves, so run.invoker goes to allUsers. Event and scheduled functions are
# internal-only and accept nothing but the invoker accounts' OIDC tokens.
resource "google_cloud_run_v2_service_iam_member" "public_http" {
  # Deliberately public: ingress admits only the load balancer, and each function authenticates JWTs.
  for_each = local.http_functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name # the function's Cloud Run service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "pubsub_invokes" {
  for_each = local.pubsub_functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name # the function's Cloud Run service
  role     = "roles/run.invoker"
  member   = google_service_account.pubsub_invoker.member
}

resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes" {
  for_each = local.scheduled_functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name # the function's Cloud Run service
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler_invoker.member
}

# The Pub/Sub service agent mints the push OIDC tokens (needed for projects created before 2021-04-08).
resource "google_service_account_iam_member" "pubsub_agent_mints_tokens" {
  service_account_id = google_service_account.pubsub_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}
