# mkopo: `make dev` runs the whole platform locally; `make test` runs every test tier.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BQ_VENV := .venv-bq
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/shared:$(CURDIR)/functions:$(CURDIR)
export TF_CLI_CONFIG_FILE := $(CURDIR)/infra/terraform/terraformrc

include infra/infra.mk
include analytics/analytics.mk
include bench/bench.mk
include models/models.mk

.PHONY: help install browser dev down test lint unit integration e2e clean

help:
	@echo "make dev    start emulators, functions and the API on http://127.0.0.1:8000 (OFFSET=N shifts ports)"
	@echo "make down   stop everything make dev started"
	@echo "make test   install and run lint, unit, integration, end-to-end and infra checks"
	@echo "make plan   terraform plan for a GCP project (needs the google provider and credentials)"
	@echo "make bench  latency, time-to-cash, throughput, cold start and memory -> bench/results.json"
	@echo "make cost   what one loan costs: counted operations, floors, list prices -> bench/cost.json"
	@echo "make chaos  load, redelivery, crash, provider-fault and poison scenarios with invariants"
	@echo "make seed / make report   a month of lending into local BigQuery, then an HTML report"
	@echo "make train a new scorecard points table + model card from the seeded outcomes (models/)"
	@echo "make i18n-extract / i18n-update / i18n-compile   the Kiswahili and French catalogues (Babel)"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(BQ_VENV)/.installed: emulators/requirements-bq.txt
	$(PYTHON) -m venv $(BQ_VENV)
	$(BQ_VENV)/bin/pip install -q --disable-pip-version-check -r emulators/requirements-bq.txt
	touch $@

install: $(VENV)/.installed $(BQ_VENV)/.installed

# Debian's Chromium for the console's browser tests (Playwright cannot download browsers here).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

browser: $(CHROMIUM)

OFFSET ?= 0

# OFFSET shifts every port (make dev OFFSET=22000: API on 30000), so a second stack can run beside the first.
dev: install
	$(PY) -m emulators.dev up --offset $(OFFSET)

down:
	$(PY) -m emulators.dev down --offset $(OFFSET)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check shared functions emulators tests analytics bench chaos infra/scripts models
	$(VENV)/bin/ruff format --check shared functions emulators tests analytics bench chaos infra/scripts models
	$(VENV)/bin/mypy shared/mkopo functions

unit: $(VENV)/.installed
	$(PY) -m pytest -q tests/unit

integration: install
	$(PY) -m pytest -q tests/integration

e2e: install browser
	$(PY) -m pytest -q tests/e2e

test: install browser lint infra-check $(ANALYTICS_STAMP) $(TRAIN_STAMP)
	$(PY) -m pytest -q tests --ignore=tests/infra
	$(PY) -m chaos.run --offset 15000

clean:
	rm -rf $(VENV) $(BQ_VENV) $(TRAIN_VENV) .venv-checkov .venv-hcl2 .run .cache dist

# Borrower texts in English, Kiswahili and French (gettext, Babel). The .po files are the translations;
# the compiled .mo files are committed beside them (the runtime and the deploy archive read them, no Babel).
LOCALES := shared/mkopo/locale
PYBABEL := $(VENV)/bin/pybabel
.PHONY: i18n-extract i18n-update i18n-compile
i18n-extract: $(VENV)/.installed
	$(PYBABEL) extract -F babel.cfg -k N_ --no-location --sort-output --project=mkopo --version=1 \
		--add-comments=TRANSLATORS: -o $(LOCALES)/mkopo.pot shared/mkopo

i18n-update: i18n-extract
	$(PYBABEL) update -D mkopo -i $(LOCALES)/mkopo.pot -d $(LOCALES) --no-fuzzy-matching

i18n-compile: $(VENV)/.installed
	$(PYBABEL) compile -D mkopo -d $(LOCALES) --statistics
