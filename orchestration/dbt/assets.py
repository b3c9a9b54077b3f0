"""dbt models, seeds and snapshots as Dagster assets, with dbt tests as asset checks."""

import functools
import uuid

from dagster import AssetExecutionContext, AssetsDefinition, Config
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration import settings
from orchestration.dbt.project import dbt_project
from orchestration.lib.dbt.cli_args import dbt_build_args, invocation_target_path
from orchestration.lib.dbt.events import stream_dbt_events
from orchestration.lib.dbt.translator import ProjectTranslator

# Everything dbt can build; sources are upstream assets, not built here.
ALL_DBT_RESOURCES = "fqn:*"


class DbtBuildConfig(Config):
    """Run-time knobs a user can set from the launchpad."""

    full_refresh: bool = False
    dbt_vars: dict[str, str] = {}


@functools.cache
def project_dbt_assets() -> AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ProjectTranslator(),
        select=ALL_DBT_RESOURCES,
        name="dbt_build",
    )
    def _dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
        target_path = invocation_target_path(
            settings.dbt_runs_dir(), context.run.run_id, context.op_execution_context.op.name,
            uuid.uuid4().hex[:8],
        )
        invocation = dbt.cli(
            dbt_build_args(full_refresh=config.full_refresh, dbt_vars=config.dbt_vars),
            context=context,
            target_path=target_path,
        )
        yield from stream_dbt_events(invocation, single_writer=settings.single_writer_warehouse())

    return _dbt_build
