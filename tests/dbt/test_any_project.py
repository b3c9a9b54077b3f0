"""Any dbt project, unchanged: what `dbt build` builds, the product loads and builds.

Each project under tests/fixtures/projects (written for these tests; what each covers is at
the top of its dbt_project.yml) is copied, parsed as `make manifest` does, loaded, and
materialized with `make run`'s command in both DBT_STEPS layouts, each on a fresh DuckDB file.
"""

import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckEvaluation, AssetKey, DagsterEventType

from orchestration.lib.dbt.slice_graph import attached_node, built_nodes
from orchestration.lib.dbt.translator import ProjectTranslator
from tests.harness.sandbox import REPO_ROOT, Sandbox, copy_dbt_project, make_sandbox, manifest_of

PROJECTS = REPO_ROOT / "tests" / "fixtures" / "projects"
FIXTURES = sorted(p.name for p in PROJECTS.iterdir() if (p / "dbt_project.yml").is_file())
# A profile kept in a folder of the project, named relative to it.
PROFILES_DIRS = {"odd_names": "profiles"}


@pytest.fixture(scope="module", params=FIXTURES)
def parsed_fixture(request: pytest.FixtureRequest, tmp_path_factory) -> Sandbox:
    root = tmp_path_factory.mktemp(request.param)
    sandbox = make_sandbox(root, copy_dbt_project(PROJECTS / request.param, root / "project"))
    if request.param in PROFILES_DIRS:
        sandbox.env["DBT_PROFILES_DIR"] = PROFILES_DIRS[request.param]
    sandbox.prepare_manifest()
    return sandbox


def _expected(sandbox: Sandbox) -> tuple[dict, set[AssetKey], set[tuple[AssetKey, str]]]:
    """The manifest, the asset key of every node dbt builds, and the test ids that are checks."""
    manifest = manifest_of(Path(sandbox.env["DBT_PROJECT_DIR"]))
    built = built_nodes(manifest)
    key_of = ProjectTranslator().get_asset_key
    keys = {key_of(node) for node in built.values()}
    checks = {
        (key_of(built[attached]), uid)
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and (attached := attached_node(node)) in built
    }
    return manifest, keys, checks


def test_definitions_have_every_built_dbt_node_as_an_asset_and_every_test_as_a_check(
    parsed_fixture: Sandbox, load_definitions, monkeypatch: pytest.MonkeyPatch
):
    _, keys, checks = _expected(parsed_fixture)
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    if "DBT_PROFILES_DIR" in parsed_fixture.env:
        monkeypatch.setenv("DBT_PROFILES_DIR", parsed_fixture.env["DBT_PROFILES_DIR"])
    graph = load_definitions(parsed_fixture).resolve_asset_graph()
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert materializable == keys
    assert len(graph.asset_check_keys) == len(checks)
    assert {key.asset_key for key in graph.asset_check_keys} == {key for key, _ in checks}


@pytest.mark.parametrize("layout", ["slices", "one"])
def test_make_run_builds_every_asset_with_rows_and_reports_each_check_once(
    parsed_fixture: Sandbox, layout: str
):
    manifest, keys, checks = _expected(parsed_fixture)
    warehouse = parsed_fixture.root / "data" / f"{layout}.duckdb"
    env = {**parsed_fixture.env, "DBT_STEPS": layout, "DUCKDB_PATH": str(warehouse)}
    result = Sandbox(parsed_fixture.root, env).python("-m", "orchestration.cli.run", check=False)

    output = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, output
    summary = re.search(r"run (\S+) succeeded: (\d+)/(\d+) assets materialized, 0 failed", output)
    assert summary, output
    assert int(summary[2]) == int(summary[3]) == len(keys)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        for node in built_nodes(manifest).values():
            # The manifest names the parse-time database (the file's stem): leave it out.
            table = f'"{node["schema"]}"."{node["alias"]}"'
            (rows,) = con.execute(f"select count(*) from {table}").fetchone() or (0,)
            assert rows > 0, node["unique_id"]

    with parsed_fixture.instance() as instance:
        evaluations = instance.all_logs(summary[1], of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    reported = Counter(
        (data.asset_key, data.check_name)
        for e in evaluations
        if e.dagster_event is not None
        and isinstance(data := e.dagster_event.event_specific_data, AssetCheckEvaluation)
    )
    assert set(reported.values()) <= {1}, reported
    assert sorted(Counter(key for key, _ in reported).items()) == sorted(
        Counter(key for key, _ in checks).items()
    )
