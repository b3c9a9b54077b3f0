import os
import time

from orchestration.dbt.project import manifest_is_stale
from tests.harness.sandbox import TINY_PROJECT, copy_dbt_project


def test_manifest_is_stale_until_built_and_again_after_an_edit(tmp_path):
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    manifest = project / "target" / "manifest.json"
    assert manifest_is_stale(project, manifest)

    manifest.parent.mkdir()
    manifest.write_text("{}")
    past = time.time() - 60
    for path in project.rglob("*"):
        if path != manifest:
            os.utime(path, (past, past))
    assert not manifest_is_stale(project, manifest)

    (project / "target" / "run_results.json").write_text("{}")  # outputs never count
    assert not manifest_is_stale(project, manifest)

    (project / "models" / "customer_totals.sql").write_text("select 1 as customer\n")
    assert manifest_is_stale(project, manifest)
