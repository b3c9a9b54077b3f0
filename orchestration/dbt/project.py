"""The one dbt project this code location orchestrates."""

import functools

from dagster_dbt import DbtProject

from orchestration import settings


@functools.cache
def dbt_project() -> DbtProject:
    """The dbt project named by DBT_PROJECT_DIR, shared by the assets and the CLI resource.

    Under `dagster dev` the manifest is re-parsed at load so edits show up; everywhere else it
    must have been prepared at build time (`make manifest`), so no run pays for a parse.
    """
    project = DbtProject(
        project_dir=settings.dbt_project_dir(),
        profiles_dir=settings.dbt_profiles_dir(),
        target=settings.dbt_target(),
    )
    project.prepare_if_dev()
    return project


def prepare_manifest() -> None:
    """Parse the dbt project into target/manifest.json: the build-time step of a deploy.

    dagster-dbt's preparer runs the `dbt` found on PATH: the Makefile and the images put the
    code location's bin/ first on PATH.
    """
    project = dbt_project()
    project.preparer.prepare(project)


if __name__ == "__main__":
    prepare_manifest()
