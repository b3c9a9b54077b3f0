# syntax=docker/dockerfile:1.7
# The *code-location* image: orchestration/, dbt-core, the adapter (root uv.lock, no dev group)
# and the dbt project with its manifest parsed at BUILD time, so no process parses it at run
# time. It serves the gRPC code server (deploy/ecs/code-server.json), and the EcsRunLauncher
# runs every run task, and the ecs_executor every step task, from this same image: the code
# server reports it as DAGSTER_CURRENT_IMAGE.
#
#   docker build -f deploy/code-location.Dockerfile -t dagster-dbt-code:<tag> .   (repo root)
#
# Rolling out a new dbt version, adapter or model change = build this image, point the
# code-server task definition at it, update that one service. The system services stay as they
# are (README, "Deploying to ECS").
ARG PYTHON_VERSION=3.11
ARG UV_VERSION=0.13.9

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ARG UV_VERSION
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/dagster/venv
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /opt/dagster/app
# Dependencies first, from the lock alone: code edits do not reinstall them.
COPY pyproject.toml uv.lock ./
# The local instance's storage package, by its path in the lock (unused with production's
# Postgres instance). --no-editable: the venv is copied into the final stage alone.
COPY packages/dagster-local-storage/ packages/dagster-local-storage/
RUN uv sync --frozen --no-dev --no-editable --python "$(command -v python)"

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN useradd --system --uid 10001 --create-home --home-dir /opt/dagster/home dagster \
 && mkdir -p /data && chown dagster /data
COPY --from=build /opt/dagster/venv /opt/dagster/venv
WORKDIR /opt/dagster/app
COPY orchestration/ orchestration/
COPY dbt_project/ dbt_project/
# The image's defaults; the code-server task definition sets the deployment's values and
# forwards them to run and step tasks (DAGSTER_CONTAINER_CONTEXT, deploy/ecs/code-server.json).
# Values profiles.yml reads are given at build time too: dbt's partial parse stays valid when
# run time sees the same ones (the warehouse's host, port, user and database; not the password,
# which dbt leaves out of that check and which only run tasks get, as an ECS secret).
#   --build-arg DBT_POSTGRES_HOST=... --build-arg DBT_POSTGRES_USER=... --build-arg DBT_POSTGRES_DB=...
# A DuckDB file on a shared disk instead (the exception): --build-arg DBT_TARGET=prod.
ARG DBT_TARGET=postgres
ARG DBT_POSTGRES_HOST=""
ARG DBT_POSTGRES_PORT=5432
ARG DBT_POSTGRES_USER=""
ARG DBT_POSTGRES_DB=""
ARG DUCKDB_PATH=/data/warehouse.duckdb
ENV PATH=/opt/dagster/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DBT_PROJECT_DIR=/opt/dagster/app/dbt_project \
    DBT_TARGET=${DBT_TARGET} \
    DBT_POSTGRES_HOST=${DBT_POSTGRES_HOST} \
    DBT_POSTGRES_PORT=${DBT_POSTGRES_PORT} \
    DBT_POSTGRES_USER=${DBT_POSTGRES_USER} \
    DBT_POSTGRES_DB=${DBT_POSTGRES_DB} \
    DUCKDB_PATH=${DUCKDB_PATH} \
    DATA_DIR=/data \
    DBT_RUNS_DIR=/tmp/dbt_runs
# The build-time parse (`make manifest` does the same): target/manifest.json and dbt's partial
# parse file, written once, here. Then the project becomes read-only: every dbt invocation
# writes to its own folder under DBT_RUNS_DIR (README, "File-writing races").
# Parsing connects to nothing: a placeholder password satisfies the profile's env_var().
RUN DBT_POSTGRES_PASSWORD=unused-at-parse python -m orchestration.project \
 && test -s dbt_project/target/manifest.json \
 && chmod -R a-w /opt/dagster/app
USER dagster
EXPOSE 4000
# Overridden by each task: code server (deploy/ecs/code-server.json), `dagster api execute_run`
# (run tasks, from the EcsRunLauncher), `dagster api execute_step` (step tasks).
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", \
     "-m", "orchestration.definitions", "--location-name", "dbt_project"]
