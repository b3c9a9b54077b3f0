# syntax=docker/dockerfile:1.7
# The Dagster *system* image: webserver and daemon. It holds dagster, dagster-webserver,
# dagster-postgres and dagster-aws from deploy/system/uv.lock, and no dbt: user code runs only in
# the code-location image (deploy/code-location.Dockerfile), so a dbt upgrade never rebuilds this.
#
#   docker build -f deploy/system.Dockerfile -t dagster-dbt-system:<tag> .     (repo root context)
#
# One image, two ECS services: deploy/ecs/webserver.json and deploy/ecs/daemon.json.
ARG PYTHON_VERSION=3.11
# The uv release the Makefile bootstraps: the lock is read by the uv that wrote it.
ARG UV_VERSION=0.13.9

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ARG UV_VERSION
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/dagster/venv
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# The lock names the local instance's storage package by its path in the repo (unused in
# production, where the instance is Postgres, but part of the lock).
COPY packages/dagster-local-storage/ packages/dagster-local-storage/
COPY deploy/system/pyproject.toml deploy/system/uv.lock deploy/system/
# --frozen: exactly the lock, or fail. --no-editable: the venv is copied out of /src below.
RUN uv sync --frozen --no-dev --no-editable --project deploy/system --python "$(command -v python)"

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN useradd --system --uid 10001 --create-home --home-dir /opt/dagster/home dagster
COPY --from=build /opt/dagster/venv /opt/dagster/venv
# The webserver and the daemon launch the runs: their planned events go in batches (README).
ENV PATH=/opt/dagster/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    DAGSTER_EVENT_BATCH_SIZE=1000
# The production instance and workspace, the very files tests/ecs/ load.
COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY deploy/workspace.yaml /opt/dagster/app/workspace.yaml
RUN chown -R dagster /opt/dagster/dagster_home
WORKDIR /opt/dagster/app
USER dagster
EXPOSE 3000
# The webserver by default; the daemon service overrides the command (deploy/ecs/daemon.json).
CMD ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", "workspace.yaml"]
