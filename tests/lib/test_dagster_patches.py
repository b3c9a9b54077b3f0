"""The one patch of a Dagster internal (orchestration/lib/dagster_patches.py): a step's output
asset keys are computed once per step, and Dagster's output-order check still holds."""

import dagster
import pytest
from dagster import AssetExecutionContext, AssetKey, AssetSpec, Output, materialize, multi_asset

from orchestration.lib.dagster_patches import cache_step_output_asset_keys

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
