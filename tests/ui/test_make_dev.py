"""`make dev` serves the UI with every dbt model, seed and snapshot as an asset (over GraphQL,
on the browser lane's stack: one `make dev` of the demo project serves both)."""

import pytest

from tests.harness.ui_stack import UiStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("ui_stack")]


def test_make_dev_serves_every_dbt_node_over_graphql(ui_stack: UiStack):
    nodes = ui_stack.server.wait_for_assets()
    served = {tuple(n["assetKey"]["path"]) for n in nodes if n["isMaterializable"]}
    expected = {
        (node["name"],)
        for node in ui_stack.manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
    }
    assert expected <= served
    assert any(len(key) == 1 and key[0].startswith("stg_") for key in served)
