"""Alerts from a real `dagster-daemon run` (the system environment's), over the drills project:
Dagster's own freshness daemon evaluates the SLAs, the sensor daemon ticks our alert sensors,
and the default notifier writes the alert files.

Stand-in: the stale asset's last materialization is a materialization event reported to the
instance with a timestamp three hours back (`report_dagster_event`, as Dagster records a runless
materialization), because a real build three hours ago cannot be made in a test. The failed run
is real: the drills project's `broken` model, built through the code location's job.
"""

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterEvent, DagsterEventType
from dagster._core.definitions.freshness import FreshnessState  # not exported by dagster
from dagster._core.events import StepMaterializationData
from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID
from dagster._core.scheduler.instigation import TickStatus

from orchestration.alerts.sensors import ALERT_SENT_TAG, BREACH_SENSOR, RUN_FAILURE_SENSOR
from tests.alerts.drills import alerts, alerts_dir
from tests.harness.dagster_runs import sensor_ticks
from tests.harness.processes import process_group
from tests.harness.sandbox import REPO_ROOT, Sandbox, make_sandbox
from tests.harness.waiting import HANG_TIMEOUT, wait_until

DAEMON = REPO_ROOT / ".venv-system" / "bin" / "dagster-daemon"
UI_URL = "http://dagster.test"
STALE, FRESH, NO_SLA = AssetKey("stale_mart"), AssetKey("fresh_mart"), AssetKey("no_sla_mart")

pytestmark = pytest.mark.xdist_group("alerts_daemon")  # one daemon for both tests

FAILING_RUN = """
from dagster import AssetKey, DagsterInstance, execute_job, reconstructable
from orchestration.cli.run import materialize_all_job
with DagsterInstance.get() as instance:
    result = execute_job(
        reconstructable(materialize_all_job), instance=instance,
        asset_selection=[AssetKey("broken")],
    )
    print(result.run_id)
"""


@dataclass
class DaemonStack:
    sandbox: Sandbox
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def alive(self) -> None:
        assert self.process.poll() is None, f"dagster-daemon exited:\n{self.log_tail()}"

    def ticks(self, sensor_name: str) -> list:
        with self.sandbox.instance() as instance:
            return sensor_ticks(instance, sensor_name)

    def wait_tick_after(self, sensor_name: str, moment: float) -> None:
        """Until a whole evaluation of the sensor has started after `moment` (and finished)."""

        def evaluated():
            self.alive()
            ticks = self.ticks(sensor_name)
            failed = [t for t in ticks if t.status == TickStatus.FAILURE]
            assert not failed, failed[0].error
            return any(t.timestamp > moment and t.status != TickStatus.STARTED for t in ticks)

        wait_until(evaluated, HANG_TIMEOUT, f"another tick of {sensor_name}", poll=1)

    def wait_alerts(self, kind: str) -> tuple[list[dict], float]:
        """The alerts of this kind once there is one, and when the newest file was written."""

        def found():
            self.alive()
            return alerts(self.sandbox, kind)

        found_alerts = wait_until(found, HANG_TIMEOUT, f"a {kind} alert", poll=1)
        written = max(path.stat().st_mtime for path in alerts_dir(self.sandbox).glob("*.json"))
        return found_alerts, written


def report_materialization(sandbox: Sandbox, key: AssetKey, hours_ago: float) -> float:
    timestamp = time.time() - hours_ago * 3600
    with sandbox.instance() as instance:
        instance.report_dagster_event(
            run_id=RUNLESS_RUN_ID,
            dagster_event=DagsterEvent(
                event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
                event_specific_data=StepMaterializationData(AssetMaterialization(key)),
                job_name=RUNLESS_JOB_NAME,
            ),
            timestamp=timestamp,
        )
    return timestamp


@pytest.fixture(scope="module")
def daemon_stack(
    tmp_path_factory: pytest.TempPathFactory, parsed_freshness_project: Path
) -> Iterator[DaemonStack]:
    root = tmp_path_factory.mktemp("alerts_daemon")
    sandbox = make_sandbox(root, parsed_freshness_project)
    sandbox.env.update(
        ALERT_SENSOR_INTERVAL_SECONDS="1",  # the sensor daemon still loops every 5 s
        FRESHNESS_DAEMON_INTERVAL_SECONDS="1",  # read by Dagster's freshness daemon
        SOURCE_FRESHNESS_CRON="off",
        DAGSTER_UI_URL=UI_URL,
    )
    report_materialization(sandbox, STALE, hours_ago=3)  # its SLA: fail after 2 h
    report_materialization(sandbox, NO_SLA, hours_ago=3)  # its folder's SLA, removed
    report_materialization(sandbox, FRESH, hours_ago=0)
    log_path = root / "daemon.log"
    # Its own session: its code server goes down with it.
    daemon = [str(DAEMON), "run", "--workspace", "workspace.yaml"]
    with process_group(daemon, cwd=REPO_ROOT, env=sandbox.env, log_path=log_path) as process:
        yield DaemonStack(sandbox, process, log_path)


def test_breached_sla_alerts_once_across_ticks_and_fresh_assets_never(daemon_stack):
    (alert,), written = daemon_stack.wait_alerts("sla_breach")
    daemon_stack.wait_tick_after(BREACH_SENSOR, written)  # a second evaluation, same breach

    assert [a["subject"] for a in alerts(daemon_stack.sandbox, "sla_breach")] == ["stale_mart"]
    assert alert["title"] == "stale_mart breached its freshness SLA: not updated for over 2:00:00"
    assert alert["details"]["fail_after"] == "2:00:00"
    assert alert["details"]["warn_after"] == "1:00:00"
    assert alert["link"] == f"{UI_URL}/assets/stale_mart"
    with daemon_stack.sandbox.instance() as instance:
        states = instance.get_freshness_state_records([STALE, FRESH, NO_SLA])
    # Dagster's freshness daemon evaluated both SLAs; the model that removed its SLA has none.
    assert states[STALE].freshness_state == FreshnessState.FAIL
    assert states[FRESH].freshness_state == FreshnessState.PASS
    assert NO_SLA not in states or states[NO_SLA].freshness_state == FreshnessState.NOT_APPLICABLE
    assert alert["since"] == states[STALE].updated_at.isoformat(timespec="seconds")


def test_failed_run_alerts_once_naming_the_run_its_step_and_model(daemon_stack):
    # A run-failure sensor starts from the newest failure it sees: make it look first.
    daemon_stack.wait_tick_after(RUN_FAILURE_SENSOR, 0)
    result = daemon_stack.sandbox.python("-c", FAILING_RUN, check=False, timeout=300)
    run_id = result.stdout.strip().splitlines()[-1]

    (alert,), written = daemon_stack.wait_alerts("run_failure")
    daemon_stack.wait_tick_after(RUN_FAILURE_SENSOR, written)

    assert len(alerts(daemon_stack.sandbox, "run_failure")) == 1
    assert alert["subject"] == run_id
    assert alert["details"]["job"] == "materialize_all"
    assert alert["details"]["not_materialized"] == ["broken"]
    (step,) = alert["details"]["failed_steps"]
    step_key, error = step.split(": ", 1)
    assert step_key.startswith("dbt_")
    # dbt's own error for the model, not dagster-dbt's "The dbt CLI process ... failed".
    assert error.startswith("Runtime Error in model broken (models/broken.sql): Catalog Error")
    assert "table_that_is_not_there" in error
    assert alert["title"] == f"Run {run_id[:8]} of materialize_all failed at {step_key}"
    assert alert["link"] == f"{UI_URL}/runs/{run_id}"
    with daemon_stack.sandbox.instance() as instance:
        run = instance.get_run_by_id(run_id)
    # The run's page says the alert went out, and where.
    assert run is not None and run.tags[ALERT_SENT_TAG].startswith("file")
