"""`make dev` serves the UI with every dbt model, seed and snapshot as an asset."""

from tests.harness.dagster_dev import make_dev
from tests.harness.sandbox import DEMO_PROJECT, copy_dbt_project, make_sandbox, manifest_of


def test_make_dev_serves_every_dbt_node_over_graphql(tmp_path):
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    sandbox = make_sandbox(tmp_path, project)
    with make_dev(sandbox.env, tmp_path / "make_dev.log") as server:
        nodes = server.wait_for_assets()
        served = {tuple(n["assetKey"]["path"]) for n in nodes if n["isMaterializable"]}
        manifest = manifest_of(project)
        expected = {
            (node["name"],)
            for node in manifest["nodes"].values()
            if node["resource_type"] in ("model", "seed", "snapshot")
        }
        assert expected <= served
        assert any(len(key) == 1 and key[0].startswith("stg_") for key in served)
