# Two commands matter: `make dev` (set up + UI) and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
DEV_PORT ?= 3000

TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
SYSTEM_VENV := .venv-system

# One local instance and one data folder per checkout; override any of these from the shell.
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export DATA_DIR ?= $(CURDIR)/data
export DUCKDB_PATH ?= $(DATA_DIR)/warehouse.duckdb
# Where raw files arrive (file:// or s3://bucket/prefix); ingestion loads them into DuckDB.
export LANDING_URL ?= file://$(abspath $(DATA_DIR))/landing
# Launching a run writes a "planned" event per asset and check; hand them to the instance's
# storage as one batch, which the local storage writes in one transaction (packages/).
export DAGSTER_EVENT_BATCH_SIZE ?= 1000
# dagster-dbt's manifest preparer calls the `dbt` on PATH: make it the code location's.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Never let uv download an interpreter: use the machine's python3.
export UV_PYTHON_DOWNLOADS := never
# Compile site-packages at install, as the images do: every run, step and dbt process imports
# Dagster and dbt, and a machine that sets PYTHONDONTWRITEBYTECODE would recompile them each time.
export UV_COMPILE_BYTECODE := 1

.PHONY: install manifest land dev run test test-fast lint format bench clean images

install: $(VENV)/.installed $(SYSTEM_VENV)/.installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# The code location: orchestration/, dbt-core and the adapter (root pyproject.toml + uv.lock).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

# The Dagster system (webserver, daemon): its own lock, and no dbt in it.
$(SYSTEM_VENV)/.installed: deploy/system/pyproject.toml deploy/system/uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(SYSTEM_VENV) $(UV) sync --frozen --project deploy/system --python $(PYTHON)
	touch $@

manifest: install
	$(VENV)/bin/python -m orchestration.project

# Demo batches (CSV, JSON lines, Parquet) into the landing zone, unless it already holds files.
land: install
	$(VENV)/bin/python -m demo --landing-url $(LANDING_URL) --if-missing

# Alerts link to the run or asset in this UI unless DAGSTER_UI_URL says otherwise.
dev: manifest land
	$(VENV)/bin/python -m orchestration.cli.dead_runs
	DAGSTER_UI_URL="$${DAGSTER_UI_URL:-http://127.0.0.1:$(DEV_PORT)}" \
	  $(SYSTEM_VENV)/bin/dagster dev --workspace workspace.yaml --host 127.0.0.1 --port $(DEV_PORT)

run: manifest land
	$(VENV)/bin/python -m orchestration.cli.run

# The whole suite, every lane (what CI runs).
test: install
	$(VENV)/bin/pytest

# The in-process lanes only (unit, integration): no dbt run, `make dev`, daemon, ECS or browser.
test-fast: install
	$(VENV)/bin/pytest -m "unit or integration"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pyright
	@# sqlfluff's dbt templater opens the warehouse (DuckDB creates the file, not its folder).
	mkdir -p $(DATA_DIR)
	$(VENV)/bin/sqlfluff lint dbt_project/models

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Orchestration overhead against bare `dbt build` and naive dagster-dbt: our demo, a small
# fixture project, and synthetic projects of 600 and 3000 models (~30 min on 2 cores). The
# default layout (DBT_STEPS unset); `make bench DBT_STEPS=slices` measures the other one.
# On DuckDB; `make bench WAREHOUSE=postgres` (or "duckdb postgres") on a throw-away local Postgres.
WAREHOUSE ?= duckdb
bench: install
	$(VENV)/bin/python -m benchmarks.run --sizes 600 3000 --warehouse $(WAREHOUSE)

clean:
	rm -rf $(VENV) $(SYSTEM_VENV) $(TOOLS) data dbt_project/target

# The two production images (deploy/, README "Deploying to ECS"); needs a container engine.
IMAGE_TAG ?= $(shell git rev-parse --short HEAD)
images:
	docker build -f deploy/system.Dockerfile --build-arg UV_VERSION=$(UV_VERSION) -t dagster-dbt-system:$(IMAGE_TAG) .
	docker build -f deploy/code-location.Dockerfile --build-arg UV_VERSION=$(UV_VERSION) -t dagster-dbt-code:$(IMAGE_TAG) .
