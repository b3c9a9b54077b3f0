"""The steps' forkserver started ahead of the run (orchestration/lib/forkserver.py): Dagster's
multiprocess executor must fork the run's steps from that very server, not start its own.

A real multiprocess run of a one-op job, in a fresh interpreter (a process has one forkserver,
and the test process's must not be touched). The op reports its parent's pid: the early server's.
"""

import subprocess
import sys
import textwrap

from tests.harness.sandbox import REPO_ROOT

JOB_MODULE = textwrap.dedent(
    """
    import os
    from pathlib import Path

    import dagster as dg


    @dg.op
    def report_parent() -> None:
        Path(os.environ["PARENT_PID_FILE"]).write_text(str(os.getppid()))


    @dg.job(
        executor_def=dg.multiprocess_executor.configured(
            {"start_method": {"forkserver": {"preload_modules": ["early_job"]}}}
        )
    )
    def early_job() -> None:
        report_parent()
    """
)

RUN = textwrap.dedent(
    """
    import multiprocessing.forkserver
    import os

    from orchestration.lib.forkserver import start_step_forkserver

    start_step_forkserver(["early_job"])
    # The stdlib keeps the one server of this process here (a private name, read by a test only).
    early = multiprocessing.forkserver._forkserver._forkserver_pid

    import dagster as dg

    import early_job

    with dg.instance_for_test() as instance:
        result = dg.execute_job(dg.reconstructable(early_job.early_job), instance=instance)
    assert result.success
    print(early, open(os.environ["PARENT_PID_FILE"]).read())
    """
)


def test_the_run_forks_its_steps_from_the_server_started_before_it(tmp_path):
    (tmp_path / "early_job.py").write_text(JOB_MODULE)
    parent_file = tmp_path / "parent.pid"
    result = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{tmp_path}:{REPO_ROOT}",
            "PARENT_PID_FILE": str(parent_file),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    early, step_parent = result.stdout.split()[-2:]
    assert step_parent == early, "the step was forked by a server Dagster started itself"
