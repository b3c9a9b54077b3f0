"""A real `make dev` over a small dbt project built for operating drills: a model the tests
break and fix, its upstream sibling, and a model slow enough to be stopped mid-query."""

from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from dagster import DagsterEventType, DagsterRunStatus

from tests.conftest import Sandbox, make_sandbox
from tests.harness.dagster_dev import DevServer, make_dev, wait_for

FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
ASSET_NODES = "{ assetNodes { assetKey { path } } }"

MODELS = {
    "base": "select range as id from range(10)",
    "sibling": "select id * 2 as doubled from {{ ref('base') }}",
    "fragile": "select id from {{ ref('base') }}",
    "after_fragile": "select count(*) as n from {{ ref('fragile') }}",
    # Billions of multiply-adds: long enough to be stopped mid-query, interruptible by DuckDB.
    "slow": (
        "select sum(a.range * b.range) as s from range({{ var('slow_side', 400000) }}) a"
        " cross join range({{ var('slow_side', 400000) }}) b"
    ),
}


def write_ops_project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text(
        "name: ops_drills\nversion: '1.0.0'\nprofile: ops_drills\n"
        "models:\n  ops_drills:\n    +materialized: table\n"
        # The drills start every run themselves: the first start must not build `slow`.
        "    +meta: {dagster: {automation: false}}\n"
        # A schedule whose cron never comes during a test: the crash drill launches its tick.
        "vars:\n  dagster_schedules:\n"
        "    yearly_slow: {cron: '0 3 1 1 *', select: 'base slow'}\n"
    )
    (root / "profiles.yml").write_text(
        "ops_drills:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n"
        "      path: \"{{ env_var('DUCKDB_PATH') }}\"\n      threads: 2\n"
    )
    for name, sql in MODELS.items():
        (root / "models" / f"{name}.sql").write_text(sql + "\n")
    return root


def dbt_processes(project: Path) -> list[psutil.Process]:
    """Live `dbt build` processes working on this dbt project."""
    found = []
    for process in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            env = process.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "dbt" in cmdline and " build" in cmdline and env.get("DBT_PROJECT_DIR") == str(project):
            found.append(process)
    return found


@dataclass
class OpsStack:
    server: DevServer
    sandbox: Sandbox
    project: Path

    def wait_finished(self, run_id: str, timeout: float = 300):
        with self.sandbox.instance() as instance:

            def finished():
                assert self.server.process.poll() is None, self.server.log_tail()
                run = instance.get_run_by_id(run_id)
                return run if run and run.status in FINISHED else None

            return wait_for(finished, timeout=timeout, interval=0.5, what=f"run {run_id}")

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

        def code_location_loaded():
            assert server.process.poll() is None, server.log_tail()
            try:
                nodes = server.graphql(ASSET_NODES)["data"]["assetNodes"]
            except (OSError, KeyError, TypeError):
                return None
            return len(nodes) >= len(MODELS) or None

        wait_for(code_location_loaded, timeout=300, interval=2, what="the code location")
        yield OpsStack(server, sandbox, project)
