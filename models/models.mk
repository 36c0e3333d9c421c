# Training targets. The main Makefile includes this file after it sets VENV, BQ_VENV and PY.
#
#   make train    fit a new points table on the outcomes in the local BigQuery (after `make seed`) and
#                 write models/scorecard-$(VERSION).json + its model card (.card.json, .card.md)
#
# VERSION: the new table's version; PREVIOUS: the version it is compared with (PSI, AUC);
# OFFSET: port offset of the stack whose BigQuery holds the seeded month.
# scikit-learn lives in its own venv (.venv-train): never in requirements.txt, never in a function.

TRAIN_VENV := .venv-train
TRAIN_STAMP := $(TRAIN_VENV)/.installed
VERSION ?= v2
PREVIOUS ?= launch-v1
OFFSET ?= 0

.PHONY: train

$(TRAIN_STAMP): requirements.txt models/requirements-train.txt
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt -r models/requirements-train.txt
	touch $@

train: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python -m models.train --offset $(OFFSET) --version $(VERSION) --previous $(PREVIOUS)
