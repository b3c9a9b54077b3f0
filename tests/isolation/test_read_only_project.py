"""Trap 2, file-writing races: nothing is written into the dbt project at run time, so the
project folder can be read-only (as in a production image) and shared by concurrent runs."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.harness.sandbox import REPO_ROOT, TINY_PROJECT, copy_dbt_project, make_sandbox

pytestmark = pytest.mark.e2e  # the product's own command, in its own processes


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_materialization_succeeds_with_a_read_only_project_directory(tmp_path):
    """The read-only mount is a real one (a private mount namespace with a read-only bind mount
    of the project folder): root ignores file modes, so chmod would prove nothing here."""
    project = copy_dbt_project(TINY_PROJECT, tmp_path / "tiny")
    sandbox = make_sandbox(tmp_path, project)
    sandbox.prepare_manifest()  # build time: the only moment target/ in the project is written
    before = _tree_digest(project)

    assert shutil.which("unshare"), "util-linux's unshare is needed for a read-only mount"
    script = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && '
        'if touch "$1/probe" 2>/dev/null; then echo "mount is writable" >&2; exit 97; fi && '
        'shift && exec "$@"'
    )
    result = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            str(project),
            sys.executable,
            "-m",
            "orchestration.cli.run",
        ],
        cwd=REPO_ROOT,
        env=sandbox.env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2/2 assets materialized" in result.stdout
    assert _tree_digest(project) == before
    with duckdb.connect(str(sandbox.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from customer_totals").fetchone() == (2,)
    runs = list((Path(sandbox.env["DATA_DIR"]) / "dbt_runs").iterdir())
    assert len(runs) == 1 and any(runs[0].rglob("run_results.json"))
