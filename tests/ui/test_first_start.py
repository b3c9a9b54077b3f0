"""The first start of a fresh instance builds every asset, with nobody clicking."""

import pytest
from dagster import AssetKey, DagsterEventType, DagsterRunStatus

from orchestration.run_policies import run_policy_tags
from tests.harness.dagster_runs import wait_for_runs
from tests.harness.ui_stack import UiStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui_stack")]

LAUNCHED_BY = ("dagster/sensor_name", "dagster/schedule_name")


def test_the_first_start_materializes_every_asset_without_a_click(
    ui_stack: UiStack, page, tmp_path
):
    nodes = ui_stack.server.wait_for_assets()
    keys = [AssetKey(n["assetKey"]["path"]) for n in nodes if n["isMaterializable"]]
    with ui_stack.sandbox.instance() as instance:
        latest = instance.get_latest_materialization_events(keys)
        never = sorted(key.to_user_string() for key, event in latest.items() if event is None)
        # A schedule may come due while this test runs (the hourly one, at the top of the hour):
        # its run is as automatic as the first start's, and must succeed too, once it finishes.
        run_ids = [record.dagster_run.run_id for record in instance.get_run_records()]
        runs = list(wait_for_runs(instance, run_ids, alive=ui_stack.server.assert_alive).values())
    print(f"\nfirst start settled after {ui_stack.settled_after_seconds:.0f}s, {len(runs)} runs")
    assert not never, f"never materialized after the first start: {never}"
    assert runs
    for run in runs:
        assert any(tag in run.tags for tag in LAUNCHED_BY), f"run {run.run_id} was not automatic"
        assert run.status == DagsterRunStatus.SUCCESS, f"run {run.run_id} of {run.job_name}"
        assert {k: run.tags.get(k) for k in run_policy_tags()} == run_policy_tags()
        if run.job_name == "landing_ingestion_job":
            # It does not evaluate the source-freshness checks: so it plans none ("Skipped").
            with ui_stack.sandbox.instance() as instance:
                planned = instance.all_logs(
                    run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
                )
            assert not planned, f"ingestion run {run.run_id} planned checks it does not run"

    # What the user sees on the seed that used to stay empty: when it was last materialized
    # (e.g. "5 minutes ago"), and its row count.
    ui_stack.open(page, "/assets/plans")
    page.get_by_text("Row count").first.wait_for()
    page.screenshot(path=str(tmp_path / "plans_after_first_start.png"), full_page=True)
    text = page.inner_text("body")
    assert "Latest materialization" in text and "Never materialized" not in text
