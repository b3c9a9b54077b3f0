"""dbt models, seeds and snapshots as Dagster assets, one multi-asset per slice of the graph."""

import contextlib
import functools
import json
import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    DagsterEventType,
    Failure,
    MetadataValue,
    get_dagster_logger,
)
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.asset_utils import DAGSTER_DBT_UNIQUE_ID_METADATA_KEY
from dagster_dbt.dbt_manifest import validate_manifest
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from orchestration import settings
from orchestration.dbt.step_timeline import step_timeline
from orchestration.lib.dagster_patches import cache_step_output_asset_keys
from orchestration.lib.dbt.artifacts import (
    artifacts_metadata,
    copy_artifacts,
    copy_location,
    sweep_old_runs,
)
from orchestration.lib.dbt.cli_args import dbt_build_args, invocation_target_path
from orchestration.lib.dbt.connection_errors import unreachable_warehouse_message
from orchestration.lib.dbt.cross_slice_tests import with_cross_slice_test_parents
from orchestration.lib.dbt.dagster_manifest import dagster_manifest
from orchestration.lib.dbt.events import stream_dbt_events
from orchestration.lib.dbt.failures import failure_summary
from orchestration.lib.dbt.slices import DbtSlice, explicit_selection, slice_manifest
from orchestration.lib.dbt.translator import ProjectTranslator
from orchestration.lib.orphan_guard import interrupt_when_gone
from orchestration.pools import dbt_slice_pool
from orchestration.project import dbt_project
from orchestration.settings import ConfigError


class DbtBuildConfig(Config):
    """Run-time knobs a user can set from the launchpad."""

    full_refresh: bool = False
    # Pydantic copies field defaults per instance, so a shared mutable default is safe here.
    dbt_vars: dict[str, str] = {}  # noqa: RUF012


def _build_slice_assets(dbt_slice: DbtSlice, manifest: Mapping[str, Any]) -> AssetsDefinition:
    assets = _slice_assets(dbt_slice, manifest)
    if _selected_ids(assets) == dbt_slice.unique_ids:
        return assets
    # The few-term selection picks other nodes than the slice holds (a selection method that
    # reads the nodes differently from slices.py): name every node instead, which is exact.
    logging.getLogger(__name__).debug(
        "dbt selection `%s` (excluding `%s`) of slice %r selects %s: selecting its nodes by "
        "name instead.",
        dbt_slice.select,
        dbt_slice.exclude,
        dbt_slice.name,
        sorted(_selected_ids(assets) ^ dbt_slice.unique_ids)[:5],
    )
    select, exclude = explicit_selection(dbt_slice, manifest)
    exact = replace(dbt_slice, select=select, exclude=exclude)
    assets = _slice_assets(exact, manifest)
    _check_selection(assets, exact)
    return assets


def _slice_assets(dbt_slice: DbtSlice, manifest: Mapping[str, Any]) -> AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=ProjectTranslator(),
        select=dbt_slice.select,
        exclude=dbt_slice.exclude,
        name=f"dbt_{dbt_slice.op_name}",
        op_tags=dbt_slice.op_tags,
        pool=dbt_slice_pool(dbt_slice.op_name, single_writer=settings.single_writer_warehouse()),
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
        # a JSON debug log on top is extra work for dbt on every node (benchmarks/README.md).
        os.environ.setdefault("DBT_LOG_FORMAT_FILE", "text")
        invocation = dbt.cli(
            dbt_build_args(full_refresh=config.full_refresh, dbt_vars=config.dbt_vars),
            context=context,
            target_path=target_path,
        )
        artifacts_url = settings.dbt_artifacts_url()
        artifacts = artifacts_metadata(target_path, runs_dir, artifacts_url)
        with (
            interrupt_when_gone(_local_run_worker_pid(context)),
            _explain_dbt_failure(target_path, manifest, artifacts),
            _copied_when_done(target_path, runs_dir, artifacts_url),
        ):
            dbt_error: DagsterDbtCliRuntimeError | None = None
            try:
                yield from stream_dbt_events(
                    invocation,
                    rows_counted_by_dbt=getattr(dbt, "counts_rows_in_dbt", False),
                    artifacts=artifacts,
                )
            except DagsterDbtCliRuntimeError as error:
                dbt_error = error  # a failed model or test: where a timeline helps most
            yield from step_timeline(context, target_path, manifest)
            if dbt_error is not None:
                raise dbt_error

    return _slice


def _selected_ids(assets: AssetsDefinition) -> set[str]:
    return {spec.metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY] for spec in assets.specs}


def _check_selection(assets: AssetsDefinition, dbt_slice: DbtSlice) -> None:
    """The slice's dbt selection must match exactly the nodes assigned to it."""
    selected = _selected_ids(assets)
    if selected != dbt_slice.unique_ids:
        differing = sorted(selected ^ dbt_slice.unique_ids)[:5]
        raise ConfigError(
            f"dbt selection `{dbt_slice.select}` (excluding `{dbt_slice.exclude}`) for slice "
            f"{dbt_slice.name!r} does not match its nodes, e.g. {differing}. Give these nodes an "
            "explicit slice with meta.dagster.slice in dbt YAML."
        )


@contextlib.contextmanager
def _explain_dbt_failure(
    target_path: Path, manifest: Mapping[str, Any], artifacts: MetadataValue
) -> Iterator[None]:
    """A failed dbt fails the step saying what a data team needs, in one of two ways.

    A dbt that could not reach the warehouse: naming the target and its variables. Else each
    failed node once, in dbt's words from the invocation's run_results.json
    (lib/dbt/failures.py). dagster-dbt's own error stays if dbt wrote no run results.
    """
    try:
        yield
    except DagsterDbtCliRuntimeError as error:
        message = unreachable_warehouse_message(str(error), settings.warehouse_target())
        if message is not None:
            raise Failure(description=message) from None
        try:
            run_results = json.loads((target_path / "run_results.json").read_text())
            summary = failure_summary(run_results, manifest)
        except (OSError, ValueError, AttributeError):
            summary = None
        if summary is None:
            raise
        raise Failure(
            description=summary,
            metadata={"dbt/artifacts": artifacts},
        ) from None


@contextlib.contextmanager
def _copied_when_done(target_path: Path, runs_dir: Path, artifacts_url: str | None):
    """Copy the invocation's artifacts to DBT_ARTIFACTS_URL once dbt has ended, failed or not
    (a failed run is when they are read most). A copy that fails is said in the step's log and
    fails nothing: the models are built, and the artifacts are still in DBT_RUNS_DIR."""
    try:
        yield
    finally:
        if artifacts_url is not None:
            folder = copy_location(target_path, runs_dir, artifacts_url)
            try:
                copy_artifacts(target_path, folder)
            except Exception as error:  # boto3's errors are many; none may fail the build
                get_dagster_logger().warning(
                    "dbt artifacts not copied to %s (DBT_ARTIFACTS_URL): %s. They are in %s.",
                    folder,
                    error,
                    target_path,
                )


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
    # dagster-dbt gets the manifest with what Dagster cannot take resolved (see the module).
    manifest = dagster_manifest(
        validate_manifest(dbt_project().manifest_path), ProjectTranslator().get_asset_key
    )
    one_step = settings.dbt_steps() == "one"
    slices = slice_manifest(manifest, one_step=one_step)
    manifest = with_cross_slice_test_parents(manifest, slices)
    return [_build_slice_assets(s, manifest) for s in slices]
