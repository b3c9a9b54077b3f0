"""The Automation page: the schedules from dbt YAML, with cron and timezone, and the sensors."""

import pytest

from tests.harness.ui_stack import UiStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui_stack")]


def test_the_automation_page_lists_schedules_and_sensors(ui_stack: UiStack, page, tmp_path):
    ui_stack.open(page, "/automation")
    page.get_by_text("daily_full_build").first.wait_for()
    page.screenshot(path=str(tmp_path / "automation.png"), full_page=True)
    text = page.inner_text("body")
    for name in ("hourly", "daily_full_build", "landing_sensor", "automation"):
        assert name in text, name


def test_a_schedule_page_shows_its_cron_timezone_and_dbt_selection(
    ui_stack: UiStack, page, tmp_path
):
    ui_stack.open(page, "/locations/dbt_project/schedules/hourly")
    page.get_by_text("0 * * * *").first.wait_for()
    page.screenshot(path=str(tmp_path / "hourly_schedule.png"), full_page=True)
    text = page.inner_text("body")
    assert "UTC" in text
    assert "--selector hourly" in text
