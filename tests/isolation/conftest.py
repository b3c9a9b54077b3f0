"""One real `make dev` (webserver + daemon from the system env, code location from .venv) on a
private copy of the demo project, shared by the isolation tests of this folder."""

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterRunStatus

from tests.harness.dagster_dev import SandboxedDev, make_dev
from tests.harness.sandbox import DEMO_PROJECT, copy_dbt_project, make_sandbox, manifest_of


@dataclass
class DevStack(SandboxedDev):
    manifest: dict
    full_run_id: str
    full_run_seconds: float


@pytest.fixture(scope="package")
def dev_stack(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("dev_stack")
    project = copy_dbt_project(DEMO_PROJECT, root / "dbt_project")
    sandbox = make_sandbox(root, project)
    # These tests prove the isolation of slices, the layout with several dbt steps per run (on
    # DuckDB the default is one step: settings.dbt_steps()).
    sandbox.env["DBT_STEPS"] = "slices"
    with make_dev(sandbox.env, root / "make_dev.log") as server:
        nodes = server.wait_for_assets()
        keys = [n["assetKey"]["path"] for n in nodes if n["isMaterializable"]]
        started = time.monotonic()
        run_id = server.ui.launch_assets(keys)
        stack = DevStack(server, sandbox, manifest_of(Path(project)), run_id, 0.0)
        runs = stack.wait_for_runs([run_id])
        stack.full_run_seconds = time.monotonic() - started
        assert runs[run_id].status == DagsterRunStatus.SUCCESS, server.log_tail()
        yield stack
