"""One real `make dev` (webserver + daemon from the system env, code location from .venv) on a
private copy of the demo project, shared by the isolation tests of this folder."""

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterRunStatus

from tests.conftest import DEMO_PROJECT, Sandbox, copy_dbt_project, make_sandbox, manifest_of
from tests.harness.dagster_dev import DevServer, make_dev, wait_for

ASSET_NODES = "{ assetNodes { assetKey { path } isMaterializable } }"
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@dataclass
class DevStack:
    server: DevServer
    sandbox: Sandbox
    manifest: dict
    full_run_id: str
    full_run_seconds: float

    def wait_for_runs(self, run_ids: list[str], timeout: float = 600) -> dict:
        with self.sandbox.instance() as instance:

            def all_done():
                runs = {run_id: instance.get_run_by_id(run_id) for run_id in run_ids}
                if all(run and run.status in FINISHED for run in runs.values()):
                    return runs
                assert self.server.process.poll() is None, self.server.log_tail()
                return None

            return wait_for(all_done, timeout=timeout, interval=1, what=f"runs {run_ids}")


@pytest.fixture(scope="package")
def dev_stack(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("dev_stack")
    project = copy_dbt_project(DEMO_PROJECT, root / "dbt_project")
    sandbox = make_sandbox(root, project)
    # These tests prove the isolation of slices, the layout with several dbt steps per run (on
    # DuckDB the default is one step: settings.dbt_steps()).
    sandbox.env["DBT_STEPS"] = "slices"
    with make_dev(sandbox.env, root / "make_dev.log") as server:

        def materializable_assets():
            assert server.process.poll() is None, server.log_tail()
            try:
                nodes = server.graphql(ASSET_NODES)["data"]["assetNodes"]
            except (OSError, KeyError, TypeError):
                return None
            return [n["assetKey"]["path"] for n in nodes if n["isMaterializable"]] or None

        keys = wait_for(materializable_assets, timeout=300, interval=2, what="the code location")
        started = time.monotonic()
        run_id = server.launch_assets(keys)
        stack = DevStack(server, sandbox, manifest_of(Path(project)), run_id, 0.0)
        runs = stack.wait_for_runs([run_id])
        stack.full_run_seconds = time.monotonic() - started
        assert runs[run_id].status == DagsterRunStatus.SUCCESS, server.log_tail()
        yield stack
