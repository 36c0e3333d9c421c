# Local state by default (fine for a personal dev project). For shared state, create a bucket and run
#   terraform init -backend-config="bucket=<project>-tfstate" -backend-config="prefix=mkopo/dev"
# after uncommenting:
#
# terraform {
#   backend "gcs" {}
# }
