"""The browser lane's stack: a real `make dev` over the demo project, and how a test opens its
pages and waits for its runs to settle. The fixtures that build it live in tests/ui/conftest.py."""

import time
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterRunStatus, RunsFilter

from tests.harness.dagster_dev import DevServer
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
IN_PROGRESS = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


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

    def settle(self, quiet_for: float = 15, timeout: float = HANG_TIMEOUT) -> None:
        """Until no run has been queued or running for `quiet_for` seconds (automation ticks
        every 5 s here, so a run it is about to request is seen)."""
        with self.sandbox.instance() as instance:
            quiet_since = [time.monotonic()]

            def quiet():
                self.server.assert_alive()
                if instance.get_run_records(RunsFilter(statuses=IN_PROGRESS), limit=1):
                    quiet_since[0] = time.monotonic()
                return time.monotonic() - quiet_since[0] >= quiet_for

            wait_until(quiet, timeout, "the runs in progress to finish", poll=1)
