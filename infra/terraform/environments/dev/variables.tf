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
  description = "API host name; empty uses <ip>.sslip.io so dev works without DNS."
  type        = string
  default     = ""
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
