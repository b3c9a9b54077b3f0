"""The manifest fingerprint changes exactly when something dbt's parse reads changes."""

import os
from pathlib import Path

from orchestration.lib.dbt.fingerprint import changed_parts, fingerprint
from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project


def _print(project: Path, **environ: str) -> dict[str, str]:
    return fingerprint(project, project, None, environ={"DUCKDB_PATH": "/w.duckdb", **environ})


def test_unchanged_project_has_the_same_fingerprint_and_outputs_do_not_count(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    before = _print(project)
    for output in ("target", "logs"):
        (project / output).mkdir()
        (project / output / "manifest.json").write_text("{}")
    (project / "notes.txt").write_text("not read by dbt")
    assert _print(project) == before


def test_a_model_edit_changes_the_project_part_only(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    before = _print(project)
    (project / "models" / "customer_totals.sql").write_text("select 1 as customer\n")
    assert changed_parts(before, _print(project)) == ["project"]


def test_env_vars_read_by_env_var_count_and_others_do_not(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    before = _print(project)
    assert _print(project, UNRELATED="1") == before
    # profiles.yml reads DUCKDB_PATH: dbt hashes the rendered profile into its partial parse.
    assert changed_parts(before, _print(project, DUCKDB_PATH="/other.duckdb")) == ["env"]


def test_profile_and_target_count(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    before = _print(project)
    assert fingerprint(project, project, "prod", environ={"DUCKDB_PATH": "/w.duckdb"}) != before
    profiles = project / "profiles.yml"
    profiles.write_text(profiles.read_text().replace("threads: 2", "threads: 3"))
    assert "profile" in changed_parts(before, _print(project))


def test_an_edit_inside_a_symlinked_local_package_counts(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    vendored = tmp_path / "vendor" / "pkg"
    (vendored / "macros").mkdir(parents=True)
    (vendored / "macros" / "m.sql").write_text("{% macro m() %}1{% endmacro %}")
    (project / "dbt_packages").mkdir()
    os.symlink(vendored, project / "dbt_packages" / "pkg")  # what dbt deps does for `local:`
    before = _print(project)
    (vendored / "macros" / "m.sql").write_text("{% macro m() %}2{% endmacro %}")
    assert changed_parts(before, _print(project)) == ["packages"]


def test_nothing_recorded_means_every_part_changed():
    assert changed_parts(None, {"project": "a", "env": "b"}) == ["env", "project"]
