"""`make dev` as a test fixture: the real command, its own session, a free port, GraphQL."""

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.harness.ports import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""


@dataclass
class DevServer:
    port: int
    log_path: Path
    process: subprocess.Popen

    def graphql(self, query: str, variables: Mapping | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def launch_assets(
        self,
        asset_keys: Sequence[Sequence[str]],
        tags: Mapping[str, str] | None = None,
        *,
        job_name: str = "__ASSET_JOB",
        run_config: Mapping | None = None,
    ) -> str:
        """Launch a run of these assets as the UI's Materialize button does; return its id."""
        params = {
            "selector": {
                "repositoryLocationName": "dbt_project",
                "repositoryName": "__repository__",
                "jobName": job_name,
                "assetSelection": [{"path": list(key)} for key in asset_keys],
                "assetCheckSelection": [],
            },
            "mode": "default",
            "runConfigData": dict(run_config or {}),
            "executionMetadata": {
                "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]
            },
        }
        result = self.graphql(LAUNCH_RUN, {"params": params})["data"]["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def launch_schedule_tick(
        self, schedule_name: str, job_name: str, run_config: Mapping | None = None
    ) -> str:
        """Evaluate the schedule now and launch its run request, as the UI's "Test schedule"
        then "Launch run" do (the schedule's code, its tags and selection, the job's tags);
        return the run id. The cron is not waited for."""
        selector = {
            "repositoryLocationName": "dbt_project",
            "repositoryName": "__repository__",
            "scheduleName": schedule_name,
        }
        tick = self.graphql(SCHEDULE_DRY_RUN, {"selector": selector, "timestamp": time.time()})
        (request,) = tick["data"]["scheduleDryRun"]["evaluationResult"]["runRequests"]
        tags = {tag["key"]: tag["value"] for tag in request["tags"]}
        keys = [key["path"] for key in request["assetSelection"] or []]
        return self.launch_assets(
            keys,
            {**tags, "dagster/schedule_name": schedule_name},
            job_name=job_name,
            run_config=run_config,
        )


SCHEDULE_DRY_RUN = """
mutation DryRun($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    ... on DryRunInstigationTick { evaluationResult { error { message }
      runRequests { tags { key value } assetSelection { path } } } }
    ... on PythonError { message }
  }
}
"""


def wait_for(predicate, *, timeout: float, interval: float = 1.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


@contextlib.contextmanager
def make_dev(env: Mapping[str, str], log_path: Path) -> Iterator[DevServer]:
    """Run `make dev` with this environment until the block ends, then stop the whole tree."""
    port = free_port()
    full_env = {k: v for k, v in env.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    full_env["DEV_PORT"] = str(port)
    with log_path.open("w") as log:
        # Its own session, so make, dagster dev, the daemon and code servers stop together.
        process = subprocess.Popen(
            ["make", "dev"],
            cwd=REPO_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield DevServer(port=port, log_path=log_path, process=process)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
