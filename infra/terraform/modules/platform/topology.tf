# A mirror of shared/mkopo/topology.py, the single source of truth.
# tests/infra/test_topology_matches_terraform.py fails when the two differ: change topology.py first,
# then this file. Every resource below is driven by these maps (for_each), so nothing else names a
# function, topic or subscription.

locals {
  dead_letter_topic = "dead_letter"
  dead_letter_inbox = "dead_letter_inbox"

  topics = [
    "checkout_submitted",
    "application_scored",
    "loan_approved",
    "loan_rejected",
    "loan_disbursed",
    "disbursement_failed",
    "dead_letter",
  ]

  # topology.FUNCTIONS: name => entry point, trigger, topics, routes, schedule, secrets, retry policy.
  functions = {
    auth = {
      entry_point = "auth"
      trigger     = "http"
      topics      = []
      routes      = ["/v1/auth"]
      schedule    = null
      secrets     = ["jwt-signing-key"]
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    offers = {
      entry_point = "offers"
      trigger     = "http"
      topics      = []
      routes      = ["/v1/offers"]
      schedule    = null
      secrets     = []
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    checkout = {
      entry_point = "checkout"
      trigger     = "http"
      topics      = []
      routes      = ["/v1/checkout"]
      schedule    = null
      secrets     = ["jwt-signing-key"]
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    status = {
      entry_point = "status"
      trigger     = "http"
      topics      = []
      routes      = ["/v1/applications", "/v1/notifications"]
      schedule    = null
      secrets     = ["jwt-signing-key"]
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    scoring = {
      entry_point = "scoring"
      trigger     = "pubsub"
      topics      = ["checkout_submitted"]
      routes      = []
      schedule    = null
      secrets     = []
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    confirm-payment = {
      entry_point = "confirm_payment"
      trigger     = "pubsub"
      topics      = ["application_scored"]
      routes      = []
      schedule    = null
      secrets     = []
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    disbursement = {
      entry_point = "disbursement"
      trigger     = "pubsub"
      topics      = ["loan_approved"]
      routes      = []
      schedule    = null
      secrets     = ["momo-api-key"]
      retry       = { minimum_backoff_s = 2, maximum_backoff_s = 120, max_delivery_attempts = 10, ack_deadline_s = 60 }
    }
    notify = {
      entry_point = "notify"
      trigger     = "pubsub"
      topics      = ["checkout_submitted", "loan_approved", "loan_rejected", "loan_disbursed", "disbursement_failed"]
      routes      = []
      schedule    = null
      secrets     = []
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    exporter = {
      entry_point = "exporter"
      trigger     = "pubsub"
      topics      = ["checkout_submitted", "application_scored", "loan_approved", "loan_rejected", "loan_disbursed", "disbursement_failed"]
      routes      = []
      schedule    = null
      secrets     = []
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
    outbox-relay = {
      entry_point = "outbox_relay"
      trigger     = "schedule"
      topics      = []
      routes      = []
      schedule    = "* * * * *"
      secrets     = []
      retry       = { minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    }
  }

  # topology.subscriptions(): one push subscription per (function, topic), named <function>--<topic>,
  # carrying the function's retry policy. Dead-letter topic: local.dead_letter_topic for all of them.
  subscriptions = {
    "scoring--checkout_submitted"         = { function = "scoring", topic = "checkout_submitted", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "confirm-payment--application_scored" = { function = "confirm-payment", topic = "application_scored", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "disbursement--loan_approved"         = { function = "disbursement", topic = "loan_approved", minimum_backoff_s = 2, maximum_backoff_s = 120, max_delivery_attempts = 10, ack_deadline_s = 60 }
    "notify--checkout_submitted"          = { function = "notify", topic = "checkout_submitted", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "notify--loan_approved"               = { function = "notify", topic = "loan_approved", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "notify--loan_rejected"               = { function = "notify", topic = "loan_rejected", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "notify--loan_disbursed"              = { function = "notify", topic = "loan_disbursed", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "notify--disbursement_failed"         = { function = "notify", topic = "disbursement_failed", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "exporter--checkout_submitted"        = { function = "exporter", topic = "checkout_submitted", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "exporter--application_scored"        = { function = "exporter", topic = "application_scored", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "exporter--loan_approved"             = { function = "exporter", topic = "loan_approved", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "exporter--loan_rejected"             = { function = "exporter", topic = "loan_rejected", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "exporter--loan_disbursed"            = { function = "exporter", topic = "loan_disbursed", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
    "exporter--disbursement_failed"       = { function = "exporter", topic = "disbursement_failed", minimum_backoff_s = 1, maximum_backoff_s = 60, max_delivery_attempts = 5, ack_deadline_s = 60 }
  }

  # Every secret some function reads (the union of topology Function.secrets). Values never live here.
  secrets = ["jwt-signing-key", "momo-api-key"]

  # --- Not (yet) in topology.py; kept here and reported to the topology owner. -------------------------
  # The environment variable (config.Settings field, prefix MKOPO_) each secret is exposed as.
  secret_env = {
    "jwt-signing-key" = "MKOPO_JWT_SECRET"
    "momo-api-key"    = "MKOPO_MOMO_API_KEY"
  }
  # Topics each function publishes to: outbox writers publish after commit, the relay republishes any
  # unsent event, and every Pub/Sub consumer publishes poison messages to dead_letter itself
  # (mkopo.entrypoints.pubsub.handle). Drives the roles/pubsub.publisher grants.
  publishes = {
    checkout          = ["checkout_submitted"]
    scoring           = ["application_scored", "dead_letter"]
    "confirm-payment" = ["loan_approved", "loan_rejected", "dead_letter"]
    disbursement      = ["loan_disbursed", "disbursement_failed", "dead_letter"]
    notify            = ["dead_letter"]
    exporter          = ["dead_letter"]
    "outbox-relay"    = ["checkout_submitted", "application_scored", "loan_approved", "loan_rejected", "loan_disbursed", "disbursement_failed"]
  }
  # Firestore composite indexes the repositories' queries need (the emulator needs none; the cloud does).
  firestore_indexes = {
    applications_by_borrower = { collection = "applications", fields = [["borrower_id", "ASCENDING"], ["created_at", "DESCENDING"]] }
    notifications_by_user    = { collection = "notifications", fields = [["user_id", "ASCENDING"], ["created_at", "DESCENDING"]] }
    outbox_unsent            = { collection = "outbox", fields = [["sent", "ASCENDING"], ["created_at", "ASCENDING"]] }
  }
  # Firestore TTL policies: collection => timestamp field after which documents are deleted.
  firestore_ttl = {
    offers = "expires_at"
  }

  # --- Derived views --------------------------------------------------------------------------------
  http_functions      = { for name, fn in local.functions : name => fn if fn.trigger == "http" }
  pubsub_functions    = { for name, fn in local.functions : name => fn if fn.trigger == "pubsub" }
  scheduled_functions = { for name, fn in local.functions : name => fn if fn.trigger == "schedule" }

  # "/v1/applications" => "status"; the URL map routes each prefix (and everything under it).
  routes = merge([for name, fn in local.http_functions : { for route in fn.routes : route => name }]...)

  function_secrets = merge([
    for name, fn in local.functions : { for secret in fn.secrets : "${name}/${secret}" => { function = name, secret = secret } }
  ]...)
  function_publishes = merge([
    for name, topics in local.publishes : { for topic in topics : "${name}/${topic}" => { function = name, topic = topic } }
  ]...)
}
