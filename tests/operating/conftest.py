"""A real `make dev` over the operating drills' dbt project (drills.py), shared by this folder."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRun

from tests.harness.dagster_dev import DevServer, make_dev
from tests.harness.sandbox import Sandbox, make_sandbox
from tests.harness.waiting import HANG_TIMEOUT, wait_until
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

    def automatic_retry(self, run_id: str) -> str:
        """The id of the run Dagster's retry daemon launched for a failed run.

        If none comes, the failure says what the instance knows: the run's tags (`will_retry`,
        its failure reason) and its engine events (the daemon reports there why it did not retry).
        """
        with self.sandbox.instance() as instance:

            def retry_id():
                run = instance.get_run_by_id(run_id)
                return run.tags.get("dagster/auto_retry_run_id") if run else None

            try:
                return wait_until(retry_id, HANG_TIMEOUT, f"the automatic retry of run {run_id}")
            except TimeoutError as no_retry:
                run = instance.get_run_by_id(run_id)
                events = instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
                said = [event.message for event in events[-10:]]
                raise AssertionError(
                    f"{no_retry}; its tags: {run.tags if run else None}; "
                    f"its last engine events: {said}; the daemon's log is in {self.server.log_path}"
                ) from no_retry

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
