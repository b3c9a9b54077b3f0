"""The automation condition every dbt model carries, evaluated tick by tick on a real instance.

No dbt here: three plain assets stand in for an ingested source, a staging view and a mart
(those two of kind dbt, as dagster-dbt's are), so that the order of materializations and ticks
is exact rather than left to timing. Each run says who launched it, by its tags.
"""

from typing import Literal

import dagster as dg
from dagster._core.storage.tags import AUTOMATION_CONDITION_TAG

from orchestration.lib.dbt.translator import AUTOMATION_RUN_TAG, eager_after_upstream

LAUNCHED_BY = {
    "automation": {AUTOMATION_RUN_TAG: "true", "dagster/auto_materialize": "true"},
    "schedule": {"dagster/schedule_name": "hourly"},
    "hand": {},
}


@dg.asset(key=["saas", "events"])
def raw_events() -> None:
    """The landing-ingested source."""


@dg.asset(deps=[raw_events], kinds={"dbt"}, automation_condition=eager_after_upstream())
def stg_events() -> None: ...


@dg.asset(deps=[stg_events], kinds={"dbt"}, automation_condition=eager_after_upstream())
def fct_product_events() -> None: ...


DEFS = dg.Definitions(assets=[raw_events, stg_events, fct_product_events])
DBT_MODELS = [stg_events.key, fct_product_events.key]


class Ticks:
    def __init__(self, instance: dg.DagsterInstance, defs: dg.Definitions = DEFS):
        self.instance, self.defs, self.cursor = instance, defs, None

    def __call__(self) -> set[dg.AssetKey]:
        result = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return {r.key for r in result.results if r.true_subset.size}

    def run(
        self,
        *keys: dg.AssetKey,
        by: Literal["automation", "schedule", "hand"] = "automation",
    ) -> None:
        """One run that materializes exactly `keys` and records them as its asset selection,
        as runs launched by the automation sensor, a schedule or the UI do, with their tags."""
        job = self.defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            instance=self.instance, asset_selection=list(keys), tags=LAUNCHED_BY[by]
        )
        assert result.success


def test_a_batch_ingested_while_the_models_run_is_built_by_the_next_run():
    """The late-batch race: run 1 is requested for batch 1; batch 2 is ingested while run 1 is
    under way; run 1's materializations are recorded after batch 2's. Batch 2 must still be
    built, by exactly one more run, and that run must not set off another."""
    with dg.instance_for_test() as instance:
        tick = Ticks(instance)
        tick.run(raw_events.key, *DBT_MODELS)
        assert tick() == set()  # the first evaluation records where it starts from

        tick.run(raw_events.key)  # batch 1 ingested
        assert tick() == set(DBT_MODELS)  # run 1 requested

        tick.run(raw_events.key)  # batch 2 ingested while run 1 is under way...
        tick.run(*DBT_MODELS)  # ...which records its materializations afterwards
        assert tick() == set(DBT_MODELS), "batch 2 was never built"

        tick.run(*DBT_MODELS)  # run 2: its own updates do not trigger a run 3
        assert tick() == set()
        assert tick() == set()


def test_models_do_not_rebuild_when_nothing_upstream_changed():
    with dg.instance_for_test() as instance:
        tick = Ticks(instance)
        tick.run(raw_events.key, *DBT_MODELS)
        assert tick() == set()
        tick.run(*DBT_MODELS, by="schedule")  # e.g. the daily schedule
        assert tick() == set()
        tick.run(raw_events.key, *DBT_MODELS, by="hand")  # a full build: it triggers nothing
        assert tick() == set()


def test_a_model_rebuilt_by_a_schedule_or_by_hand_does_not_rebuild_what_is_below_it():
    """The hourly schedule rebuilds the staging model (from the data already there): the mart
    below keeps its own cadence. The same for a person rebuilding it (perhaps breaking it)."""
    with dg.instance_for_test() as instance:
        tick = Ticks(instance)
        tick.run(raw_events.key, *DBT_MODELS)
        assert tick() == set()
        tick.run(stg_events.key, by="schedule")
        assert tick() == set()
        tick.run(stg_events.key, by="hand")
        assert tick() == set()
        tick.run(stg_events.key)  # automation carrying data further down: that is new data
        assert tick() == {fct_product_events.key}


def test_data_loaded_by_hand_is_carried_down():
    """Re-executing a landing load from the UI loads new data: whoever launched it, it counts."""
    with dg.instance_for_test() as instance:
        tick = Ticks(instance)
        tick.run(raw_events.key, *DBT_MODELS)
        assert tick() == set()
        tick.run(raw_events.key, by="hand")
        assert tick() == set(DBT_MODELS)


def test_the_automation_tag_is_the_one_dagster_sets():
    """Tripwire: the tag is Dagster's private constant; if it is renamed, automation would
    stop carrying its own runs' data down."""
    assert AUTOMATION_RUN_TAG == AUTOMATION_CONDITION_TAG


@dg.asset(kinds={"dbt"}, automation_condition=eager_after_upstream())
def plans() -> None:
    """A seed: no upstream, so only being missing can ever request it."""


@dg.asset(deps=[plans], kinds={"dbt"}, automation_condition=eager_after_upstream())
def stg_plans() -> None: ...


@dg.asset(deps=[stg_plans, stg_events], kinds={"dbt"}, automation_condition=eager_after_upstream())
def fct_mrr() -> None: ...


FIRST_START = dg.Definitions(assets=[raw_events, stg_events, plans, stg_plans, fct_mrr])


def test_the_first_start_of_a_fresh_instance_builds_every_missing_model():
    """The first evaluation on an empty instance: the seed, which nothing upstream will ever
    update, is requested at once with what only waits for it; the models below the ingested
    source follow as soon as ingestion has materialized it. Each is requested once."""
    with dg.instance_for_test() as instance:
        tick = Ticks(instance, FIRST_START)
        # The seed and its child in one run (a parent requested in the same tick is not missing);
        # fct_mrr also waits for stg_events, which waits for the source.
        assert tick() == {plans.key, stg_plans.key}
        tick.run(plans.key, stg_plans.key)
        assert tick() == set()

        tick.run(raw_events.key)  # the landing sensor's first ingestion
        assert tick() == {stg_events.key, fct_mrr.key}
        tick.run(stg_events.key, fct_mrr.key)
        assert tick() == set()  # everything built once; nothing more
        assert tick() == set()


def test_a_failed_first_build_is_not_requested_again_and_again():
    """Being missing requests a model once: if that run fails, the model stays missing but
    automation does not relaunch it every tick (a retry is the run-retry policy's job)."""
    with dg.instance_for_test() as instance:
        tick = Ticks(instance, FIRST_START)
        assert tick() == {plans.key, stg_plans.key}
        assert tick() == set()  # requested, run failed or still queued: not requested again
        assert tick() == set()


def test_a_full_build_queued_at_the_first_evaluation_is_not_followed_by_a_rebuild():
    """`make dev` then "Materialize all" at once: the first evaluation finds every model
    missing but already in that queued run, so requests nothing; once the run has built them,
    nothing is missing any more and nothing is rebuilt.

    The queued run is a run record created for the whole selection (its "planned" events make
    the assets in progress); the build itself is recorded by a second run of the same
    selection, since a run cannot be resumed in-process by its id."""
    with dg.instance_for_test() as instance:
        tick = Ticks(instance, FIRST_START)
        everything = [raw_events.key, stg_events.key, plans.key, stg_plans.key, fct_mrr.key]
        job = FIRST_START.resolve_implicit_global_asset_job_def()
        queued = instance.create_run_for_job(
            job, asset_selection=frozenset(everything), status=dg.DagsterRunStatus.STARTED
        )
        assert tick() == set()  # every model is in the queued run

        instance.report_run_canceled(queued)
        tick.run(*everything, by="hand")
        assert tick() == set(), "the full build's models were rebuilt right after it"
        assert tick() == set()


@dg.asset(key=stg_events.key, deps=[raw_events], kinds={"dbt"})
def broken_stg_events() -> None:
    raise RuntimeError("a person's edit broke the view's SQL")


def test_a_day_of_the_ui_report_replayed_launches_only_runs_that_new_data_explains():
    """The cases a new user met in the UI, replayed in order on one instance, counting every
    automation run: the first start, "Materialize all", the hourly schedule, a manual run that
    failed, then a new batch. Automation launches three runs (what was missing at the start,
    the first batch, the later batch), and none after the full build, the schedule or the
    failure."""
    with dg.instance_for_test() as instance:
        tick = Ticks(instance, FIRST_START)
        automation_runs: list[set[dg.AssetKey]] = []

        def automation_tick() -> None:
            requested = tick()
            if requested:
                tick.run(*requested)
                automation_runs.append(requested)

        automation_tick()  # first start: the seed and what only waits for it
        tick.run(raw_events.key, by="hand")  # the landing sensor's first batch
        automation_tick()
        tick.run(*FIRST_START.resolve_asset_graph().get_all_asset_keys(), by="hand")
        automation_tick()  # "Materialize all": nothing rebuilt after it
        tick.run(stg_events.key, by="schedule")
        automation_tick()  # the hourly schedule: the daily mart below keeps its cadence
        failed = (
            dg.Definitions(assets=[raw_events, broken_stg_events, plans, stg_plans, fct_mrr])
            .resolve_implicit_global_asset_job_def()
            .execute_in_process(
                instance=instance, asset_selection=[stg_events.key], raise_on_error=False
            )
        )
        assert not failed.success
        automation_tick()  # nothing is built on the broken view
        tick.run(raw_events.key, by="hand")  # a later batch
        automation_tick()
        automation_tick()

        assert automation_runs == [
            {plans.key, stg_plans.key},
            {stg_events.key, fct_mrr.key},
            {stg_events.key, fct_mrr.key},
        ]
