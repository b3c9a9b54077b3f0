"""Sandbox: every test gets its own Dagster instance, data folder and DuckDB file."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.waiting import HANG_TIMEOUT

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
DEMO_PROJECT = REPO_ROOT / "dbt_project"
TINY_PROJECT = REPO_ROOT / "tests" / "fixtures" / "tiny_dbt_project"


@dataclass
class Sandbox:
    """An isolated place to run the product: its own DAGSTER_HOME, data dir and warehouse."""

    root: Path
    env: dict[str, str]

    @property
    def dagster_home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])

    @property
    def duckdb_path(self) -> Path:
        return Path(self.env["DUCKDB_PATH"])

    def python(
        self,
        *args: str,
        check: bool = True,
        timeout: float = HANG_TIMEOUT,
        merge_output: bool = False,
    ):
        """Run the code location's interpreter in the sandbox, as `make` would.

        `merge_output`: stderr goes into stdout, for a test that reads the output as a user sees
        it in the terminal (log lines and prints, in order).
        """
        return subprocess.run(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
            text=True,
            check=check,
            timeout=timeout,
        )

    def popen(self, *args: str, **streams: Any) -> subprocess.Popen:
        """Start the code location's interpreter in the sandbox without waiting for it, for a
        test that acts on the running process (a kill); `streams` as subprocess.Popen takes them.
        """
        return subprocess.Popen([sys.executable, *args], cwd=REPO_ROOT, env=self.env, **streams)

    def instance(self):
        """The sandbox's Dagster instance, opened from this process (SQLite storage).

        Its dagster.yaml locates the storage by DAGSTER_HOME, which every process of the sandbox
        has; this one gets it while the instance is built.
        """
        from unittest import mock

        from dagster import DagsterInstance

        with mock.patch.dict(os.environ, {"DAGSTER_HOME": str(self.dagster_home)}):
            return DagsterInstance.from_config(str(self.dagster_home))

    def prepare_manifest(self) -> None:
        self.python("-m", "orchestration.project")

    @property
    def landing_url(self) -> str:
        """The landing zone: LANDING_URL if the sandbox sets one, else DATA_DIR/landing."""
        return self.env.get("LANDING_URL") or (Path(self.env["DATA_DIR"]) / "landing").as_uri()

    def load_demo_data(self, *args: str) -> None:
        """Put the demo batches into the landing zone (`make land`): ingestion loads them."""
        self.python("-m", "demo", "--landing-url", self.landing_url, *args)


def copy_dbt_project(source: Path, destination: Path) -> Path:
    """A private copy of a dbt project, without build products, that a test may edit."""
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb")
    shutil.copytree(source, destination, ignore=ignore)
    return destination


_LOCATION_SETTINGS = {
    "LANDING_URL",
    "DBT_RUNS_DIR",
    "ALERTS_DIR",
    "DBT_PROFILES_DIR",
    "DBT_EXECUTABLE",
}


def make_sandbox(root: Path, project_dir: Path) -> Sandbox:
    dagster_home = root / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    data_dir = root / "data"
    data_dir.mkdir()
    # `make test` exports the checkout's own locations (LANDING_URL, ...): a sandbox must not
    # inherit them, or parallel tests would share one landing zone.
    inherited = {k: v for k, v in os.environ.items() if k not in _LOCATION_SETTINGS}
    env = {
        **inherited,
        "LANDING_URL": (data_dir / "landing").as_uri(),
        "DAGSTER_HOME": str(dagster_home),
        "DATA_DIR": str(data_dir),
        "DUCKDB_PATH": str(data_dir / "warehouse.duckdb"),
        "DBT_PROJECT_DIR": str(project_dir),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # Dagster's own wait on a code server (60 s by default) is a speed limit: on a loaded
        # 2-core machine a launch then fails before its run starts. Only bound a hang.
        "DAGSTER_GRPC_TIMEOUT_SECONDS": str(int(HANG_TIMEOUT)),
    }
    return Sandbox(root=root, env=env)


def manifest_of(project_dir: Path) -> dict:
    """The parsed manifest of a dbt project (`make manifest` or a test wrote it)."""
    return json.loads((project_dir / "target" / "manifest.json").read_text())
