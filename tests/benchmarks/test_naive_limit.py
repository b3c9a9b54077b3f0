"""The naive column's time limit: a run past it is stopped with its whole process tree, and the
tables print its figures as lower bounds."""

import os
import sys
import time
from pathlib import Path

import pytest

from benchmarks.processes import measure
from benchmarks.report import format_table
from benchmarks.run import naive_limit_s, naive_summary


@pytest.mark.unit
def test_a_stopped_naive_run_reads_as_a_lower_bound():
    runs = [{"seconds": 300.0, "timed_out": True}, {"seconds": 290.0, "timed_out": False}]
    summary = naive_summary(runs, bare_s=100.0)
    assert summary == {"naive_s": 295.0, "naive_ratio": 2.95, "naive_stopped": True}
    row = {
        "models": 3000,
        "bare_s": 100.0,
        **summary,
        "dagster_s": 120.0,
        "ratio": 1.2,
        "overhead_ms_per_model": 6.7,
        "load": {"import_s": 5.0, "load_s": 5.4, "load_over_import_s": 0.4},
        "rss_mb": 900.0,
        "bare_rss_mb": 500.0,
    }
    line = format_table([row]).splitlines()[1]
    assert ">295.0" in line and ">2.95" in line
    finished = naive_summary([{"seconds": 150.0, "timed_out": False}], bare_s=100.0)
    assert finished["naive_stopped"] is False
    assert ">" not in format_table([{**row, **finished}]).splitlines()[1]


@pytest.mark.unit
def test_the_limit_grows_with_the_row_and_spares_the_small_projects():
    assert naive_limit_s(8.0) == naive_limit_s(200.0) == 600.0
    assert naive_limit_s(350.0) == 875.0


@pytest.mark.integration
def test_a_measured_command_past_its_limit_is_killed_with_its_children(tmp_path):
    """A real process tree: a parent whose child outlives it unless the whole group is killed."""
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time; "
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(60)"
    )
    result = measure(
        [sys.executable, "-c", script],
        env=dict(os.environ),
        cwd=tmp_path,
        log=tmp_path / "log",
        timeout_s=3.0,
    )
    assert result["timed_out"] is True and result["returncode"] != 0
    assert result["seconds"] < 30
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child), "the child of the stopped command is still running"


def _running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (a killed child may wait to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
