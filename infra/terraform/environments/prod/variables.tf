variable "project_id" {
  description = "GCP project for this environment."
  type        = string
}

variable "region" {
  description = "Region for functions, scheduler and the source bucket."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Firestore location (region or multi-region)."
  type        = string
  default     = "europe-west1"
}

variable "bigquery_location" {
  description = "BigQuery dataset location."
  type        = string
  default     = "EU"
}

variable "source_archive" {
  description = "Zip built by `make package`."
  type        = string
  default     = "../../../../dist/mkopo-functions.zip"
}

variable "alert_email" {
  description = "Alert notification e-mail (empty: none)."
  type        = string
  default     = ""
}

variable "function_env" {
  description = "Extra non-secret MKOPO_* settings for every function."
  type        = map(string)
  default     = {}
}

variable "api_domain" {
  description = "API host name (required in prod); point its A record at the api_ip output."
  type        = string

  validation {
    condition     = length(var.api_domain) > 0
    error_message = "prod needs a real api_domain."
  }
}

variable "default_function_memory" {
  description = "Memory per function unless overridden."
  type        = string
  default     = "512Mi"
}

variable "function_memory" {
  description = "Per-function memory overrides."
  type        = map(string)
  default     = {}
}

variable "default_max_instances" {
  description = "Max instances per function unless overridden."
  type        = number
  default     = 20
}

variable "max_instances" {
  description = "Per-function max instance overrides (e.g. disbursement bounded by the payout provider's rate limit)."
  type        = map(number)
  default     = { disbursement = 5 }
}

variable "http_min_instances" {
  description = "Warm instances per public HTTP function."
  type        = number
  default     = 1
}

variable "api_rate_limit_per_minute" {
  description = "Requests per minute per client IP before 429."
  type        = number
  default     = 120
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
  description = "Browser origins allowed to call the API (empty: none)."
  type        = list(string)
  default     = []
}
