"""One `make dev` on the drill project (drill_project.py) with a real PostgreSQL server as its dbt
warehouse (DBT_TARGET=postgres), shared by the multi-writer tests of this folder."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterEventType

from tests.harness.dagster_dev import SandboxedDev, make_dev
from tests.harness.dagster_runs import step_windows
from tests.harness.pg_warehouse import Warehouse, postgres_sandbox
from tests.warehouse.drill_project import MODELS, write_drill_project


@dataclass
class PgStack(SandboxedDev):
    project: Path
    warehouse: Warehouse
    database: str

    wait_finished = SandboxedDev.wait_for_runs  # the name the warehouse tests call it by

    def materialized(self, run_id: str) -> set[str]:
        with self.sandbox.instance() as instance:
            keys = instance.get_asset_keys_for_run(
                run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
            )
            return {key.to_user_string() for key in keys}

    def row_count(self, run_id: str, asset: str) -> int | None:
        """dagster/row_count of the asset's materialization in this run."""
        with self.sandbox.instance() as instance:
            for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
                event = entry.dagster_event
                assert event is not None
                materialization = event.step_materialization_data.materialization
                if materialization.asset_key.to_user_string() == asset:
                    value = materialization.metadata.get("dagster/row_count")
                    return None if value is None else int(value.value)  # type: ignore[arg-type]
        return None

    def step_windows(self, run_id: str) -> dict[str, tuple[float, float, set[str]]]:
        with self.sandbox.instance() as instance:
            return step_windows(instance, run_id)


@pytest.fixture(scope="package")
def pg_stack(tmp_path_factory: pytest.TempPathFactory, warehouse: Warehouse):
    root = tmp_path_factory.mktemp("pg_stack")
    project = write_drill_project(root / "pg_drills")
    sandbox, database = postgres_sandbox(root, warehouse, project)
    # The drills are about slices on a multi-writer warehouse: a pool per slice, disjoint slices
    # of two runs side by side (the default layout is one step per run: settings.dbt_steps()).
    sandbox.env["DBT_STEPS"] = "slices"
    warehouse.query(
        database,
        "create table public.drill_control (version int, delay_seconds float);"
        "insert into public.drill_control values (1, 0)",
    )
    with make_dev(sandbox.env, root / "make_dev.log") as server:
        assert len(server.wait_for_assets()) >= sum(map(len, MODELS.values()))
        yield PgStack(server, sandbox, project, warehouse, database)
