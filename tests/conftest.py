"""Shared fixtures: every test gets its own Dagster instance, data folder and DuckDB file."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
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

    def python(self, *args: str, check: bool = True, timeout: float = 600):
        """Run the code location's interpreter in the sandbox, as `make` would."""
        return subprocess.run(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

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
        self.python("-m", "orchestration.dbt.project")

    @property
    def landing_url(self) -> str:
        """The landing zone: LANDING_URL if the sandbox sets one, else DATA_DIR/landing."""
        return self.env.get("LANDING_URL") or (Path(self.env["DATA_DIR"]) / "landing").as_uri()

    def load_demo_data(self, *args: str) -> None:
        """Put the demo batches into the landing zone (`make land`): ingestion loads them."""
        self.python(
            "-m", "orchestration.ingestion.demo_data", "--landing-url", self.landing_url, *args
        )


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
    }
    return Sandbox(root=root, env=env)


@pytest.fixture
def demo_sandbox(tmp_path: Path) -> Sandbox:
    """Our demo dbt project (a private copy), with its raw data loaded and manifest parsed."""
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    sandbox = make_sandbox(tmp_path, project)
    sandbox.load_demo_data()
    sandbox.prepare_manifest()
    return sandbox


@pytest.fixture(scope="session")
def parsed_demo_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """A demo project copy with its manifest parsed, shared by tests that only read it."""
    root = tmp_path_factory.mktemp("parsed_demo")
    sandbox = make_sandbox(root, copy_dbt_project(DEMO_PROJECT, root / "dbt_project"))
    sandbox.prepare_manifest()
    return sandbox


def manifest_of(project_dir: Path) -> dict:
    return json.loads((project_dir / "target" / "manifest.json").read_text())


@pytest.fixture
def load_definitions(monkeypatch: pytest.MonkeyPatch):
    """Build the code location's Definitions in-process against a sandbox's environment."""
    from orchestration.dbt.assets import project_dbt_assets
    from orchestration.dbt.project import dbt_project
    from orchestration.ingestion.assets import landing_assets, project_landing_tables

    caches = (dbt_project, project_dbt_assets, project_landing_tables, landing_assets)

    def _load(sandbox: Sandbox):
        for name in ("DAGSTER_HOME", "DATA_DIR", "DUCKDB_PATH", "DBT_PROJECT_DIR", "PATH"):
            monkeypatch.setenv(name, sandbox.env[name])
        for cache in caches:
            cache.cache_clear()
        from orchestration.definitions import build_definitions

        return build_definitions()

    yield _load
    for cache in caches:
        cache.cache_clear()
