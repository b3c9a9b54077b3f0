"""dbt models, seeds and snapshots as Dagster assets, one multi-asset per slice of the graph."""

import contextlib
import functools
import os
import uuid
from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetsDefinition, Config, DagsterEventType, Failure
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.asset_utils import DAGSTER_DBT_UNIQUE_ID_METADATA_KEY
from dagster_dbt.dbt_manifest import validate_manifest
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from orchestration import settings
from orchestration.dbt.project import dbt_project
from orchestration.lib.dagster_patches import cache_step_output_asset_keys
from orchestration.lib.dbt.artifacts import sweep_old_runs
from orchestration.lib.dbt.cli_args import dbt_build_args, invocation_target_path
from orchestration.lib.dbt.connection_errors import unreachable_warehouse_message
from orchestration.lib.dbt.events import stream_dbt_events
from orchestration.lib.dbt.slices import DbtSlice, slice_manifest
from orchestration.lib.dbt.translator import ProjectTranslator
from orchestration.lib.orphan_guard import interrupt_when_gone
from orchestration.settings import ConfigError


class DbtBuildConfig(Config):
    """Run-time knobs a user can set from the launchpad."""

    full_refresh: bool = False
    # Pydantic copies field defaults per instance, so a shared mutable default is safe here.
    dbt_vars: dict[str, str] = {}  # noqa: RUF012


def pool_for(dbt_slice: DbtSlice, *, single_writer: bool) -> str:
    """The concurrency pool a slice's step must hold a slot of while dbt runs.

    Pools are instance-wide, across runs, with one slot each (dagster.yaml). One pool per slice
    means two runs never build the same slice, hence the same model, at once, while disjoint
    slices run side by side. A single-writer warehouse gets one pool for every slice: only one
    dbt may hold its write lock, so the others queue instead of failing on the lock.
    """
    return "dbt_warehouse_writer" if single_writer else f"dbt_slice_{dbt_slice.name}"


def _build_slice_assets(dbt_slice: DbtSlice) -> AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ProjectTranslator(),
        select=dbt_slice.select,
        exclude=dbt_slice.exclude,
        name=f"dbt_{dbt_slice.name}",
        op_tags=dbt_slice.op_tags,
        pool=pool_for(dbt_slice, single_writer=settings.single_writer_warehouse()),
    )
    def _slice(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
        runs_dir = settings.dbt_runs_dir()
        sweep_old_runs(runs_dir, keep_days=settings.dbt_artifact_retention_days())
        target_path = invocation_target_path(
            runs_dir,
            context.run.run_id,
            context.op_execution_context.op.name,
            uuid.uuid4().hex[:8],
        )
        # A test on several models (relationships) must wait for the slice that builds the
        # last of them: with dbt's default `eager` indirect selection, building an upstream
        # slice would already run it, against tables that do not exist yet. `buildable` runs a
        # test once every model it reads is selected or upstream. dagster-dbt still overrides
        # this when it subsets checks; a user's own DBT_INDIRECT_SELECTION wins.
        os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
        # dbt's debug log (dbt.log, in the invocation's target folder) in text, as a bare `dbt
        # build` writes it. dagster-dbt's DBT_LOG_FORMAT=json is meant for the stdout it parses;
        # a JSON debug log on top cost dbt about 1 s in 20 at 600 models.
        os.environ.setdefault("DBT_LOG_FORMAT_FILE", "text")
        invocation = dbt.cli(
            dbt_build_args(full_refresh=config.full_refresh, dbt_vars=config.dbt_vars),
            context=context,
            target_path=target_path,
        )
        with interrupt_when_gone(_local_run_worker_pid(context)), _explain_connection_errors():
            yield from stream_dbt_events(
                invocation,
                single_writer=settings.single_writer_warehouse(),
                rows_counted_by_dbt=getattr(dbt, "counts_rows_in_dbt", False),
            )

    _check_selection(_slice, dbt_slice)
    return _slice


def _check_selection(assets: AssetsDefinition, dbt_slice: DbtSlice) -> None:
    """The slice's few-term dbt selection must match exactly the nodes assigned to it."""
    selected = {spec.metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY] for spec in assets.specs}
    if selected != dbt_slice.unique_ids:
        differing = sorted(selected ^ dbt_slice.unique_ids)[:5]
        raise ConfigError(
            f"dbt selection `{dbt_slice.select}` (excluding `{dbt_slice.exclude}`) for slice "
            f"{dbt_slice.name!r} does not match its nodes, e.g. {differing}. Give these nodes an "
            "explicit slice with meta.dagster.slice in dbt YAML."
        )


@contextlib.contextmanager
def _explain_connection_errors() -> Iterator[None]:
    """A dbt that could not reach the warehouse fails the step naming the target and variables."""
    try:
        yield
    except DagsterDbtCliRuntimeError as error:
        message = unreachable_warehouse_message(str(error), settings.warehouse_target())
        if message is None:
            raise
        raise Failure(description=message) from None


def _local_run_worker_pid(context: AssetExecutionContext) -> int | None:
    """The pid of this run's worker when steps run beside it (not in ECS tasks of their own)."""
    if settings.step_executor() == "ecs":
        return None
    starts = context.instance.all_logs(context.run.run_id, of_type=DagsterEventType.RUN_START)
    event = starts[0].dagster_event if starts else None
    return event.pid if event else None


@functools.cache
def project_dbt_assets() -> list[AssetsDefinition]:
    """One multi-asset (one Dagster step) per slice of the dbt graph; see lib/dbt/slices.py.

    DBT_STEPS=one makes it a single multi-asset, hence one step and one dbt invocation per run.
    """
    cache_step_output_asset_keys()  # one step may hold thousands of assets; see the module
    # validate_manifest reads through dagster-dbt's cache: @dbt_assets reuses the same parse.
    manifest = validate_manifest(dbt_project().manifest_path)
    one_step = settings.dbt_steps() == "one"
    return [_build_slice_assets(s) for s in slice_manifest(manifest, one_step=one_step)]
