"""The UI path: a run launched the way the UI's "Materialize all" button launches it.

`make dev`'s `dagster dev` (webserver, daemon, code server) on a fresh instance and warehouse.
Its first start materializes every asset without a click (the automation sensor); once that has
settled, the benchmark launches every asset it built through the webserver's GraphQL API, as the
button does, and follows the run through the queue, the daemon, the code server's run worker and
the step process. Measured from the click: the run's start, dbt's first node (run_results.json)
and the run's end. The bare `dbt build` beside it runs on an empty warehouse while this run
replaces tables the first start built; on DuckDB the two cost dbt about the same.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.environment import (
    REPO_ROOT,
    BenchmarkError,
    clean_env,
    code_root,
    first_node_s,
    probe,
    product_folders,
    python_exe,
)
from benchmarks.processes import PROCESS_TIMEOUT_S
from benchmarks.warehouses import Warehouse
from tests.harness.dagster_runs import settled, wait_for_run
from tests.harness.dagster_ui import DagsterUi
from tests.harness.ports import free_port
from tests.harness.processes import process_group
from tests.harness.sandbox import Sandbox
from tests.harness.waiting import HANG_TIMEOUT, wait_until

SYSTEM_DAGSTER = REPO_ROOT / ".venv-system" / "bin" / "dagster"


def _workspace(path: Path) -> Path:
    """The repository's workspace.yaml, pointed at the measured checkout and this interpreter
    (the one the code location's environment has), wherever the benchmark runs from."""
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    for entry in workspace["load_from"]:
        entry["python_module"]["working_directory"] = str(code_root())
        entry["python_module"]["executable_path"] = python_exe()
    path.write_text(yaml.safe_dump(workspace))
    return path


def ui_launch(
    project: Path,
    work: Path,
    tag: str,
    warehouse: Warehouse,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One "Materialize all" through a running `dagster dev`, after its first start settled."""
    if not SYSTEM_DAGSTER.is_file():
        raise BenchmarkError(f"{SYSTEM_DAGSTER} is missing: run `make install` first")
    run_dir = work / "ui"
    home, data = product_folders(run_dir)
    port = free_port()
    env = clean_env(
        project,
        DAGSTER_HOME=home,
        DATA_DIR=data,
        DAGSTER_UI_URL=f"http://127.0.0.1:{port}",
        **warehouse.env(work),
        **(extra_env or {}),
    )
    command = [str(SYSTEM_DAGSTER), "dev", "--workspace", str(_workspace(run_dir / "ws.yaml"))]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = work / "logs" / f"ui-{tag}.log"
    with process_group(command, cwd=code_root(), env=env, log_path=log) as dev:

        def alive() -> None:
            if dev.poll() is not None:
                raise BenchmarkError(f"dagster dev exited (code {dev.returncode}), see {log}")

        ui = DagsterUi(f"http://127.0.0.1:{port}")

        def served() -> list[dict] | None:
            alive()
            return ui.asset_nodes()

        wait_until(served, HANG_TIMEOUT, "the UI to serve the code location", poll=1)
        with Sandbox(root=run_dir, env=env).instance() as instance:

            def first_start_done() -> bool:
                alive()
                return bool(instance.get_run_records()) and settled(instance, ["automation"])

            wait_until(first_start_done, HANG_TIMEOUT, "the first start's runs", poll=1)
            keys = sorted(
                tuple(key.path)
                for key in instance.get_asset_keys()
                if instance.get_latest_materialization_event(key) is not None
            )
            clicked = time.time()
            run_id = ui.launch_assets(keys)
            run = wait_for_run(instance, run_id, PROCESS_TIMEOUT_S, alive=alive)
    info = probe(["run-info", run_id], env)
    if run.status.value != "SUCCESS" or info["materialized"] != len(keys):
        raise BenchmarkError(
            f"the UI-launched run {run_id} ended {run.status.value} with {info['materialized']}"
            f"/{len(keys)} assets materialized, see {log}"
        )
    return {
        "run_id": run_id,
        "assets": len(keys),
        "seconds": info["end_time"] - clicked,
        "click_to_run_start_s": info["start_time"] - clicked,
        "click_to_first_node_s": first_node_s(data, clicked),
        "run": info,
        "log": str(log),
    }
