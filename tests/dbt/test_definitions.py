"""Layer 1: the definitions load, and their asset graph is exactly the dbt manifest's."""

from pathlib import Path

from dagster import AssetKey

from tests.harness.sandbox import manifest_of

BUILT_TYPES = ("model", "seed", "snapshot")


def test_asset_graph_equals_the_manifest(parsed_demo_sandbox, load_definitions):
    manifest = manifest_of(Path(parsed_demo_sandbox.env["DBT_PROJECT_DIR"]))
    defs = load_definitions(parsed_demo_sandbox)
    graph = defs.resolve_asset_graph()

    built = {
        uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] in BUILT_TYPES
    }
    key_of = {uid: AssetKey(node["name"]) for uid, node in built.items()}
    key_of.update(
        {
            uid: AssetKey([src["source_name"], src["name"]])
            for uid, src in manifest["sources"].items()
        }
    )
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    # Sources that opt into landing ingestion (meta.dagster.landing) are loaded by Dagster too.
    landing = {
        key_of[uid]
        for uid, src in manifest["sources"].items()
        if src["config"]["meta"].get("dagster", {}).get("landing")
    }
    assert materializable == set(key_of[uid] for uid in built) | landing
    assert {"model", "seed", "snapshot"} <= {node["resource_type"] for node in built.values()}

    for uid in built:
        expected_parents = {
            key_of[parent] for parent in manifest["parent_map"][uid] if parent in key_of
        }
        assert graph.get(key_of[uid]).parent_keys == expected_parents, uid

    # Every dbt test attached to a built node is an asset check on that node's asset.
    check_keys = graph.asset_check_keys
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(check_keys) >= len([t for t in tests if t.get("attached_node") in built]) > 0


def test_marts_carry_owners_and_groups_from_dbt(parsed_demo_sandbox, load_definitions):
    manifest = manifest_of(Path(parsed_demo_sandbox.env["DBT_PROJECT_DIR"]))
    graph = load_definitions(parsed_demo_sandbox).resolve_asset_graph()
    marts = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1] == "marts"
    ]
    assert marts
    for node in marts:
        spec = graph.get(AssetKey(node["name"]))
        assert spec.owners, f"{node['name']} has no owner"
        assert spec.group_name == node["fqn"][-2]
