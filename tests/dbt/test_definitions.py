"""Layer 1: the definitions load, and their asset graph is exactly the dbt manifest's."""

from pathlib import Path

from dagster import AssetKey

from orchestration.dbt.assets import project_dbt_assets
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


def test_the_launchpad_offers_only_the_build_knobs_not_the_dbt_resource(
    parsed_demo_sandbox, load_definitions
):
    """The dbt resource's fields are the deployment's settings: no job's run config lists them,
    and the dbt steps' config is DbtBuildConfig alone."""
    defs = load_definitions(parsed_demo_sandbox)
    jobs = [job for job in defs.resolve_all_job_defs() if not job.name.startswith("__")]
    jobs.append(defs.resolve_implicit_global_asset_job_def())
    for job in jobs:
        snaps = job.get_job_snapshot().config_schema_snapshot.all_config_snaps_by_key.values()
        fields = {field.name for snap in snaps for field in snap.fields or []}
        assert not fields & {"dbt_executable", "global_config_flags", "project_dir"}, job.name
        # The launchpad fills in a resource's config from its defaults: the dbt resource's config
        # has none, and no fields to scaffold.
        resources = job.run_config_schema.config_type.fields["resources"].config_type
        dbt_config = resources.fields["dbt"].config_type.fields["config"]
        assert not dbt_config.is_required and not dbt_config.default_provided, job.name
        assert not getattr(dbt_config.config_type, "fields", None), job.name
    materialize_all = defs.resolve_job_def("materialize_all")
    ops = materialize_all.run_config_schema.config_type.fields["ops"].config_type.fields
    dbt_ops = {assets.op.name for assets in project_dbt_assets()}
    assert dbt_ops and dbt_ops <= set(ops)
    for name in dbt_ops:
        config = ops[name].config_type.fields["config"].config_type
        assert set(config.fields) == {"full_refresh", "dbt_vars"}, name
