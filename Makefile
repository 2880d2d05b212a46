# Two commands: `make run` (set up, demo data, materialize everything, print the metrics)
# and `make test` (the whole suite). Everything else here serves those two.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export SALES_LANDING_DIR ?= $(CURDIR)/data/landing
DEV_PORT ?= 3000
# The venv's tools (dbt, dagster) first, without activating it.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

DBT_FILES := $(shell find dbt/models dbt/macros dbt/tests dbt/dbt_project.yml dbt/profiles.yml -type f 2>/dev/null)
MANIFEST := dbt/target/manifest.json

.PHONY: run test dev demo install lint benchmark clean

# The virtual environment, installed from the lock (re-done when the lock changes). Bytecode is
# compiled once here: with PYTHONDONTWRITEBYTECODE set (as on CI), every run, dbt and check process
# would otherwise compile Dagster, dbt and GX again at start (about 5 s each).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --python $(PY) --quiet --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --python $(PY) --quiet --no-deps -e .
	touch $@

# The dbt manifest, built once and again only when a dbt file changes, with the vars the runs pass
# (their build then reuses this parse).
$(MANIFEST): $(VENV)/.installed $(DBT_FILES)
	$(PY) -m dagster_project.parse_dbt
	touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster_home/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

install: $(VENV)/.installed $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml

# Demo data only when the landing folder is empty: your own files are never mixed with it.
demo: install
	@if [ -z "$$(find "$(SALES_LANDING_DIR)" -type f 2>/dev/null | head -1)" ]; then \
		$(PY) -m dagster_project.demo --out "$(SALES_LANDING_DIR)" --contacts 3000 --seed 7 --format jsonl --dirty --quiet; \
	else echo "Landing folder $(SALES_LANDING_DIR) has files: no demo data written."; fi

# Settings checked first, demo data when the landing folder is empty, then one line per stage and
# the summary; every log line goes to <warehouse folder>/logs/run-*.log.
run: install
	@$(PY) -m dagster_project.run --demo-if-empty

# Stops on Ctrl-C or SIGTERM within 10 s, with everything it started (scripts/dev.sh).
dev: install
	scripts/dev.sh $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(DEV_PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Issue 12's benchmark (scripts/benchmark.py): 10 million events by default, about 10 minutes on
# 2 cores; `make benchmark EVENTS=20000` for a quick one. Everything goes to a temporary folder.
benchmark: install
	$(PY) scripts/benchmark.py $(if $(EVENTS),--events $(EVENTS))

clean:
	rm -rf data .dagster_home dbt/target dbt/logs
