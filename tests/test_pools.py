"""Every step that writes the warehouse holds a pool slot: on DuckDB one shared writer pool for
dbt, ingestion and source freshness; on a multi-writer warehouse one pool per dbt slice."""

import pytest

from orchestration.pools import WAREHOUSE_WRITER_POOL


def _pools_by_op(defs) -> dict[str, str | None]:
    graph = defs.resolve_asset_graph()
    return {a.node_def.name: a.node_def.pool for a in graph.assets_defs if a.is_executable}


def test_on_a_single_writer_warehouse_every_writer_shares_one_pool(
    parsed_demo_sandbox, load_definitions
):
    pools = _pools_by_op(load_definitions(parsed_demo_sandbox))
    dbt_ops = {op for op in pools if op.startswith("dbt_")}
    assert len(dbt_ops) > 2 and "landing_ingestion" in pools
    assert {pools[op] for op in [*dbt_ops, "landing_ingestion"]} == {WAREHOUSE_WRITER_POOL}


def test_on_a_multi_writer_warehouse_each_dbt_slice_has_its_own_pool(
    parsed_demo_sandbox, load_definitions, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("WAREHOUSE_SINGLE_WRITER", "false")
    pools = _pools_by_op(load_definitions(parsed_demo_sandbox))
    slices = {op: pool for op, pool in pools.items() if op.startswith("dbt_") and pool}
    assert slices and all(pool == f"dbt_slice_{op[4:]}" for op, pool in slices.items())
    assert pools.get("dbt_source_freshness") is None
