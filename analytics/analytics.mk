# Analytics targets. The main Makefile includes this file after it sets VENV, BQ_VENV and PY, and exports
# PYTHONPATH (shared:functions:.).
#
#   make seed     a deterministic month of lending into the local stack's events table (+ the views)
#   make report   analytics/out/report.html + PNG charts from the views, numbers printed
#
# OFFSET: port offset of the stack (0 = `make dev`; the seed starts the emulators there if none answer).
# SEED: the random seed; APPLICATIONS: how many applications over the 30 days.

VENV ?= .venv
BQ_VENV ?= .venv-bq
PY ?= $(VENV)/bin/python
OFFSET ?= 0
SEED ?= 7
APPLICATIONS ?= 3000
ANALYTICS_STAMP := $(VENV)/.analytics-installed

.PHONY: seed report

$(ANALYTICS_STAMP): $(VENV)/.installed analytics/requirements.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check -r analytics/requirements.txt
	touch $@

seed: $(ANALYTICS_STAMP) $(BQ_VENV)/.installed
	$(PY) -m analytics.seed --offset $(OFFSET) --seed $(SEED) --applications $(APPLICATIONS)

report: $(ANALYTICS_STAMP)
	$(PY) -m analytics.report --offset $(OFFSET)
