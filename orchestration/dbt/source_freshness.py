"""dbt source freshness as asset checks on the source assets, run on a schedule.

Each source table with a dbt `freshness` and a `loaded_at_field` gets one check,
`dbt_source_freshness`, on its asset (a landing-ingested table or an external source). One
`dbt source freshness` over the selected sources reports them all: `pass` passes, `warn` fails
with WARN severity, `error` (stale: older than `error_after`) and runtime errors fail with
ERROR severity; a dbt that could not run at all fails every selected check with its error,
never the run. The schedule runs every check on SOURCE_FRESHNESS_CRON, and the UI's "Execute
checks" runs them on demand; the alert sensor (orchestration/alerts) alerts once per stale
spell of a source.

Dagster also plans a check into every run that materializes its asset: a landing run, or
`materialize_all`. There the check returns at once without running dbt (it is then shown as
skipped in that run): `dbt source freshness` costs seconds and holds the warehouse's writer
pool, which would slow every landing load and the models waiting on it, for an answer the
schedule gives anyway.
"""

import uuid

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSpec,
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DefaultScheduleStatus,
    Definitions,
    MetadataValue,
    ScheduleDefinition,
    define_asset_job,
    multi_asset_check,
)
from dagster_dbt import DbtCliResource
from dagster_dbt.dbt_manifest import validate_manifest

from orchestration import settings
from orchestration.lib.dbt.cli_args import invocation_target_path
from orchestration.lib.dbt.source_freshness import (
    CHECK_NAME,
    freshness_sources,
    outcome_for,
    results_by_source,
    source_freshness_args,
)
from orchestration.pools import warehouse_reader_pool
from orchestration.project import dbt_project

SOURCE_FRESHNESS_JOB = "source_freshness_job"
SOURCE_FRESHNESS_SCHEDULE = "source_freshness"
_STEP = "dbt_source_freshness"


def source_freshness_checks() -> AssetChecksDefinition | None:
    """The checks, or None when no dbt source declares a freshness to check."""
    project = dbt_project()
    sources = freshness_sources(validate_manifest(project.manifest_path))
    if not sources:
        return None

    @multi_asset_check(
        name=_STEP,
        specs=[
            AssetCheckSpec(CHECK_NAME, asset=source.asset_key, description=source.description)
            for source in sources
        ],
        can_subset=True,
        pool=warehouse_reader_pool(single_writer=settings.single_writer_warehouse()),
    )
    def _check(context: AssetCheckExecutionContext, dbt: DbtCliResource):
        chosen = {key.asset_key for key in context.selected_asset_check_keys}
        loading = _loaded_by_this_run(context)
        selected = [s for s in sources if s.asset_key in chosen and s.asset_key not in loading]
        if loading & chosen:
            context.log.info(
                "Not checked in this run, which loads them (see the module docstring): "
                + ", ".join(sorted(k.to_user_string() for k in loading & chosen))
            )
        if not selected:
            return
        target_path = invocation_target_path(
            settings.dbt_runs_dir(), context.run.run_id, _STEP, uuid.uuid4().hex[:8]
        )
        invocation = dbt.cli(
            source_freshness_args(selected),
            manifest=project.manifest_path,
            target_path=target_path,
            raise_on_error=False,  # a stale source exits 1: that is a result, not a failure
        )
        # dbt's log names the sources whose query failed; sources.json leaves them out.
        log_events = [event.raw_event for event in invocation.stream_raw_events()]
        sources_json, missing = None, "dbt source freshness returned no result for this source"
        if (target_path / "sources.json").is_file():
            sources_json = invocation.get_artifact("sources.json")
        else:  # dbt did not get as far as checking (a profile or connection error)
            missing = f"dbt source freshness did not run (no sources.json); see {target_path}"
            context.log.error(missing)
        results = results_by_source(sources_json, log_events)
        for source in selected:
            outcome = outcome_for(source, results.get(source.unique_id), missing=missing)
            if not outcome.passed:
                context.log.warning(f"{source.selector}: {outcome.status}")
            yield AssetCheckResult(
                asset_key=source.asset_key,
                check_name=CHECK_NAME,
                passed=outcome.passed,
                severity=outcome.severity,
                metadata={
                    **outcome.metadata,
                    "dbt/artifacts": MetadataValue.path(str(target_path)),
                },
            )

    return _check


def _loaded_by_this_run(context: AssetCheckExecutionContext) -> set[AssetKey]:
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    return {
        record.event_log_entry.dagster_event.asset_key
        for record in records
        if record.event_log_entry.dagster_event and record.event_log_entry.dagster_event.asset_key
    }


def source_freshness_definitions() -> Definitions:
    """The checks, a job running all of them and its schedule (SOURCE_FRESHNESS_CRON)."""
    checks = source_freshness_checks()
    if checks is None:
        return Definitions()
    job = define_asset_job(
        SOURCE_FRESHNESS_JOB,
        selection=AssetSelection.checks(checks),
        description="dbt source freshness of every source that declares one.",
    )
    cron = settings.source_freshness_cron()
    schedules = []
    if cron:
        schedules.append(
            ScheduleDefinition(
                name=SOURCE_FRESHNESS_SCHEDULE,
                cron_schedule=cron,
                job=job,
                execution_timezone=settings.schedule_timezone(),
                default_status=DefaultScheduleStatus.RUNNING,
                description=f"`{cron}` ({settings.schedule_timezone()}): dbt source freshness. "
                "Set by SOURCE_FRESHNESS_CRON.",
            )
        )
    return Definitions(asset_checks=[checks], jobs=[job], schedules=schedules)
