"""The one dbt project this code location orchestrates, and its build-time preparation; read by
every concern (dbt assets, ingestion of its sources, schedules), so it sits above them.

Preparing = `dbt deps` when the package files changed, then `dbt parse` when anything the
manifest depends on changed (lib/dbt/fingerprint.py), else nothing. `make manifest`, `make dev`
and the images call it; its fingerprint is stored beside the manifest, so an unchanged project
costs a hash of its files, not dbt's start-up and a parse.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration import settings
from orchestration.lib.dbt import fingerprint, packages

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

# Beside target/manifest.json: the fingerprint it was parsed from and the package files digest
# of the last `dbt deps`.
STATE_FILE = "dagster_prepared.json"


@functools.cache
def dbt_project() -> DbtProject:
    """The dbt project named by DBT_PROJECT_DIR, shared by the assets and the CLI resource.

    Outside `dagster dev` the manifest must have been prepared at build time (`make manifest`),
    so no run pays for a parse. Under `dagster dev` every process checks the fingerprint: the
    code server re-parses once after an edit; the run workers and step processes it starts find
    the manifest current and skip (dagster-dbt's own `prepare_if_dev` would re-parse in each).
    """
    from dagster_dbt import DbtProject
    from dagster_dbt.dbt_project import using_dagster_dev

    project = DbtProject(
        project_dir=settings.dbt_project_dir(),
        profiles_dir=settings.dbt_profiles_dir(),
        target=settings.dbt_target(),
    )
    if using_dagster_dev():
        prepare(project.project_dir)
    return project


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(path: Path, state: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    temporary.replace(path)


def _dbt_command(project_dir: Path, *args: str) -> list[str]:
    command = [settings.dbt_executable(), *args, "--project-dir", str(project_dir)]
    command += ["--profiles-dir", str(settings.dbt_profiles_dir())]
    return command


def prepare(project_dir: Path) -> list[str]:
    """Install packages and parse the project if, and only if, something they depend on changed.

    Returns what was done (`deps`, `parse`), for the caller to report. A file lock makes
    concurrent callers (the code server and a run worker of `dagster dev`) parse once: the
    second one finds the new fingerprint and skips.
    """
    dirs = fingerprint.output_dirs(project_dir)
    # Where dagster-dbt's DbtProject reads the manifest (its default target path).
    target_dir = project_dir / "target"
    manifest = target_dir / "manifest.json"
    state_path = target_dir / STATE_FILE
    profiles_dir, target = settings.dbt_profiles_dir(), settings.dbt_target()
    current = fingerprint.fingerprint(project_dir, profiles_dir, target)
    if manifest.is_file() and _read_state(state_path).get("fingerprint") == current:
        return []

    target_dir.mkdir(parents=True, exist_ok=True)
    with (target_dir / ".prepare.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _read_state(state_path)
        done: list[str] = []
        env = {**os.environ, "DBT_TARGET_PATH": str(target_dir), "DBT_LOG_PATH": str(target_dir)}
        packages_dir = project_dir / dirs["packages-install-path"]
        if packages.deps_needed(project_dir, packages_dir, state.get("package_files")):
            packages.run_deps(_dbt_command(project_dir, "deps"), project_dir, env)
            done.append("deps")
        if packages.declared_packages(project_dir):
            state["package_files"] = packages.package_files_digest(project_dir)
        # Recomputed: deps changes the packages folder, and another process may have parsed.
        current = fingerprint.fingerprint(project_dir, profiles_dir, target)
        recorded = state.get("fingerprint")
        if not manifest.is_file() or recorded != current:
            changed = fingerprint.changed_parts(recorded, current)
            # dbt's own partial parse (target/partial_parse.msgpack) keeps this parse short
            # when only a few files changed.
            command = _dbt_command(project_dir, "parse", "--quiet")
            if target:
                command += ["--target", target]
            _run_parse(command, project_dir, env)
            state["fingerprint"] = current
            done.append(f"parse (changed: {', '.join(changed)})")
        _write_state(state_path, state)
    return done


def _run_parse(command: list[str], project_dir: Path, env: dict[str, str]) -> None:
    import subprocess

    done = subprocess.run(command, cwd=project_dir, env=env, check=False)
    if done.returncode != 0:
        raise settings.ConfigError(
            f"dbt parse failed for the dbt project {project_dir} (its errors are above): fix "
            "the project, then run `make manifest` again."
        )


def prepare_manifest() -> None:
    """The build-time step of a deploy and of `make manifest`: prepare the configured project."""
    project_dir = settings.dbt_project_dir()
    done = prepare(project_dir)
    what = " and ".join(done) if done else "nothing changed, manifest kept"
    # A command-line entry point (`make manifest`): it reports to the terminal.
    sys.stdout.write(f"dbt project {project_dir}: {what}\n")


def main() -> int:
    try:
        settings.validate()
        prepare_manifest()
    except settings.ConfigError as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
