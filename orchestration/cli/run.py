"""`make run`: materialize every asset once, headless, and print what happened to each.

It goes through the same definitions, executor and instance as the UI, so what it measures is
what production does; it exits non-zero when the run fails.
"""

import sys
from typing import TYPE_CHECKING

from orchestration import settings
from orchestration.settings import ConfigError
from orchestration.step_server import start_local_step_forkserver

if TYPE_CHECKING:
    from dagster import JobDefinition


def materialize_all_job() -> "JobDefinition":
    from orchestration.dbt.definitions import MATERIALIZE_ALL_JOB
    from orchestration.definitions import defs

    return defs.resolve_job_def(MATERIALIZE_ALL_JOB)


def main() -> int:
    # Dagster is imported here, not above: the steps' forkserver starts before it (__main__ below),
    # and imports Dagster and the definitions on another core while this process does.
    from dagster import DagsterInstance, execute_job, reconstructable

    from orchestration.lib.dead_runs import fail_dead_runs, host_tags
    from orchestration.lib.run_summary import format_summary, summarize_run

    settings.validate()
    with DagsterInstance.get() as instance:
        # A run killed earlier (kill -9) still holds its pool slots: this run would wait forever.
        fail_dead_runs(instance)
        result = execute_job(
            reconstructable(materialize_all_job), instance=instance, tags=host_tags()
        )
        outcomes = summarize_run(instance, result.run_id)
    print(format_summary(outcomes))
    assets = [o for o in outcomes if o.status != "check"]
    built = sum(o.status == "materialized" for o in assets)
    failed_checks = sum(o.checks_failed for o in outcomes)
    verdict = "succeeded" if result.success else "FAILED"
    print(
        f"run {result.run_id} {verdict}: {built}/{len(assets)} assets materialized, "
        f"{failed_checks} failed checks"
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    settings.default_event_batching()
    start_local_step_forkserver()
    try:
        sys.exit(main())
    except ConfigError as error:  # a user's mistake: the message, not a traceback
        sys.exit(f"Configuration error:\n{error}")
