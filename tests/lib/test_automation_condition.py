"""The automation condition every dbt model carries, evaluated tick by tick on a real instance.

No dbt here: three plain assets stand in for an ingested source, a staging view and a mart,
so that the order of materializations and ticks is exact rather than left to timing.
"""

import dagster as dg

from orchestration.lib.dbt.translator import eager_after_upstream


@dg.asset(key=["saas", "events"])
def raw_events() -> None:
    """The landing-ingested source."""


@dg.asset(deps=[raw_events], automation_condition=eager_after_upstream())
def stg_events() -> None: ...


@dg.asset(deps=[stg_events], automation_condition=eager_after_upstream())
def fct_product_events() -> None: ...


DEFS = dg.Definitions(assets=[raw_events, stg_events, fct_product_events])
DBT_MODELS = [stg_events.key, fct_product_events.key]


class Ticks:
    def __init__(self, instance: dg.DagsterInstance):
        self.instance, self.cursor = instance, None

    def __call__(self) -> set[dg.AssetKey]:
        result = dg.evaluate_automation_conditions(
            defs=DEFS, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return {r.key for r in result.results if r.true_subset.size}

    def run(self, *keys: dg.AssetKey) -> None:
        """One run that materializes exactly `keys` and records them as its asset selection,
        as runs launched by the automation sensor, a schedule or the UI do."""
        job = DEFS.resolve_implicit_global_asset_job_def()
        assert job.execute_in_process(instance=self.instance, asset_selection=list(keys)).success


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
        tick.run(*DBT_MODELS)  # e.g. the daily schedule
        assert tick() == set()
        tick.run(raw_events.key, *DBT_MODELS)  # a full build: its own updates trigger nothing
        assert tick() == set()
