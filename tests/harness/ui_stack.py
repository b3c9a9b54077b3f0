"""The browser lane's stack: a real `make dev` over the demo project, and how a test opens its
pages and waits for its runs to settle. The fixtures that build it live in tests/ui/conftest.py."""

from dataclasses import dataclass
from pathlib import Path

from orchestration.ingestion.sensors import LANDING_SENSOR
from tests.harness.dagster_dev import DevServer
from tests.harness.dagster_runs import settled
from tests.harness.sandbox import Sandbox
from tests.harness.waiting import HANG_TIMEOUT, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The sensors that launch runs by themselves under `make dev` (the alert sensors launch none).
SENSORS = (LANDING_SENSOR, "automation")


@dataclass
class UiStack:
    server: DevServer
    sandbox: Sandbox
    manifest: dict
    url: str
    settled_after_seconds: float

    def open(self, page, path: str):
        """Go to a UI page and wait until its data has arrived (no request in flight)."""
        page.goto(self.url + path)
        page.wait_for_load_state("networkidle")
        return page

    def settle(self, timeout: float = HANG_TIMEOUT) -> None:
        """Until every run has finished and the landing and automation sensors have each
        evaluated since the last one ended and requested nothing (dagster_runs.settled): the
        exact state in which nothing more will run, not a quiet period."""
        with self.sandbox.instance() as instance:

            def at_rest() -> bool:
                self.server.assert_alive()
                return settled(instance, SENSORS)

            wait_until(at_rest, timeout, "the runs to finish and the sensors to rest", poll=1)
