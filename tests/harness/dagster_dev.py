"""`make dev` as a test fixture: the real command, its own session, a free port, GraphQL."""

import contextlib
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, DagsterRun

from tests.harness.dagster_runs import wait_for_runs
from tests.harness.dagster_ui import DagsterUi
from tests.harness.ports import free_port
from tests.harness.processes import process_group
from tests.harness.sandbox import REPO_ROOT, Sandbox
from tests.harness.waiting import HANG_TIMEOUT, wait_until


@dataclass
class DevServer:
    """A running `make dev`: its UI's GraphQL client, and its log for failure messages."""

    ui: DagsterUi
    log_path: Path
    process: subprocess.Popen

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def assert_alive(self) -> None:
        """Fails the waiting test at once, with the log, when `make dev` died."""
        assert self.process.poll() is None, self.log_tail()

    def wait_for_assets(self, timeout: float = HANG_TIMEOUT) -> list[dict]:
        """The asset nodes, once the webserver serves the code location."""

        def served() -> list[dict] | None:
            self.assert_alive()
            return self.ui.asset_nodes()

        return wait_until(served, timeout, "the UI to serve the code location", poll=1)

    def wait_for_runs(
        self, instance: DagsterInstance, run_ids: list[str], timeout: float = HANG_TIMEOUT
    ) -> dict[str, DagsterRun]:
        return wait_for_runs(instance, run_ids, timeout, alive=self.assert_alive)


@dataclass
class SandboxedDev:
    """A `make dev` running on a sandbox: the tests launch through its UI and read the runs'
    outcome from the sandbox's instance."""

    server: DevServer
    sandbox: Sandbox

    def wait_for_runs(self, run_ids: list[str]) -> dict[str, DagsterRun]:
        with self.sandbox.instance() as instance:
            return self.server.wait_for_runs(instance, run_ids)


@contextlib.contextmanager
def make_dev(env: Mapping[str, str], log_path: Path) -> Iterator[DevServer]:
    """Run `make dev` with this environment until the block ends, then stop the whole tree."""
    port = free_port()
    full_env = {k: v for k, v in env.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    full_env["DEV_PORT"] = str(port)
    # Its own session, so make, dagster dev, the daemon and code servers stop together.
    with process_group(["make", "dev"], cwd=REPO_ROOT, env=full_env, log_path=log_path) as process:
        yield DevServer(DagsterUi(f"http://127.0.0.1:{port}"), log_path, process)
