""" "Materialize all", clicked in the UI: the run succeeds, its page says so, and automation does
not rebuild what it has just built."""

import time
from collections.abc import Mapping

import pytest
from dagster import DagsterRunStatus, RunsFilter

from tests.harness.automation import explain_automation_run
from tests.harness.ui_stack import UiStack
from tests.harness.waiting import HANG_TIMEOUT, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui_stack")]


def test_materialize_all_clicked_in_the_ui_succeeds_and_is_not_rebuilt_after(
    ui_stack: UiStack, page, tmp_path
):
    ui_stack.settle()
    with ui_stack.sandbox.instance() as instance:
        before = {record.dagster_run.run_id for record in instance.get_run_records()}
        ui_stack.open(page, "/asset-groups")
        at = time.time()  # the click
        page.get_by_role("button", name="Materialize all").first.click()

        def launched():
            # The click's run: not one automation or a schedule coming due (the hourly one, at
            # the top of the hour) launched at the same moment.
            runs = [r.dagster_run for r in instance.get_run_records(limit=5)]
            clicked = (r for r in runs if r.run_id not in before and not _automatic(r.tags))
            return next(clicked, None)

        run = wait_until(launched, HANG_TIMEOUT, "the clicked run to be launched", poll=1)
        ui_stack.open(page, f"/runs/{run.run_id}")
        page.get_by_text("Success", exact=True).first.wait_for(timeout=900_000)
        page.screenshot(path=str(tmp_path / "materialize_all_run.png"))
        finished = instance.get_run_by_id(run.run_id)
        assert finished and finished.status == DagsterRunStatus.SUCCESS

        ui_stack.settle()  # automation has looked since the run ended, and requested nothing
        after = instance.get_run_records(RunsFilter(tags={"dagster/sensor_name": "automation"}))
        rebuilds = [r.dagster_run for r in after if r.create_timestamp.timestamp() > at]
        why = "\n".join(explain_automation_run(instance, rebuild) for rebuild in rebuilds)
    assert not rebuilds, f"automation rebuilt what Materialize all had just built:\n{why}"


def _automatic(tags: Mapping[str, str]) -> bool:
    return "dagster/sensor_name" in tags or "dagster/schedule_name" in tags
