import os
import time

from orchestration.lib.dbt.artifacts import sweep_old_runs


def test_run_folders_older_than_retention_are_removed_and_recent_ones_kept(tmp_path):
    old, recent = tmp_path / "run-old", tmp_path / "run-new"
    for run in (old, recent):
        (run / "dbt_staging-1").mkdir(parents=True)
        (run / "dbt_staging-1" / "run_results.json").write_text("{}")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old, (ten_days_ago, ten_days_ago))

    removed = sweep_old_runs(tmp_path, keep_days=7)

    assert removed == [old]
    assert not old.exists()
    assert (recent / "dbt_staging-1" / "run_results.json").exists()


def test_missing_runs_folder_is_not_an_error(tmp_path):
    assert sweep_old_runs(tmp_path / "nothing-here", keep_days=1) == []
