"""The one dbt project this code location orchestrates."""

import functools
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from orchestration import settings

# What dbt reads to build its manifest; target/ and logs/ are its outputs.
_PROJECT_SOURCES = ("*.yml", "*.yaml", "*.sql", "*.csv", "*.py", "*.md")
_OUTPUT_DIRS = {"target", "logs", "dbt_packages"}


@functools.cache
def dbt_project() -> DbtProject:
    """The dbt project named by DBT_PROJECT_DIR, shared by the assets and the CLI resource.

    Outside `dagster dev` the manifest must have been prepared at build time (`make manifest`),
    so no run pays for a parse. Under `dagster dev` it is re-parsed when a project file is newer
    than it: the code server re-parses after an edit, while the run workers and step processes
    it starts find the manifest fresh and skip the parse (dagster-dbt's own `prepare_if_dev`
    would re-parse in every one of them).
    """
    project = DbtProject(
        project_dir=settings.dbt_project_dir(),
        profiles_dir=settings.dbt_profiles_dir(),
        target=settings.dbt_target(),
    )
    if using_dagster_dev() and manifest_is_stale(project.project_dir, project.manifest_path):
        project.preparer.prepare(project)
    return project


def manifest_is_stale(project_dir: Path, manifest_path: Path) -> bool:
    """True if there is no manifest, or any dbt source file was modified after it."""
    if not manifest_path.exists():
        return True
    built_at = manifest_path.stat().st_mtime
    for pattern in _PROJECT_SOURCES:
        for path in project_dir.rglob(pattern):
            if _OUTPUT_DIRS.isdisjoint(path.relative_to(project_dir).parts) and (
                path.stat().st_mtime > built_at
            ):
                return True
    return False


def prepare_manifest() -> None:
    """Parse the dbt project into target/manifest.json: the build-time step of a deploy.

    dagster-dbt's preparer runs the `dbt` found on PATH: the Makefile and the images put the
    code location's bin/ first on PATH.
    """
    project = dbt_project()
    project.preparer.prepare(project)


if __name__ == "__main__":
    try:
        settings.validate()
    except settings.ConfigError as error:
        raise SystemExit(f"Configuration error:\n{error}") from None
    prepare_manifest()
