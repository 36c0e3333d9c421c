# Benchmark and chaos suites (included by the main Makefile, which exports PYTHONPATH and defines VENV/PY).
# Own port offsets: bench 20000, chaos 15000 (below the ephemeral port range, 32768+) (make dev uses 0, the tests 10000).
BENCH_VENV := .venv-bench

.PHONY: bench bench-quick chaos chaos-short cost

$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
	touch $@

bench: $(VENV)/.installed $(BQ_VENV)/.installed $(BENCH_VENV)/.installed   ## numbers → bench/results.json + table
	$(PY) -m bench.run --offset 20000

bench-quick: $(VENV)/.installed $(BQ_VENV)/.installed $(BENCH_VENV)/.installed   ## the same, smaller counts
	$(PY) -m bench.run --offset 20000 --quick

chaos: $(VENV)/.installed $(BQ_VENV)/.installed   ## long form: 1,000 applications from 100 borrowers, ...
	$(PY) -m chaos.run --long --offset 15000

chaos-short: $(VENV)/.installed $(BQ_VENV)/.installed   ## short form (part of make test), a few minutes
	$(PY) -m chaos.run --offset 15000

cost: $(VENV)/.installed $(BQ_VENV)/.installed   ## what one loan costs: counts, floors, price → bench/cost.json + table
	$(PY) -m bench.cost --offset 17000 --check
