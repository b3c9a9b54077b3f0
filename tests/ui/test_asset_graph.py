"""The asset graph: dbt models, seeds, the snapshot and the landing (raw) assets, in lineage."""

import pytest

from tests.ui.conftest import UiStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui_stack")]


def test_the_global_graph_shows_every_group(ui_stack: UiStack, page, tmp_path):
    ui_stack.open(page, "/asset-groups")
    page.get_by_text("Global asset lineage").wait_for()
    text = page.inner_text("body")
    page.screenshot(path=str(tmp_path / "global_lineage.png"))
    for group in ("landing", "seeds", "snapshots", "staging", "intermediate", "finance"):
        assert group in text, group


def test_a_mart_upstream_lineage_reaches_the_seed_and_the_landing_tables(
    ui_stack: UiStack, page, tmp_path
):
    ui_stack.open(page, "/assets/dim_accounts?view=lineage&lineageScope=upstream")
    page.get_by_text("stg_plans").first.wait_for()
    page.screenshot(path=str(tmp_path / "dim_accounts_upstream.png"))
    nodes = set(page.inner_text("body").split())
    # staging views, the seed `plans`, and the raw tables the landing sensor loads
    assert {"dim_accounts", "stg_accounts", "stg_plans", "plans", "accounts"} <= nodes
    assert {"subscriptions", "invoices", "payments"} <= nodes
    assert "fct_mrr_monthly" not in nodes  # not upstream of dim_accounts


def test_a_landing_table_downstream_lineage_shows_its_snapshot_and_models(
    ui_stack: UiStack, page, tmp_path
):
    ui_stack.open(page, "/assets/saas/accounts?view=lineage&lineageScope=downstream")
    page.get_by_text("accounts_snapshot").first.wait_for()
    page.screenshot(path=str(tmp_path / "accounts_downstream.png"))
    nodes = set(page.inner_text("body").split())
    assert {"accounts_snapshot", "stg_accounts", "dim_accounts"} <= nodes
