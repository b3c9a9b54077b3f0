"""Schedules declared in dbt YAML, where analytics engineers work: no Python to add one.

The dbt project's `dbt_project.yml` lists them under the var `dagster_schedules`, each a cron
and a dbt selection (a selector of `selectors.yml`, or `select`/`exclude` as on the dbt CLI):

    vars:
      dagster_schedules:
        hourly:                        # the schedule's name in Dagster
          cron: "0 * * * *"
          selector: hourly             # from selectors.yml
          description: Product marts, every hour.
        daily_full_build:
          cron: "0 6 * * *"
          select: "fqn:*"              # or a selection string (and optionally exclude:)

A `vars` entry is plain dbt (`dbt parse` accepts any var), whereas dbt rejects unknown keys in
`selectors.yml`. Crons are read in SCHEDULE_TIMEZONE. A schedule whose previous run is still
in progress skips its tick: two runs of one schedule never overlap.
"""

import functools
import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

# The check ScheduleDefinition itself runs; dagster exposes no public one.
from dagster._utils.schedules import is_valid_cron_string
from dagster_dbt import build_dbt_asset_selection
from dagster_dbt.dbt_manifest import validate_manifest
from dagster_dbt.utils import select_unique_ids

from orchestration import settings
from orchestration.dbt.assets import project_dbt_assets
from orchestration.lib.dbt.names import dagster_name
from orchestration.project import dbt_project
from orchestration.settings import ConfigError

SCHEDULES_VAR = "dagster_schedules"
SELECTION_TAG = "dbt/selection"
_IN_PROGRESS = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class DbtSchedule:
    name: str
    cron: str
    selector: str = ""
    select: str = ""
    exclude: str = ""
    description: str = ""

    @property
    def selection(self) -> str:
        """The dbt command-line arguments that select the same nodes."""
        if self.selector:
            return f"--selector {self.selector}"
        return f"--select {self.select}" + (f" --exclude {self.exclude}" if self.exclude else "")


def declared_schedules(project_dir: Path, manifest: Mapping[str, Any]) -> list[DbtSchedule]:
    """The schedules of `vars.dagster_schedules`, checked against the manifest."""
    project_yml = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    declared = (project_yml.get("vars") or {}).get(SCHEDULES_VAR) or {}
    if not isinstance(declared, Mapping):
        raise ConfigError(
            f"dbt_project.yml vars.{SCHEDULES_VAR} must map schedule names to "
            "{cron, selector | select}; see orchestration/dbt/schedules.py."
        )
    return [_checked(name, entry, manifest) for name, entry in declared.items()]


def _checked(name: str, entry: Any, manifest: Mapping[str, Any]) -> DbtSchedule:
    where = f"dbt_project.yml vars.{SCHEDULES_VAR}.{name}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a mapping with cron and selector or select.")
    unknown = set(entry) - {"cron", "selector", "select", "exclude", "description"}
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(sorted(unknown))}.")
    cron = str(entry.get("cron", ""))
    if not is_valid_cron_string(cron):
        raise ConfigError(f"{where}.cron {cron!r} is not a cron expression, e.g. '0 * * * *'.")
    spec = DbtSchedule(
        name=dagster_name(str(name)),  # `daily-build` -> `daily_build` (lib/dbt/names.py)
        cron=cron,
        selector=str(entry.get("selector") or ""),
        select=str(entry.get("select") or ""),
        exclude=str(entry.get("exclude") or ""),
        description=str(entry.get("description") or ""),
    )
    if bool(spec.selector) == bool(spec.select):
        raise ConfigError(f"{where} needs exactly one of selector (from selectors.yml) or select.")
    if spec.selector and spec.selector not in manifest.get("selectors", {}):
        raise ConfigError(
            f"{where}.selector {spec.selector!r} is not in selectors.yml "
            f"(it has: {', '.join(sorted(manifest.get('selectors', {}))) or 'none'})."
        )
    if not selected_unique_ids(spec, manifest):
        raise ConfigError(f"{where} selects no dbt model, seed or snapshot ({spec.selection}).")
    return spec


def selected_unique_ids(spec: DbtSchedule, manifest: Mapping[str, Any]) -> set[str]:
    ids = select_unique_ids(
        select=spec.select or "fqn:*",
        exclude=spec.exclude,
        selector=spec.selector,
        project=None,
        manifest_json=manifest,
    )
    built = ("model.", "seed.", "snapshot.")
    return {unique_id for unique_id in ids if unique_id.startswith(built)}


def schedule_selection(slices: Sequence[AssetsDefinition], spec: DbtSchedule) -> AssetSelection:
    """The assets of every slice that the dbt selection picks, built from the manifest."""
    parts = [
        build_dbt_asset_selection(
            [dbt_slice],
            dbt_select=spec.select or "fqn:*",
            dbt_exclude=spec.exclude or None,
            dbt_selector=spec.selector or None,
        )
        for dbt_slice in slices
    ]
    return functools.reduce(operator.or_, parts)


def build_dbt_schedule(
    spec: DbtSchedule, slices: Sequence[AssetsDefinition], manifest: Mapping[str, Any]
) -> ScheduleDefinition:
    timezone = settings.schedule_timezone()
    definition = manifest.get("selectors", {}).get(spec.selector, {}).get("definition")
    selection_text = spec.selection + (f" = {json.dumps(definition)}" if definition else "")
    selection = schedule_selection(slices, spec)

    # Named on every run rather than left implied by the job: the automation condition only
    # knows that a run built a model's parents *and the model* from the run's asset selection,
    # and a run without one would have its marts rebuilt once more right after it. Resolved at
    # the first tick, not at definitions load, as the job's own selection is.
    @functools.cache
    def assets_built() -> list[AssetKey]:
        return sorted(selection.resolve(slices), key=lambda key: key.to_user_string())

    job = define_asset_job(
        f"{spec.name}_job",
        selection=selection,
        description=f"dbt {selection_text}",
        tags={SELECTION_TAG: spec.selection},
    )

    @schedule(
        name=spec.name,
        cron_schedule=spec.cron,
        execution_timezone=timezone,
        job=job,
        default_status=DefaultScheduleStatus.RUNNING,
        description=(f"{spec.description}\n\n" if spec.description else "")
        + f"`{spec.cron}` ({timezone}), dbt {selection_text}. Declared in dbt_project.yml "
        f"vars.{SCHEDULES_VAR}.",
        tags={SELECTION_TAG: spec.selection},
    )
    def _schedule(context: ScheduleEvaluationContext):
        running = context.instance.get_run_records(
            RunsFilter(tags={"dagster/schedule_name": spec.name}, statuses=_IN_PROGRESS), limit=1
        )
        if running:
            return SkipReason(
                f"Run {running[0].dagster_run.run_id} of this schedule is still in progress: "
                "this tick is skipped rather than overlapping it."
            )
        return RunRequest(asset_selection=assets_built(), tags={SELECTION_TAG: spec.selection})

    return _schedule


def dbt_schedules() -> list[ScheduleDefinition]:
    """One schedule per entry of `vars.dagster_schedules` in the project's dbt_project.yml."""
    project = dbt_project()
    manifest = validate_manifest(project.manifest_path)
    slices = project_dbt_assets()
    return [
        build_dbt_schedule(spec, slices, manifest)
        for spec in declared_schedules(Path(project.project_dir), manifest)
    ]
