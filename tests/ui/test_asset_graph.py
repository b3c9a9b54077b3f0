"""The asset graph: dbt models, seeds, the snapshot and the landing (raw) assets, in lineage."""

import pytest

from tests.harness.ui_stack import UiStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui_stack")]


def test_the_global_graph_shows_every_group(ui_stack: UiStack, page, tmp_path):
    ui_stack.open(page, "/asset-groups")
    # The graph arrives after the page: wait for each group's node (and its row in the list).
    for group in ("landing", "seeds", "snapshots", "staging", "intermediate", "finance"):
        page.get_by_text(group, exact=True).first.wait_for()
    page.screenshot(path=str(tmp_path / "global_lineage.png"))


def test_a_mart_upstream_lineage_reaches_the_seed_and_the_landing_tables(
    ui_stack: UiStack, page, tmp_path
):
    # Every level upstream (the UI shows a few by default).
    ui_stack.open(page, "/assets/dim_accounts?view=lineage&lineageScope=upstream&lineageDepth=20")
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
    downstream = "/assets/saas/accounts?view=lineage&lineageScope=downstream&lineageDepth=20"
    ui_stack.open(page, downstream)
    page.get_by_text("accounts_snapshot").first.wait_for()
    page.screenshot(path=str(tmp_path / "accounts_downstream.png"))
    nodes = set(page.inner_text("body").split())
    assert {"accounts_snapshot", "stg_accounts", "dim_accounts"} <= nodes
