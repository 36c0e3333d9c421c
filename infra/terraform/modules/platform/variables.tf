variable "project_id" {
  description = "GCP project that holds one mkopo environment (one project per environment)."
  type        = string
}

variable "environment" {
  description = "Environment name, used in labels and descriptions (dev, prod)."
  type        = string
}

variable "region" {
  description = "Region for Cloud Functions, Cloud Scheduler, the serverless NEGs and the source bucket."
  type        = string
}

variable "firestore_location" {
  description = "Firestore location (a region such as europe-west1 or africa-south1, or a multi-region such as eur3)."
  type        = string
}

variable "bigquery_location" {
  description = "BigQuery dataset location (EU, US or a region)."
  type        = string
}

variable "bigquery_dataset" {
  description = "Dataset id for analytics; must match MKOPO_BIGQUERY_DATASET (config.py default: mkopo)."
  type        = string
  default     = "mkopo"
}

variable "source_archive" {
  description = "Path to the zip built by `make package` (main.py, mkopo/, requirements.txt at its root)."
  type        = string
}

variable "api_domain" {
  description = "Public host name of the API (an A record must point at the api_ip output). Empty: <ip>.sslip.io, for dev only."
  type        = string
  default     = ""
}

variable "default_function_memory" {
  description = "Memory of each function unless function_memory names it."
  type        = string
  default     = "256Mi"
}

variable "function_memory" {
  description = "Per-function memory overrides, e.g. { scoring = \"512Mi\" }."
  type        = map(string)
  default     = {}
}

variable "default_max_instances" {
  description = "Upper bound of instances per function (a cost and provider-rate-limit guard)."
  type        = number
  default     = 10
}

variable "max_instances" {
  description = "Per-function max instance overrides, e.g. { disbursement = 3 } to respect a payout provider's rate limit."
  type        = map(number)
  default     = {}
}

variable "http_min_instances" {
  description = "Warm instances kept for each public HTTP function (0 = scale to zero, cold starts ~1 s)."
  type        = number
  default     = 0
}

variable "function_env" {
  description = "Extra non-secret MKOPO_* settings for every function (e.g. MKOPO_MOMO_BASE_URL)."
  type        = map(string)
  default     = {}
}

variable "api_rate_limit_per_minute" {
  description = "Requests per minute one client IP may send to the API before Cloud Armor answers 429."
  type        = number
  default     = 120
}

variable "deletion_protection" {
  description = "Protect Firestore, the events table and the source bucket from `terraform destroy`."
  type        = bool
  default     = true
}

variable "firestore_point_in_time_recovery" {
  description = "Keep 7 days of Firestore versions (PITR)."
  type        = bool
  default     = false
}

variable "alert_email" {
  description = "Where alerts go; empty: alert policies without a notification channel (visible in the console)."
  type        = string
  default     = ""
}

variable "function_error_threshold" {
  description = "ERROR log entries per function in 5 minutes above which the error alert fires."
  type        = number
  default     = 5
}

variable "http_5xx_ratio_threshold" {
  description = "Share of 5xx responses of a function over 5 minutes above which the error-rate alert fires."
  type        = number
  default     = 0.05
}

variable "pull_backlog_max_age_s" {
  description = "Age in seconds of a pull subscription's oldest unacked message above which the backlog alert fires."
  type        = number
  default     = 600
}

variable "score_psi_threshold" {
  description = "Score PSI of a model version's week against its model card above which the score-stability alert fires (0.1-0.25 watch, above 0.25 act)."
  type        = number
  default     = 0.25

  validation {
    condition     = var.score_psi_threshold > 0 && var.score_psi_threshold < 3
    error_message = "score_psi_threshold is a PSI: above 0 and below 3 (the metric's buckets end there)."
  }
}

variable "labels" {
  description = "Labels added to every labelled resource."
  type        = map(string)
  default     = {}
}

variable "callback_allowed_networks" {
  description = "CIDR ranges payment providers call back from (Safaricom Daraja publishes its callback IPs)."
  type        = list(string)
  default     = []
}

variable "ussd_allowed_networks" {
  description = "CIDR ranges Africa's Talking posts USSD sessions from (none: every USSD request is refused)."
  type        = list(string)
  default     = []
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to call the API (empty: none; phone apps need no CORS)."
  type        = list(string)
  default     = []
}
