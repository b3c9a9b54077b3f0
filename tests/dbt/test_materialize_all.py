"""Layer 3: `make run`'s job materializes everything on a fresh DuckDB file: the marts fill."""

from pathlib import Path

import duckdb

from tests.harness.sandbox import manifest_of


def test_materialize_all_on_a_fresh_warehouse_fills_every_mart(demo_sandbox):
    result = demo_sandbox.python("-m", "orchestration.cli.run", check=False)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    manifest = manifest_of(Path(demo_sandbox.env["DBT_PROJECT_DIR"]))
    marts = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    assert marts
    with duckdb.connect(str(demo_sandbox.duckdb_path), read_only=True) as con:
        for mart in marts:
            row = con.execute(f"select count(*) from {mart}").fetchone()
            assert row is not None and row[0] > 0, mart
    assert "0 failed checks" in result.stdout
