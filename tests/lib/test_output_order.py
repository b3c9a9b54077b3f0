from dagster import AssetCheckResult, AssetCheckSpec, AssetKey, AssetSpec, Output, multi_asset

from orchestration.lib.dbt.output_order import in_lineage_order


@multi_asset(
    specs=[
        AssetSpec(["raw", "raw_orders"]),
        AssetSpec("stg_orders", deps=[AssetKey(["raw", "raw_orders"])]),
        AssetSpec("unrelated"),
    ],
    check_specs=[AssetCheckSpec("not_null", asset="stg_orders")],
)
def _step():
    yield from ()


def _names(events):
    return [e.output_name if isinstance(e, Output) else e.check_name for e in events]


def test_an_asset_waits_for_its_dependency_in_the_same_step_with_its_checks():
    stg, raw = Output(None, "stg_orders"), Output(None, "raw__raw_orders")
    check = AssetCheckResult(asset_key="stg_orders", check_name="not_null", passed=True)
    events = [stg, check, Output(None, "unrelated"), raw]
    ordered = list(in_lineage_order(events, _step, _step.keys))
    assert _names(ordered) == ["unrelated", "raw__raw_orders", "stg_orders", "not_null"]


def test_dbt_order_that_agrees_is_kept_and_an_asset_whose_dependency_never_comes_is_yielded():
    events = [Output(None, "raw__raw_orders"), Output(None, "stg_orders")]
    assert _names(in_lineage_order(events, _step, _step.keys)) == ["raw__raw_orders", "stg_orders"]
    only_child = [Output(None, "stg_orders")]
    assert _names(in_lineage_order(only_child, _step, _step.keys)) == ["stg_orders"]
