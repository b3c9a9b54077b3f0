"""The webserver's GraphQL API, as the UI's buttons call it: launch, terminate, re-execute.

Every test that drives a running webserver (`make dev`, the ECS stack) goes through this client,
so a test acts only as a user of the UI can.
"""

import json
import time
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
TERMINATE_RUN = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}
"""
REEXECUTE_FROM_FAILURE = """
mutation Reexecute($parentRunId: String!) {
  launchRunReexecution(
    reexecutionParams: {parentRunId: $parentRunId, strategy: FROM_ASSET_FAILURE}
  ) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
SCHEDULE_DRY_RUN = """
mutation DryRun($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    ... on DryRunInstigationTick { evaluationResult { error { message }
      runRequests { tags { key value } assetSelection { path } } } }
    ... on PythonError { message }
  }
}
"""
RELOAD_LOCATION = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry { loadStatus locationOrLoadError { __typename } }
  }
}
"""
ASSET_NODES = "{ assetNodes { assetKey { path } isMaterializable opNames } }"
SENSOR_TICKS = """
query Sensors($location: String!) {
  sensorsOrError(repositorySelector: {repositoryLocationName: $location,
                                      repositoryName: "__repository__"}) {
    ... on Sensors { results { name sensorState { ticks(limit: 1) { status } } } }
  }
}
"""


class GraphQLError(AssertionError):
    """The webserver answered with errors (an AssertionError: the test's expectation failed)."""


class DagsterUi:
    """A client of one webserver's GraphQL endpoint, for the code location `location`."""

    def __init__(self, url: str, location: str = "dbt_project", timeout: float = 60) -> None:
        self.url = url.rstrip("/")
        self.location = location
        self.timeout = timeout

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict:
        """The `data` of the answer; GraphQLError if the webserver reports errors."""
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": dict(variables or {})}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            body = json.loads(response.read())
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        return body["data"]

    def asset_nodes(self) -> list[dict] | None:
        """The assets the webserver serves; None while it, or its code location, is loading."""
        try:
            nodes = self.graphql(ASSET_NODES)["assetNodes"]
        except (OSError, GraphQLError, KeyError, TypeError):
            return None
        return nodes or None

    def sensors_ticked(self) -> set[str]:
        """Names of the sensors that have at least one tick (empty while loading)."""
        try:
            data = self.graphql(SENSOR_TICKS, {"location": self.location})
            results = data["sensorsOrError"]["results"]
        except (OSError, GraphQLError, KeyError, TypeError):
            return set()
        return {s["name"] for s in results if s["sensorState"]["ticks"]}

    def launch_assets(
        self,
        asset_keys: Sequence[Sequence[str]],
        tags: Mapping[str, str] | None = None,
        *,
        job_name: str = "__ASSET_JOB",
        run_config: Mapping | None = None,
    ) -> str:
        """Launch a run of these assets as the UI's Materialize button does; its run id."""
        params = {
            "selector": {
                "repositoryLocationName": self.location,
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
        result = self.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def launch_schedule_tick(
        self, schedule_name: str, job_name: str, run_config: Mapping | None = None
    ) -> str:
        """Evaluate the schedule now and launch its run request, as the UI's "Test schedule"
        then "Launch run" do (the schedule's code, its tags and selection, the job's tags);
        its run id. The cron is not waited for."""
        selector = {
            "repositoryLocationName": self.location,
            "repositoryName": "__repository__",
            "scheduleName": schedule_name,
        }
        tick = self.graphql(SCHEDULE_DRY_RUN, {"selector": selector, "timestamp": time.time()})
        (request,) = tick["scheduleDryRun"]["evaluationResult"]["runRequests"]
        tags = {tag["key"]: tag["value"] for tag in request["tags"]}
        keys = [key["path"] for key in request["assetSelection"] or []]
        tags["dagster/schedule_name"] = schedule_name
        return self.launch_assets(keys, tags, job_name=job_name, run_config=run_config)

    def terminate(self, run_id: str) -> None:
        """The UI's Terminate button: the webserver asks its run coordinator to cancel."""
        result = self.graphql(TERMINATE_RUN, {"runId": run_id})["terminateRun"]
        assert result["__typename"] == "TerminateRunSuccess", result

    def reexecute_from_failure(self, run_id: str) -> str:
        """The UI's "Re-execute from failure"; the new run's id."""
        result = self.graphql(REEXECUTE_FROM_FAILURE, {"parentRunId": run_id})
        launched = result["launchRunReexecution"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]
