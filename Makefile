# Two entry points for a fresh machine with Python 3.11+ and make:
#   make demo   installs into .venv, builds the demo plan and serves it on http://127.0.0.1:8000
#   make test   installs into .venv (with dev tools) and runs lint, types and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# numba compiles the routing kernels once, here, into its disk cache (not in the first plan).
	$(BIN)/python -m app.planning.warm_up
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/canvass demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The PostgreSQL variants run too when PostgreSQL is installed (scripts/with-postgres.sh).
test: lint
	sh scripts/with-postgres.sh $(BIN)/python -m pytest

# The README's pictures, taken by the browser tests on the demo plan (needs Debian's Chromium).
screenshots: install
	CANVASS_README_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/app/web/test_readme_screenshots.py

# Benchmarks print figures measured side by side; some use ../shared/data when it is there.
bench: install
	$(BIN)/python bench/bench_routing.py
	$(BIN)/python bench/bench_turfs.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_geocode.py
	$(BIN)/python bench/bench_segments.py
	$(BIN)/python bench/bench_results_load.py
	$(BIN)/python bench/bench_page_weight.py

clean:
	rm -rf $(VENV) canvass-data .pytest_cache .mypy_cache .ruff_cache
