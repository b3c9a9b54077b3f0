"""Any dbt project, unchanged: what `dbt build` builds, the product loads and builds, on DuckDB
and on Postgres.

Each project under tests/fixtures/projects (written for these tests; what each covers is at
the top of its dbt_project.yml) is copied, parsed as `make manifest` does, loaded, and
materialized with `make run`'s command in both DBT_STEPS layouts: on DuckDB (the profile's
default target) each layout on a fresh file; on a real PostgreSQL server (the profile's
`postgres` target, chosen by DBT_TARGET as a deployment would) in one fresh database, where the
second layout rebuilds what the first built, as a second day's run would.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckEvaluation, AssetKey, DagsterEventType

from orchestration.lib.dbt.slice_graph import attached_node, built_nodes
from orchestration.lib.dbt.translator import ProjectTranslator
from tests.harness.pg_warehouse import Warehouse, postgres_target_env
from tests.harness.sandbox import REPO_ROOT, Sandbox, copy_dbt_project, make_sandbox, manifest_of

# Every test prepares its fixture with `make manifest`'s command and `make run`'s: e2e.
pytestmark = pytest.mark.e2e

PROJECTS = REPO_ROOT / "tests" / "fixtures" / "projects"
FIXTURES = sorted(p.name for p in PROJECTS.iterdir() if (p / "dbt_project.yml").is_file())
# A profile kept in a folder of the project, named relative to it.
PROFILES_DIRS = {"odd_names": "profiles"}


WAREHOUSES = ("duckdb", "postgres")


@pytest.fixture(
    scope="module",
    params=[(name, kind) for kind in WAREHOUSES for name in FIXTURES],
    ids=lambda param: "-".join(param),
)
def parsed_fixture(request: pytest.FixtureRequest, tmp_path_factory) -> Sandbox:
    name, kind = request.param
    root = tmp_path_factory.mktemp(f"{name}-{kind}")
    sandbox = make_sandbox(root, copy_dbt_project(PROJECTS / name, root / "project"))
    if name in PROFILES_DIRS:
        sandbox.env["DBT_PROFILES_DIR"] = PROFILES_DIRS[name]
    if kind == "postgres":
        warehouse: Warehouse = request.getfixturevalue("warehouse")
        sandbox.env.update(postgres_target_env(warehouse.info, warehouse.new_database()))
    sandbox.prepare_manifest()
    return sandbox


def _row_counts(sandbox: Sandbox, nodes: Sequence[Mapping], request: pytest.FixtureRequest) -> dict:
    """Rows in the relation of each node, in the sandbox's warehouse."""
    # The manifest names the parse-time database: leave it out, the connection chooses it.
    tables = {node["unique_id"]: f'"{node["schema"]}"."{node["alias"]}"' for node in nodes}
    if sandbox.env.get("DBT_TARGET") == "postgres":
        warehouse: Warehouse = request.getfixturevalue("warehouse")
        database = sandbox.env["DBT_POSTGRES_DB"]
        return {
            uid: warehouse.query(database, f"select count(*) from {table}")[0][0]
            for uid, table in tables.items()
        }
    with duckdb.connect(str(sandbox.duckdb_path), read_only=True) as con:
        return {
            uid: (con.execute(f"select count(*) from {table}").fetchone() or (0,))[0]
            for uid, table in tables.items()
        }


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
    parsed_fixture: Sandbox, layout: str, request: pytest.FixtureRequest
):
    manifest, keys, checks = _expected(parsed_fixture)
    env = {
        **parsed_fixture.env,
        "DBT_STEPS": layout,
        "DUCKDB_PATH": str(parsed_fixture.root / "data" / f"{layout}.duckdb"),
    }
    sandbox = Sandbox(parsed_fixture.root, env)
    result = sandbox.python("-m", "orchestration.cli.run", check=False)

    output = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, output
    summary = re.search(r"run (\S+) succeeded: (\d+)/(\d+) assets materialized, 0 failed", output)
    assert summary, output
    assert int(summary[2]) == int(summary[3]) == len(keys)

    rows = _row_counts(sandbox, list(built_nodes(manifest).values()), request)
    assert {uid for uid, count in rows.items() if count == 0} == set()

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
