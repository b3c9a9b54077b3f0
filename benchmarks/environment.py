"""What every measured side shares: the checkout measured, a clean environment, fresh folders,
the probe processes, and what dbt's artifacts say about a run."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.processes import PROCESS_TIMEOUT_S

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "benchmarks"
DEFAULT_WORKDIR = BENCH_DIR / "projects"
# Whose orchestration/ (and dagster_home/dagster.yaml) is measured: this checkout unless
# --code-root names another one (e.g. `git archive HEAD | tar -x -C /tmp/base`, for an A/B).
_code_root = REPO_ROOT


class BenchmarkError(RuntimeError):
    """A measured process failed or did not do everything it should have."""


def code_root() -> Path:
    return _code_root


def set_code_root(path: Path) -> None:
    """Measure the orchestration/ of another checkout (its dagster_home/dagster.yaml too)."""
    global _code_root
    path = Path(path).resolve()
    if not (path / "orchestration").is_dir():
        raise BenchmarkError(f"{path} has no orchestration/ package")
    _code_root = path


def python_exe() -> str:
    return sys.executable


def dbt_exe() -> str:
    sibling = Path(sys.executable).with_name("dbt")
    found = str(sibling) if sibling.is_file() else shutil.which("dbt")
    if not found:
        raise BenchmarkError("no dbt executable next to this python or on PATH")
    return found


def clean_env(project_dir: Path, **extra: str | Path) -> dict[str, str]:
    """A clean environment: no inherited dbt/Dagster/warehouse settings, this venv's bin first."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBT_", "DAGSTER_")) and k not in ("DUCKDB_PATH", "DATA_DIR")
    }
    # The knobs passed through: DBT_THREADS to both sides alike, DBT_STEPS to the product, and
    # DAGSTER_EVENT_BATCH_SIZE, which `make` sets for every Dagster process (Makefile).
    for knob in ("DBT_THREADS", "DBT_STEPS", "DAGSTER_EVENT_BATCH_SIZE"):
        if knob in os.environ:
            inherited[knob] = os.environ[knob]
    bin_dir = str(Path(sys.executable).parent)
    return {
        **inherited,
        "PATH": os.pathsep.join([bin_dir, inherited.get("PATH", "")]),
        # The measured code first, then this checkout for benchmarks._probe.
        "PYTHONPATH": os.pathsep.join(dict.fromkeys([str(_code_root), str(REPO_ROOT)])),
        "PYTHONUNBUFFERED": "1",
        "DBT_PROJECT_DIR": str(project_dir),
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **{k: str(v) for k, v in extra.items()},
    }


def probe(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """What `benchmarks._probe` reports, run in a fresh process with `env`."""
    done = subprocess.run(
        [python_exe(), "-m", "benchmarks._probe", *command],
        env=env,
        cwd=_code_root,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise BenchmarkError(f"probe {command} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def product_folders(run_dir: Path) -> tuple[Path, Path]:
    """A fresh `run_dir` holding a DAGSTER_HOME with the measured checkout's dagster.yaml and an
    empty DATA_DIR, as a product side starts from."""
    home = fresh(run_dir) / "dagster_home"
    home.mkdir()
    shutil.copy(_code_root / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    data = run_dir / "data"
    data.mkdir()
    return home, data


def full_reparses(log: Path) -> int:
    """How many dbt invocations in a log could not use the prepared partial parse."""
    return log.read_text(errors="replace").count("Unable to do partial parsing")


def run_results(folder: Path) -> dict[str, Any]:
    """dbt's own elapsed time and node statuses from every run_results.json under `folder`."""
    elapsed, statuses = 0.0, {}
    files = sorted(folder.rglob("run_results.json"))
    for file in files:
        data = json.loads(file.read_text())
        elapsed += float(data.get("elapsed_time", 0.0))
        for result in data.get("results", []):
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    return {"dbt_invocations": len(files), "dbt_elapsed_s": elapsed, "dbt_statuses": statuses}


def first_node_s(folder: Path, started_at: float) -> float | None:
    """Seconds from `started_at` (a process start, a click) to dbt starting its first node after
    it, from the run_results.json files under `folder`."""
    starts = []
    for file in folder.rglob("run_results.json"):
        for result in json.loads(file.read_text()).get("results", []):
            for timing in result.get("timing", []):
                if timing.get("started_at"):
                    stamp = timing["started_at"].replace("Z", "+00:00")
                    starts.append(dt.datetime.fromisoformat(stamp).timestamp())
    later = [start for start in starts if start >= started_at]
    return min(later) - started_at if later else None
