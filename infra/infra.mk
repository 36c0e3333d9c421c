# Infrastructure targets. The main Makefile includes this file (after it sets VENV), and exports
# PYTHONPATH and TF_CLI_CONFIG_FILE. $(CURDIR) is the repository root.
#
#   make infra-install   venvs for checkov and the Terraform parsers + the provider schema (stamped)
#   make infra-check     every offline check: fmt, checkov, provider schema, events schema, topology test
#   make package         dist/mkopo-functions.zip (main.py, mkopo/, requirements.txt)
#   make plan            terraform init + plan for TF_ENV (dev by default); needs GCP credentials

INFRA_PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV := $(CURDIR)/.venv-checkov
HCL2_VENV := $(CURDIR)/.venv-hcl2
INFRA_CACHE := $(CURDIR)/.cache/infra
GOOGLE_SCHEMA_WHEEL := 16.12.1
GOOGLE_SCHEMA := $(INFRA_CACHE)/google-provider-schema-cdktf-$(GOOGLE_SCHEMA_WHEEL).json
INFRA_PIP := pip install -q --disable-pip-version-check --no-input
TF_ROOT := $(CURDIR)/infra/terraform
TF_ENV ?= dev
TF_VARS ?= terraform.tfvars
PACKAGE_ZIP := $(CURDIR)/dist/mkopo-functions.zip
export TF_CLI_CONFIG_FILE ?= $(CURDIR)/infra/terraform/terraformrc

.PHONY: infra-install infra-check infra-fmt infra-gen package plan

# Regenerate what Terraform mirrors from the code (topology, events schema), then format.
infra-gen: $(HCL2_VENV)/.installed
	$(INFRA_PYTHON) infra/scripts/gen_topology.py
	$(INFRA_PYTHON) infra/scripts/gen_schema.py
	$(HCL2_VENV)/bin/python infra/scripts/terraform.py fmt -recursive infra/terraform

$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt
	rm -rf $(CHECKOV_VENV)
	$(INFRA_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/$(INFRA_PIP) -r infra/requirements-checkov.txt
	touch $@

$(HCL2_VENV)/.installed: infra/requirements-hcl2.txt
	rm -rf $(HCL2_VENV)
	$(INFRA_PYTHON) -m venv $(HCL2_VENV)
	$(HCL2_VENV)/bin/$(INFRA_PIP) -r infra/requirements-hcl2.txt
	touch $@

# The google provider schema, from the cdktf wheel (downloaded, never installed).
$(GOOGLE_SCHEMA): $(HCL2_VENV)/.installed infra/scripts/check_schema.py
	mkdir -p $(INFRA_CACHE)
	$(HCL2_VENV)/bin/pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
		-d $(INFRA_CACHE) cdktf-cdktf-provider-google==$(GOOGLE_SCHEMA_WHEEL)
	rm -f $@
	$(HCL2_VENV)/bin/python infra/scripts/check_schema.py --schema-only

infra-install: $(CHECKOV_VENV)/.installed $(HCL2_VENV)/.installed $(GOOGLE_SCHEMA)

infra-fmt: $(HCL2_VENV)/.installed
	$(HCL2_VENV)/bin/python infra/scripts/terraform.py fmt -recursive infra/terraform

infra-check: infra-install $(VENV)/.installed
	@echo "== generated mirrors of topology.py and analytics.py are current"
	$(INFRA_PYTHON) infra/scripts/gen_topology.py --check
	@echo "== terraform fmt"
	$(HCL2_VENV)/bin/python infra/scripts/terraform.py fmt -check -diff -recursive infra/terraform
	@echo "== checkov"
	$(CHECKOV_VENV)/bin/checkov -d infra/terraform --framework terraform --skip-download --compact --quiet
	@echo "== google provider schema"
	$(HCL2_VENV)/bin/python infra/scripts/check_schema.py
	@echo "== events schema and topology cross-check"
	MKOPO_REQUIRE_INFRA=1 $(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/infra

package:
	$(INFRA_PYTHON) infra/scripts/package.py $(PACKAGE_ZIP)

plan: package
	@test -f $(TF_ROOT)/environments/$(TF_ENV)/$(TF_VARS) || { \
		echo "copy infra/terraform/environments/$(TF_ENV)/terraform.tfvars.example to $(TF_VARS) and set project_id"; exit 1; }
	terraform -chdir=$(TF_ROOT)/environments/$(TF_ENV) init -input=false
	terraform -chdir=$(TF_ROOT)/environments/$(TF_ENV) plan -input=false -var-file=$(TF_VARS) \
		-var=source_archive=$(PACKAGE_ZIP) -out=tfplan
