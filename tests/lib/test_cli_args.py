import json
from pathlib import Path

from orchestration.lib.dbt.cli_args import dbt_build_args, invocation_target_path


def test_plain_build_has_no_flags():
    assert dbt_build_args() == ["build"]


def test_full_refresh_and_vars_are_passed_as_dbt_flags():
    args = dbt_build_args(full_refresh=True, dbt_vars={"b": "2", "a": "1"})
    assert args[:2] == ["build", "--full-refresh"]
    assert args[2] == "--vars"
    assert json.loads(args[3]) == {"a": "1", "b": "2"}
    assert args[3] == '{"a": "1", "b": "2"}', "vars are serialised in a stable order"


def test_invocation_target_path_is_per_run_and_per_step():
    path = invocation_target_path(Path("/runs"), "run-1", "dbt_build[x/y]", "abc")
    assert path == Path("/runs/run-1/dbt_build_x_y_-abc")
    assert path.parent.name == "run-1"
