# Production state lives in GCS (versioned bucket, created once by hand). Partial configuration:
#   terraform init -backend-config="bucket=<project>-tfstate" -backend-config="prefix=mkopo/prod"
terraform {
  backend "gcs" {}
}
