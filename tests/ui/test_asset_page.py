"""A mart's page: what dbt says about it, who owns it, its rows, its tests and its status."""

import pytest

from orchestration.lib.dbt.slice_graph import attached_node
from tests.harness.ui_stack import UiStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui_stack")]

MART = "fct_mrr_monthly"


def test_a_mart_page_shows_description_owner_row_count_and_status(
    ui_stack: UiStack, page, tmp_path
):
    node = next(n for n in ui_stack.manifest["nodes"].values() if n["name"] == MART)
    ui_stack.open(page, f"/assets/{MART}")
    page.get_by_text("Row count", exact=False).first.wait_for()
    page.screenshot(path=str(tmp_path / "mart_overview.png"), full_page=True)
    text = page.inner_text("body")
    assert node["description"].split(".")[0] in text
    assert node["config"]["meta"]["owner"] in text
    assert "Latest materialization" in text and "Never materialized" not in text
    with ui_stack.sandbox.instance() as instance:
        from dagster import AssetKey

        event = instance.get_latest_materialization_event(AssetKey(MART))
    assert event and event.asset_materialization
    rows = event.asset_materialization.metadata["dagster/row_count"].value
    assert f"{rows:,}" in text or str(rows) in text


def test_a_mart_checks_tab_lists_its_dbt_tests_with_their_status(ui_stack: UiStack, page, tmp_path):
    tests = [
        n["name"]
        for n in ui_stack.manifest["nodes"].values()
        if n["resource_type"] == "test" and (attached_node(n) or "").endswith(f".{MART}")
    ]
    assert tests
    ui_stack.open(page, f"/assets/{MART}?view=checks")
    # The list shows each name middle-truncated; the full name is in a hidden measuring copy.
    page.get_by_text(f"Checks ({len(tests)})").wait_for()
    page.screenshot(path=str(tmp_path / "mart_checks.png"), full_page=True)
    text = page.inner_text("body")
    for name in tests:
        assert name in text, name
    assert "Succeeded" in text  # the UI's word for a check that passed


def test_a_mart_page_lists_its_columns_with_the_warehouse_types(ui_stack: UiStack, page, tmp_path):
    from dagster import AssetKey, TableSchemaMetadataValue

    with ui_stack.sandbox.instance() as instance:
        event = instance.get_latest_materialization_event(AssetKey(MART))
    assert event and event.asset_materialization
    schema = event.asset_materialization.metadata["dagster/column_schema"]
    assert isinstance(schema, TableSchemaMetadataValue) and schema.schema.columns
    ui_stack.open(page, f"/assets/{MART}")
    page.get_by_text(schema.schema.columns[0].name, exact=True).first.wait_for()
    page.screenshot(path=str(tmp_path / "mart_columns.png"), full_page=True)
    text = page.inner_text("body")
    for column in schema.schema.columns:
        assert column.name in text and column.type in text, (column.name, column.type)
