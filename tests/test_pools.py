"""Every step that writes the warehouse holds a pool slot: on DuckDB one shared writer pool for
dbt, ingestion and source freshness; on a multi-writer warehouse one pool per dbt slice."""

import pytest

from orchestration.pools import (
    WAREHOUSE_WRITER_POOL,
    dbt_slice_pool,
    ingestion_pool,
    warehouse_reader_pool,
)


def _pools_by_op(defs) -> dict[str, str | None]:
    graph = defs.resolve_asset_graph()
    return {a.node_def.name: a.node_def.pool for a in graph.assets_defs if a.is_executable}


def test_on_a_single_writer_warehouse_every_writer_shares_one_pool(
    parsed_demo_sandbox, load_definitions, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DBT_STEPS", "slices")  # several dbt steps, each must name the one pool
    pools = _pools_by_op(load_definitions(parsed_demo_sandbox))
    dbt_ops = {op for op in pools if op.startswith("dbt_")}
    assert len(dbt_ops) > 2 and "landing_ingestion" in pools
    assert {pools[op] for op in [*dbt_ops, "landing_ingestion"]} == {WAREHOUSE_WRITER_POOL}


def test_on_a_multi_writer_warehouse_each_dbt_slice_and_ingestion_have_their_own_pool():
    """Pure: a multi-writer target cannot be loaded without its server, so the naming is
    checked here and the loaded Postgres definitions in tests/warehouse/."""
    assert dbt_slice_pool("staging", single_writer=False) == "dbt_slice_staging"
    assert dbt_slice_pool("marts", single_writer=False) != dbt_slice_pool(
        "staging", single_writer=False
    )
    assert ingestion_pool(single_writer=False) not in (WAREHOUSE_WRITER_POOL, "dbt_slice_staging")
    assert warehouse_reader_pool(single_writer=False) is None
    assert ingestion_pool(single_writer=True) == WAREHOUSE_WRITER_POOL
