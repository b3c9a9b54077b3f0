"""The per-model timeline of a dbt step (orchestration/dbt/step_timeline.py), read where a user
finds it: the finished run's page, its "dbt timeline" observation, "Show Markdown"."""

import pytest
from dagster import DagsterEventType

from tests.harness.ui_stack import UiStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui_stack")]


def _a_dbt_run_with_its_nodes(ui_stack: UiStack) -> tuple[str, set[str]]:
    """The first-start run that built the most dbt nodes, and the names of those nodes."""
    nodes = ui_stack.manifest["nodes"]
    best: tuple[str, set[str]] = ("", set())
    with ui_stack.sandbox.instance() as instance:
        for record in instance.get_run_records():
            run_id = record.dagster_run.run_id
            built = {
                entry.dagster_event.event_specific_data.materialization.asset_key.path[-1]  # type: ignore[union-attr]
                for entry in instance.all_logs(
                    run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
                )
            }
            dbt_names = built & {node["name"] for node in nodes.values()}
            if len(dbt_names) > len(best[1]):
                best = (run_id, dbt_names)
    assert best[0], "no run of the first start built a dbt node"
    return best


def test_a_finished_runs_timeline_names_the_models_it_built(ui_stack: UiStack, page, tmp_path):
    run_id, built = _a_dbt_run_with_its_nodes(ui_stack)
    ui_stack.open(page, f"/runs/{run_id}")
    label = page.get_by_text("dbt/timeline").first
    label.wait_for()
    # The timeline's own "[Show Markdown]": in the metadata row of its label (a materialization's
    # compiled SQL is Markdown too).
    label.locator("xpath=ancestor::tr[1]").get_by_text("[Show Markdown]").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Critical path").wait_for()
    page.screenshot(path=str(tmp_path / "timeline.png"))
    text = dialog.inner_text()
    assert "Thread-1" in text and "Slowest models" in text
    listed = set(text.split())
    assert built <= listed, f"built in run {run_id} but not in its timeline: {built - listed}"
