# Public API: a global external Application Load Balancer with one serverless NEG + backend service per
# HTTP function and a URL map built from topology routes (longest prefix wins, as topology.route_for).
# Chosen over API Gateway because API Gateway exists only in the google-beta provider, needs a separate
# OpenAPI document that would be a second copy of the routes, and is not offered in every region; the
# load balancer is GA, takes the routes straight from topology, and carries Cloud Armor rate limiting.

locals {
  api_domain = var.api_domain != "" ? var.api_domain : "${google_compute_global_address.api.address}.sslip.io"
  # Unknown paths still need a backend: the function answers 404 problem+json for paths it does not own.
  api_default_function = "offers"
}

resource "google_compute_global_address" "api" {
  project = var.project_id
  name    = "mkopo-api"

  depends_on = [google_project_service.api]
}

resource "google_compute_region_network_endpoint_group" "api" {
  for_each = local.http_functions

  project               = var.project_id
  region                = var.region
  name                  = "mkopo-api-${each.key}"
  network_endpoint_type = "SERVERLESS"

  # A 2nd-gen function is a Cloud Run service of the same name.
  cloud_run {
    service = google_cloudfunctions2_function.fn[each.key].name
  }
}

resource "google_compute_security_policy" "api" {
  #checkov:skip=CKV_GCP_73:The Log4j (CVE-2021-44228) rule protects Java back ends; this API is Python only.
  project     = var.project_id
  name        = "mkopo-api"
  description = "Per-client-IP rate limit in front of the public API."

  rule {
    action   = "throttle"
    priority = 1000
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = var.api_rate_limit_per_minute
        interval_sec = 60
      }
    }
    description = "Throttle each client IP."
  }

  # Africa's Talking posts every step of every borrower's USSD session from a few addresses: the per-IP
  # throttle would cut sessions off, so those networks pass (the ussd function checks them again).
  dynamic "rule" {
    for_each = length(var.ussd_allowed_networks) > 0 ? [var.ussd_allowed_networks] : []
    content {
      action   = "allow"
      priority = 900
      match {
        versioned_expr = "SRC_IPS_V1"
        config {
          src_ip_ranges = rule.value
        }
      }
      description = "The USSD provider's networks, not throttled per IP."
    }
  }

  rule {
    action   = "allow"
    priority = 2147483647
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    description = "Default rule."
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_backend_service" "api" {
  for_each = local.http_functions

  project               = var.project_id
  name                  = "mkopo-api-${each.key}"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  security_policy       = google_compute_security_policy.api.id

  backend {
    group = google_compute_region_network_endpoint_group.api[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_url_map" "api" {
  project         = var.project_id
  name            = "mkopo-api"
  default_service = google_compute_backend_service.api[local.api_default_function].id

  host_rule {
    hosts        = ["*"]
    path_matcher = "api"
  }

  path_matcher {
    name            = "api"
    default_service = google_compute_backend_service.api[local.api_default_function].id

    dynamic "path_rule" {
      for_each = local.routes
      content {
        paths   = [path_rule.key, "${path_rule.key}/*"]
        service = google_compute_backend_service.api[path_rule.value].id
      }
    }
  }
}

resource "google_compute_managed_ssl_certificate" "api" {
  project = var.project_id
  name    = "mkopo-api"

  managed {
    domains = [local.api_domain]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_ssl_policy" "api" {
  project         = var.project_id
  name            = "mkopo-api"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "api" {
  project          = var.project_id
  name             = "mkopo-api"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id]
  ssl_policy       = google_compute_ssl_policy.api.id
}

resource "google_compute_global_forwarding_rule" "api" {
  project               = var.project_id
  name                  = "mkopo-api-https"
  target                = google_compute_target_https_proxy.api.id
  ip_address            = google_compute_global_address.api.id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  labels                = local.labels
}
