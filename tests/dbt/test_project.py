"""Preparing the dbt project (`make manifest`): dbt deps and dbt parse run only when something
they depend on changed, offline with vendored packages, and fail in one paragraph otherwise."""

import duckdb
import pytest

from tests.harness.sandbox import REPO_ROOT, TINY_PROJECT, copy_dbt_project, make_sandbox

pytestmark = pytest.mark.e2e  # `make manifest`'s command, in its own process

VENDORED_PROJECT = REPO_ROOT / "tests" / "fixtures" / "projects" / "vendored_package"


def _prepare(sandbox, **env: str):
    result = sandbox.python("-m", "orchestration.project", check=False)
    return result.returncode, result.stdout.strip().splitlines()[-1:], result.stderr


def test_parses_once_then_only_after_a_change(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    sandbox = make_sandbox(tmp_path, project)
    manifest = project / "target" / "manifest.json"

    assert _prepare(sandbox)[1][0].endswith("parse (changed: dbt, env, packages, profile, project)")
    parsed_at = manifest.stat().st_mtime_ns
    assert _prepare(sandbox)[1][0].endswith("nothing changed, manifest kept")
    assert manifest.stat().st_mtime_ns == parsed_at

    (project / "models" / "customer_totals.sql").write_text("select 1 as customer\n")
    assert _prepare(sandbox)[1][0].endswith("parse (changed: project)")
    assert _prepare(sandbox)[1][0].endswith("nothing changed, manifest kept")

    # Another warehouse path: dbt's rendered profile changes, so does the manifest.
    sandbox.env["DUCKDB_PATH"] = str(tmp_path / "other.duckdb")
    assert _prepare(sandbox)[1][0].endswith("parse (changed: env)")


def test_a_vendored_local_package_installs_and_builds_offline_and_deps_runs_once(tmp_path):
    project = copy_dbt_project(VENDORED_PROJECT, tmp_path / "vendored")
    sandbox = make_sandbox(tmp_path, project)

    code, last, stderr = _prepare(sandbox)
    assert code == 0, stderr
    assert last[0].endswith("deps and parse (changed: dbt, env, packages, profile, project)")
    assert _prepare(sandbox)[1][0].endswith("nothing changed, manifest kept")

    result = sandbox.python("-m", "orchestration.cli.run", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with duckdb.connect(str(sandbox.duckdb_path), read_only=True) as con:
        rows = con.execute("select amount_cents from payments_in_cents order by 1").fetchall()
    assert rows == [(25,), (700,), (1050,)]


def test_an_unreachable_hub_package_fails_in_one_paragraph_without_a_traceback(tmp_path):
    """The hub is really unreachable here (no route to hub.getdbt.com); dbt deps retries first."""
    project = copy_dbt_project(VENDORED_PROJECT, tmp_path / "hub")
    with (project / "packages.yml").open("a") as packages:
        packages.write('  - package: dbt-labs/dbt_utils\n    version: [">=1.0.0", "<2.0.0"]\n')
    sandbox = make_sandbox(tmp_path, project)

    code, _, stderr = _prepare(sandbox)
    assert code == 1
    assert "Traceback" not in stderr
    message = stderr.strip()
    assert message.startswith("error: dbt deps could not download dbt-labs/dbt_utils")
    assert "\n" not in message
    assert "cannot be reached" in message
    assert "- local: vendor/<name>" in message and "image build" in message
    assert not (project / "target" / "manifest.json").exists()


def test_a_preinstalled_packages_folder_is_used_offline_without_dbt_deps(tmp_path):
    """An image built where the hub is reachable ships dbt_packages/: a hub package is declared,
    yet nothing is downloaded and the project parses."""
    project = copy_dbt_project(VENDORED_PROJECT, tmp_path / "preinstalled")
    (project / "packages.yml").write_text(
        'packages:\n  - package: example/cents\n    version: "0.1.0"\n'
    )
    (project / "dbt_packages").mkdir()
    (project / "vendor" / "cents").rename(project / "dbt_packages" / "cents")
    sandbox = make_sandbox(tmp_path, project)

    code, last, stderr = _prepare(sandbox)
    assert code == 0, stderr
    assert last[0].endswith("parse (changed: dbt, env, packages, profile, project)")
