"""Every reach into a private API of a library we pin, the version it was checked against, and
where it lives. tests/lib/test_private_api.py fails with this checklist when uv.lock pins another
version: re-check each listed name against the new release, then move the checked version.

Each hook imports its private names only under its own version guard, so an unchecked version
falls back to the library's stock behaviour (slower, never broken).
"""

from dataclasses import dataclass

from dagster_local_storage import checked as local_storage

from orchestration.lib import dagster_patches
from orchestration.lib.dbt import cli_resource, row_counting_dbt


@dataclass(frozen=True)
class PrivateHook:
    package: str  # the distribution, as uv.lock names it
    checked_version: str
    where: str
    private_names: tuple[str, ...]
    why: str


PRIVATE_HOOKS = (
    PrivateHook(
        package="dagster",
        checked_version=dagster_patches.CHECKED_DAGSTER_VERSION,
        where="orchestration/lib/dagster_patches.py",
        private_names=(
            "dagster._core.execution.context.system.StepExecutionContext",
            "StepExecutionContext.get_output_asset_keys",
        ),
        why="a step's output asset keys computed once per step, not once per output",
    ),
    PrivateHook(
        package="dagster",
        checked_version=dagster_patches.CHECKED_DAGSTER_VERSION,
        where="orchestration/lib/dagster_patches.py",
        private_names=(
            "dagster._core.execution.plan.active.ActiveExecution",
            "ActiveExecution._all_upstream_outputs_produced",
            "ActiveExecution._all_upstream_outputs_failed_or_abandoned",
            "ActiveExecution._has_produced_output, _step_outputs, _success, _failed, _skipped, "
            "_abandoned, _plan",
        ),
        why="steps start on their inputs without waiting for a check dbt never ran",
    ),
    PrivateHook(
        package="dagster-dbt",
        checked_version=cli_resource.CHECKED_DAGSTER_DBT_VERSION,
        where="orchestration/lib/dbt/cli_resource.py",
        private_names=(
            "dagster_dbt.DbtCliResource._cli_version",
            "dagster_dbt.DbtCliResource._initialize_dbt_core_adapter",
        ),
        why="no `dbt --version` per step; no in-process adapter when dbt counts rows itself",
    ),
    PrivateHook(
        package="dbt-core",
        checked_version=row_counting_dbt.CHECKED_DBT_CORE_VERSION,
        where="orchestration/lib/dbt/row_counting_dbt.py",
        private_names=("dbt.task.run.ModelRunner.execute",),
        why="a view whose SQL fails when read is a failed model (DBT_QUERY_VIEWS)",
    ),
    PrivateHook(
        package="dagster",
        checked_version=local_storage.CHECKED_DAGSTER_VERSION,
        where="packages/dagster-local-storage/src/dagster_local_storage/kept_connection.py",
        private_names=local_storage.PRIVATE_IMPORTS + local_storage.PRIVATE_MEMBERS,
        why="the local instance's SQLite event log with kept connections and batched writes",
    ),
    PrivateHook(
        package="dagster",
        checked_version=dagster_patches.CHECKED_DAGSTER_VERSION,
        where="orchestration/ (plain imports of names Dagster does not export)",
        private_names=(
            "dagster._core.definitions.unresolved_asset_job_definition."
            "UnresolvedAssetJobDefinition",
            "dagster._core.errors.DagsterExecutionInterruptedError",
            "dagster._core.storage.tags.WILL_RETRY_TAG",
            "dagster._core.definitions.freshness.FreshnessState",
            "dagster._utils.schedules.is_valid_cron_string",
        ),
        why="run policies on asset jobs, a stop seen as such, the retry tag, freshness states, "
        "cron validation: no guard (nothing to fall back to); a moved name fails the load",
    ),
)


def checklist(locked: dict[str, str]) -> list[str]:
    """One line per hook whose library a lock (name -> version) pins at another version than the
    hook was checked against; libraries the lock does not hold are not its concern."""
    return [
        f"{hook.package} {locked[hook.package]} (checked: {hook.checked_version}) in "
        f"{hook.where} ({hook.why}): re-check {', '.join(hook.private_names)}"
        for hook in PRIVATE_HOOKS
        if hook.package in locked and locked[hook.package] != hook.checked_version
    ]
