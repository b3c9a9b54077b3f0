"""A real `make dev` over the operating drills' dbt project (drills.py), shared by this folder."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRun

from tests.harness.dagster_dev import DevServer, make_dev
from tests.harness.sandbox import Sandbox, make_sandbox
from tests.operating.drills import MODELS, write_ops_project


@dataclass
class OpsStack:
    server: DevServer
    sandbox: Sandbox
    project: Path

    def runs_dir(self, run_id: str) -> Path:
        return Path(self.sandbox.env["DATA_DIR"]) / "dbt_runs" / run_id

    def wait_finished(self, run_id: str) -> DagsterRun:
        with self.sandbox.instance() as instance:
            return self.server.wait_for_runs(instance, [run_id])[run_id]

    def materialized(self, run_id: str) -> set[str]:
        with self.sandbox.instance() as instance:
            keys = instance.get_asset_keys_for_run(
                run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
            )
            return {key.to_user_string() for key in keys}


@pytest.fixture(scope="package")
def ops_stack(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ops_stack")
    project = write_ops_project(root / "ops_drills")
    sandbox = make_sandbox(root, project)
    with make_dev(sandbox.env, root / "make_dev.log") as server:
        assert len(server.wait_for_assets()) >= len(MODELS)
        yield OpsStack(server, sandbox, project)
