"""The patches of Dagster internals (orchestration/lib/dagster_patches.py): a step's output
asset keys are computed once per step, and Dagster's output-order check still holds; a step that
starts on its inputs does not wait for a blocking check its upstream step never ran, and a failed
step stops only the steps that read what it did not build."""

import dagster
import pytest
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    Failure,
    Output,
    asset,
    define_asset_job,
    execute_job,
    in_process_executor,
    materialize,
    multi_asset,
    reconstructable,
)
from dagster._core.test_utils import instance_for_test

from orchestration.executors import steps_start_on_their_inputs
from orchestration.lib.dagster_patches import (
    cache_step_output_asset_keys,
    wait_only_for_checks_that_can_come,
)

SPECS = [AssetSpec("a"), AssetSpec("b", deps=["a"]), AssetSpec("c", deps=["b"])]


def test_output_asset_keys_are_computed_once_per_step_and_stay_right():
    assert cache_step_output_asset_keys(), f"not applied on dagster {dagster.__version__}"
    seen = []

    @multi_asset(specs=SPECS)
    def abc(context: AssetExecutionContext):
        step = context.op_execution_context._step_execution_context
        for name in ("a", "b", "c"):
            seen.append(step.get_output_asset_keys())
            yield Output(None, output_name=name)

    assert materialize([abc]).success
    assert seen[0] == {AssetKey("a"), AssetKey("b"), AssetKey("c")}
    assert all(keys is seen[0] for keys in seen), "recomputed within the step"


def test_outputs_out_of_topological_order_are_still_refused():
    cache_step_output_asset_keys()

    @multi_asset(specs=SPECS)
    def out_of_order():
        yield Output(None, output_name="b")
        yield Output(None, output_name="a")
        yield Output(None, output_name="c")

    with pytest.raises(dagster.DagsterInvariantViolationError, match="yielded before its"):
        materialize([out_of_order])


def test_another_dagster_version_is_left_unpatched(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dagster, "__version__", "0.0.0")
    assert cache_step_output_asset_keys() is False


# -- patch 2: steps that start on their inputs -------------------------------------------------
# Two steps as a dbt slice and the slice below it: `upstream` builds `built` and `broken` (a
# blocking check on `built` it never runs, as dbt leaves a test out of a subset run);
# `reads_built` and `reads_broken` are each a step of their own. MODE picks what upstream does.
MODE = {"upstream": "check_not_run"}


@multi_asset(
    specs=[AssetSpec("built", skippable=True), AssetSpec("broken", skippable=True)],
    check_specs=[AssetCheckSpec("built_ok", asset="built", blocking=True)],
    can_subset=True,
)
def upstream():
    yield Output(None, output_name="built")
    if MODE["upstream"] == "fails_after_built":
        raise Failure("broken failed")
    yield Output(None, output_name="broken")


@asset(deps=["built"])
def reads_built() -> None:
    pass


@asset(deps=["broken"])
def reads_broken() -> None:
    pass


def _job():
    return Definitions(
        assets=[upstream, reads_built, reads_broken],
        jobs=[define_asset_job("all")],
        executor=in_process_executor.configured(steps_start_on_their_inputs()),
    ).resolve_job_def("all")


def _run(instance: DagsterInstance) -> tuple[bool, set[str]]:
    result = execute_job(reconstructable(_job), instance=instance, raise_on_error=False)
    built = instance.get_asset_keys_for_run(
        result.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    )
    return result.success, {key.to_user_string() for key in built}


def test_a_step_does_not_wait_for_a_blocking_check_its_upstream_step_never_ran():
    assert wait_only_for_checks_that_can_come(), f"not applied on dagster {dagster.__version__}"
    assert steps_start_on_their_inputs(), "the executor does not start steps on their inputs"
    MODE["upstream"] = "check_not_run"
    with instance_for_test() as instance:
        assert _run(instance) == (True, {"built", "broken", "reads_built", "reads_broken"})


def test_a_failed_step_stops_only_the_steps_reading_what_it_did_not_build():
    wait_only_for_checks_that_can_come()
    MODE["upstream"] = "fails_after_built"
    with instance_for_test() as instance:
        assert _run(instance) == (False, {"built", "reads_built"})


def test_another_dagster_version_keeps_dagster_default_step_order(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dagster, "__version__", "0.0.0")
    assert wait_only_for_checks_that_can_come() is False
    assert steps_start_on_their_inputs() == {}
