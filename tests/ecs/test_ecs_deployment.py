"""Production on ECS, end to end on this machine: the deploy/ files, really run.

One deployment per module (tests/ecs/stack.py): embedded PostgreSQL as the instance storage;
the code-server, webserver and daemon *services* started from deploy/ecs/*.json task
definitions; runs launched through the UI's GraphQL API, queued, dequeued by the daemon and
launched by dagster-aws's EcsRunLauncher as ECS tasks that really run dbt against DuckDB.

Stand-ins (no AWS account, no container engine here): moto serves the AWS APIs (ECS, EC2, IAM,
Secrets Manager, CloudWatch Logs, S3) on 127.0.0.1; ``EcsAgent`` plays Fargate, running each
task's command as a local process, images being stood in for by ``ImageProfile``s (the env,
workdir and interpreter the Dockerfiles give). See tests/ecs/stack.py. What this cannot prove
(IAM enforcement, VPC networking, image contents, Fargate start times) is listed in the README,
"Deploying to ECS".

Tests are ordered: the last one rolls out a new code-server revision.
"""

from __future__ import annotations

import csv
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from orchestration.lib.dbt.cli_resource import ROW_COUNTING_DBT
from tests.ecs.stack import (
    CODE_IMAGE,
    COMPUTE_LOGS_BUCKET,
    DEPLOY,
    LOCATION,
    LONG_QUERY_MARK,
    SLICE_SIZES,
    SYSTEM_IMAGE,
    TAGGED_SECRET_NAME,
    Deployment,
    dbt_first_node_start,
    deployment,
)
from tests.harness.dagster_ui import RELOAD_LOCATION
from tests.harness.ecs_agent import AgentTask
from tests.harness.waiting import HANG_TIMEOUT, wait_until

# One deployment per module: under xdist (--dist loadgroup) all these tests share one worker,
# so it starts once and the tests run in this order (the last one rolls out a new revision).
pytestmark = pytest.mark.xdist_group("ecs_deployment")

DEPLOY_DAGSTER_YAML = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
RUN_RESOURCES = DEPLOY_DAGSTER_YAML["run_launcher"]["config"]["run_resources"]


@pytest.fixture(scope="module")
def deploy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(tmp_path_factory.mktemp("ecs")) as d:
        yield d


@pytest.fixture(scope="module")
def first_runs(deploy: Deployment) -> tuple[str, str]:
    """Two runs submitted at once through the UI's API: seeds + models, and seeds alone.

    The second carries a ``team`` tag, which deploy/dagster.yaml propagates to its ECS task.
    """
    both = deploy.launch(["seeds", "models"])
    seeds_only = deploy.launch(["seeds"], tags={"team": "data-platform"})
    for run_id in (both, seeds_only):
        deploy.wait_for_run(run_id)
    return both, seeds_only


def _only_task(deploy: Deployment, run_id: str) -> AgentTask:
    (task,) = deploy.run_tasks(run_id)
    return deploy.agent.wait_stopped(task.task_arn)


def _describe(deploy: Deployment, task: AgentTask) -> dict[str, Any]:
    ecs = deploy.moto.client("ecs")
    return ecs.describe_tasks(cluster=deploy.aws.cluster_name, tasks=[task.task_arn])["tasks"][0]


DBT_CLI_NAMES = ("dbt", ROW_COUNTING_DBT.name)


def _dbt_processes(task: AgentTask) -> list[psutil.Process]:
    """The dbt CLI processes running under a task's main process."""
    try:
        children = psutil.Process(task.pid).children(recursive=True)  # type: ignore[arg-type]
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            cmdline = child.cmdline()
        except psutil.Error:
            continue
        # dbt's own script, or dbt run as row_counting_dbt.py on a single-writer warehouse.
        if any(Path(arg).name in DBT_CLI_NAMES for arg in cmdline[:2]) and "build" in cmdline:
            found.append(child)
    return found


def test_deploy_files_are_the_ones_the_services_load(deploy: Deployment) -> None:
    """deploy/dagster.yaml and deploy/workspace.yaml are what the running services use.

    They are symlinked (not copied) to where the system image puts them; the webserver and
    daemon processes run with that DAGSTER_HOME and working directory, and what they report
    (run launcher, queue, storage, code location) is what those files say.
    """
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_postgres import PostgresRunStorage

    home_yaml = deploy.dagster_home / "dagster.yaml"
    workspace_yaml = deploy.system_app / "workspace.yaml"
    assert home_yaml.is_symlink() and home_yaml.resolve() == DEPLOY / "dagster.yaml"
    assert workspace_yaml.is_symlink() and workspace_yaml.resolve() == DEPLOY / "workspace.yaml"

    for service in ("webserver", "daemon"):
        task = deploy.services[service]
        assert task.image == SYSTEM_IMAGE
        process = psutil.Process(task.pid)  # type: ignore[arg-type]
        assert Path(process.cwd()) == deploy.system_app
        assert process.environ()["DAGSTER_HOME"] == str(deploy.dagster_home)
        assert task.command[-2:] == ["-w", "workspace.yaml"]
        assert "dbt" not in " ".join(task.argv)  # the system env holds no dbt
        assert task.argv[0].startswith(str(DEPLOY.parent / ".venv-system"))

    # The daemon's instance is the Postgres one of deploy/dagster.yaml: its heartbeats are there.
    assert {"QUEUED_RUN_COORDINATOR", "MONITORING", "EVENT_LOG_CONSUMER"} <= set(
        deploy.instance.get_daemon_heartbeats()
    )
    instance = deploy.instance
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    assert isinstance(instance.run_launcher, EcsRunLauncher)
    assert instance.run_monitoring_settings == DEPLOY_DAGSTER_YAML["run_monitoring"]
    assert instance.run_retries_max_retries == DEPLOY_DAGSTER_YAML["run_retries"]["max_retries"]

    # The webserver says the same, and loads the code location from the gRPC server.
    data = deploy.graphql(
        """{
          instance { runLauncher { name } runQueuingSupported }
          workspaceOrError { ... on Workspace { locationEntries {
            name displayMetadata { key value }
            locationOrLoadError { __typename }
          } } }
        }"""
    )
    assert data["instance"]["runLauncher"]["name"] == "EcsRunLauncher"
    assert data["instance"]["runQueuingSupported"] is True
    (entry,) = data["workspaceOrError"]["locationEntries"]
    assert entry["name"] == LOCATION
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"
    metadata = {m["key"]: m["value"] for m in entry["displayMetadata"]}
    assert metadata["port"] == str(deploy.code_server_port), metadata
    assert deploy.services["code-server"].image == CODE_IMAGE


def test_runs_launched_by_the_ecs_run_launcher_materialize_dbt_assets(
    deploy: Deployment, first_runs: tuple[str, str]
) -> None:
    """Runs go queue -> daemon -> EcsRunLauncher -> ECS task -> dbt -> rows in the warehouse.

    The run task definition is registered once, by the first launch, and reused by the second.
    """
    from dagster import AssetKey, DagsterEventType, DagsterRunStatus

    both, seeds_only = first_runs
    instance = deploy.instance
    for run_id in first_runs:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == DagsterRunStatus.SUCCESS, deploy.debug_output(
            run_id
        )
    task, seeds_task = _only_task(deploy, both), _only_task(deploy, seeds_only)

    # What ECS was asked to run: the code-location image's run worker, sized by run_resources,
    # in the daemon's own subnets (use_current_ecs_task_config), with the code location's
    # settings from the code server's container context.
    assert task.command[:3] == ["dagster", "api", "execute_run"]
    assert task.image == CODE_IMAGE and task.container_name == "run"
    assert (task.cpu, task.memory) == (RUN_RESOURCES["cpu"], RUN_RESOURCES["memory"])
    assert (task.exit_code, task.stop_code) == (0, "EssentialContainerExited")
    assert task.env["STEP_EXECUTOR"] == "multiprocess"
    assert task.env["DBT_TARGET"] == "postgres" and task.env["DBT_POSTGRES_DB"] == "warehouse"
    assert "DBT_POSTGRES_PASSWORD" in task.secret_names  # a secret, never plain environment
    assert "DAGSTER_HOME" not in task.env  # the worker gets the instance from its command
    described = _describe(deploy, task)
    eni = {d["name"]: d["value"] for d in described["attachments"][0]["details"]}
    assert eni["subnetId"] in deploy.aws.subnet_ids
    assert instance.get_run_by_id(both).tags["ecs/task_arn"] == task.task_arn  # type: ignore[union-attr]
    assert task.tags["dagster/code_location"] == LOCATION  # run_ecs_tags of the container context
    assert seeds_task.tags["team"] == "data-platform"  # propagate_tags
    assert "team" not in task.tags

    # One task definition, registered once, used by both runs.
    assert seeds_task.task_definition_arn == task.task_definition_arn
    ecs = deploy.moto.client("ecs")
    assert ecs.list_task_definitions(familyPrefix=task.family)["taskDefinitionArns"] == [
        task.task_definition_arn
    ]

    # dbt materialized the assets, in that task's run, and the rows are in the Postgres warehouse.
    for key in (["orders"], ["customer_totals"]):
        event = instance.get_latest_materialization_event(AssetKey(key))
        assert event is not None and event.run_id in first_runs
    rows = list(csv.DictReader((deploy.project_dir / "seeds" / "orders.csv").open()))
    totals = dict(deploy.warehouse_rows("select customer, order_count from customer_totals"))
    assert deploy.warehouse_rows("select count(*) from orders") == [(len(rows),)]
    assert totals == {
        c: sum(r["customer"] == c for r in rows) for c in {r["customer"] for r in rows}
    }

    # Nothing parsed the dbt project at run time: the build-time manifest is untouched.
    assert (
        deploy.manifest_mtime == (deploy.project_dir / "target" / "manifest.json").stat().st_mtime
    )

    # Launch -> first dbt node, through the ECS path.
    created = instance.get_run_record_by_id(both).create_timestamp.timestamp()  # type: ignore[union-attr]
    first_node = dbt_first_node_start(deploy.dbt_runs_dir, both)
    materializations = instance.all_logs(both, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    assert first_node is not None and materializations
    deploy.timings["launch_to_task_process_s"] = task.started_at - created  # type: ignore[operator]
    deploy.timings["launch_to_first_dbt_node_start_s"] = first_node - created
    deploy.timings["launch_to_first_materialization_s"] = (
        min(r.timestamp for r in materializations) - created
    )
    assert not deploy.agent.errors

    # dbt's artifacts outlive the task: copied to S3 (DBT_ARTIFACTS_URL of code-server.json),
    # and each materialization links to them.
    s3 = deploy.moto.client("s3")
    listed = s3.list_objects_v2(Bucket=COMPUTE_LOGS_BUCKET, Prefix=f"dbt-runs/{both}/")
    copied = [entry["Key"] for entry in listed.get("Contents", [])]
    assert any(key.endswith("/run_results.json") for key in copied), copied
    event = materializations[0].dagster_event
    link = event.step_materialization_data.materialization.metadata["dbt/artifacts"]  # type: ignore[union-attr]
    assert f"/s3/buckets/{COMPUTE_LOGS_BUCKET}?prefix=dbt-runs/{both}/" in link.value  # type: ignore[operator]


def test_secrets_reach_the_task_and_nothing_else(
    deploy: Deployment, first_runs: tuple[str, str]
) -> None:
    """Both Secrets Manager secrets (by ARN, by tag) reach the run task's environment; their
    values appear in no task definition, no RunTask overrides, no event, no compute log, no
    CloudWatch log line and no dbt artifact."""
    run_id = first_runs[0]
    task = _only_task(deploy, run_id)
    for name, value in deploy.secrets.items():
        assert task.env[name] == value
    assert sorted(task.secret_names) == sorted(deploy.secrets)

    ecs = deploy.moto.client("ecs")
    td = ecs.describe_task_definition(taskDefinition=task.task_definition_arn)["taskDefinition"]
    (container,) = td["containerDefinitions"]
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == deploy.secret_arns
    assert not {e["name"] for e in container["environment"]} & set(deploy.secrets)
    places: dict[str, str] = {
        "run task definition": json.dumps(td),
        "RunTask overrides": json.dumps(_describe(deploy, task)["overrides"]),
    }
    for service in deploy.services.values():
        places[f"{service.family} task definition"] = json.dumps(
            ecs.describe_task_definition(taskDefinition=service.task_definition_arn)
        )

    records = deploy.instance.all_logs(run_id)
    assert records
    places["event log"] = "\n".join(repr(r) for r in records)

    s3 = deploy.moto.client("s3")
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=COMPUTE_LOGS_BUCKET).get("Contents", [])
        if run_id in o["Key"]
    ]
    assert keys, "expected the run's compute logs in S3"
    places["compute logs"] = "\n".join(
        s3.get_object(Bucket=COMPUTE_LOGS_BUCKET, Key=k)["Body"].read().decode() for k in keys
    )

    logs = deploy.moto.client("logs")
    streams = logs.describe_log_streams(logGroupName=deploy.aws.log_group)["logStreams"]
    lines = []
    for stream in streams:
        events = logs.get_log_events(
            logGroupName=deploy.aws.log_group,
            logStreamName=stream["logStreamName"],
            startFromHead=True,
        )["events"]
        lines += [e["message"] for e in events]
    assert any(run_id in line for line in lines)
    places["CloudWatch logs"] = "\n".join(lines)
    places["dbt artifacts"] = "\n".join(
        p.read_text(errors="replace")
        for p in (deploy.dbt_runs_dir / run_id).rglob("*")
        if p.is_file()
    )

    for place, text in places.items():
        for name, value in deploy.secrets.items():
            assert value not in text, f"{name} leaked into the {place}"
    assert TAGGED_SECRET_NAME in task.secret_names


def test_terminate_from_the_ui_stops_the_task_and_dbt_and_cancels_the_run(
    deploy: Deployment,
) -> None:
    """Terminate (GraphQL, as the UI's button) -> ECS StopTask -> SIGTERM to the run worker ->
    dagster-dbt forwards SIGINT to dbt -> dbt cancels Postgres's running query -> run CANCELED,
    no dbt process and no query left, no table created.

    The query is a cross join that would run for minutes. (A dbt *Python* model cannot be
    interrupted so: there dagster-dbt gives up after DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS,
    10 in deploy/ecs/code-server.json, and the worker exits before the grace ends, taking dbt
    with it; README, "Deploying to ECS".)
    """
    from dagster import DagsterRunStatus

    run_id = deploy.launch(["long_query"])
    task = deploy.run_task(run_id)
    wait_until(
        lambda: deploy.dbt_log_contains(run_id, LONG_QUERY_MARK),
        90,
        "dbt to send the long query",
    )
    dbt = _dbt_processes(task)
    assert dbt, task.output_text()[-3000:]
    t_terminate = time.time()
    deploy.terminate(run_id)
    run = deploy.wait_for_run(run_id)
    task = deploy.agent.wait_stopped(task.task_arn)

    assert run.status == DagsterRunStatus.CANCELED, deploy.debug_output(run_id)
    assert task.stop_code == "UserInitiated"
    # SIGTERM first; whether the worker also exited within ECS's grace period (else SIGKILL
    # follows) is a matter of this machine's speed, recorded, not asserted. What must hold
    # either way is asserted below: dbt gone, its query cancelled, no table.
    signals = [s for _, s in task.signals_sent]
    assert signals[:1] == [signal.SIGTERM], signals
    deploy.timings["terminate_needed_sigkill"] = float(signal.SIGKILL in signals)
    described = _describe(deploy, task)
    assert (described["lastStatus"], described["stopCode"]) == ("STOPPED", "UserInitiated")
    _gone, alive = psutil.wait_procs(dbt, timeout=HANG_TIMEOUT)
    assert not alive, f"dbt still running: {alive}"
    output = task.output_text()
    assert "Forwarding interrupt signal to dbt command" in output  # dbt was told to stop
    # ... and stopped the query itself, which never created its table.
    cancelled = "Cancel query 'model.tiny_shop.long_query'"  # dbt-postgres terminates its backend
    assert deploy.dbt_log_contains(run_id, cancelled)
    tables = "select count(*) from information_schema.tables where table_name like 'long_query%'"
    assert deploy.warehouse_rows(tables) == [(0,)]
    running = (
        "select count(*) from pg_stat_activity where pid <> pg_backend_pid() "
        f"and query like '%{LONG_QUERY_MARK}%'"
    )
    wait_until(lambda: deploy.warehouse_rows(running) == [(0,)], 30, "no query of it left")
    deploy.timings["terminate_to_run_canceled_s"] = (
        deploy.instance.get_run_record_by_id(run_id).end_time - t_terminate  # type: ignore[union-attr]
    )
    deploy.timings["terminate_to_task_stopped_s"] = task.stopped_at - t_terminate  # type: ignore[operator]


def test_killed_task_fails_the_run_and_a_retry_succeeds_in_a_new_task(deploy: Deployment) -> None:
    """SIGKILL of a run task's process (as the OOM killer would): run monitoring marks the run
    FAILED, run retries launch a new run in a new ECS task, and it succeeds, even though the
    killed step still held the single-writer pool slot.

    The run carries the code location's retry tags, as its jobs, schedules and sensors' runs do.
    """
    from dagster import DagsterRunStatus, RunsFilter

    from orchestration.retries import run_retry_tags

    deploy.close_gate()
    try:
        run_id = deploy.launch(["slow"], tags=run_retry_tags())
        task = deploy.run_task(run_id)
        wait_until(lambda: deploy.dbt_node_started(run_id), HANG_TIMEOUT, "dbt to start its node")
        t_kill = time.time()
        deploy.agent.kill(task.task_arn, signal.SIGKILL)
    finally:
        deploy.open_gate()  # the retry's dbt finishes at once

    task = deploy.agent.wait_stopped(task.task_arn)
    assert task.exit_code == 128 + signal.SIGKILL
    run = deploy.wait_for_run(run_id)
    assert run.status == DagsterRunStatus.FAILURE
    deploy.timings["kill_to_run_failed_s"] = (
        deploy.instance.get_run_record_by_id(run_id).end_time - t_kill  # type: ignore[union-attr]
    )

    def retry() -> Any:
        runs = deploy.instance.get_runs(RunsFilter(tags={"dagster/parent_run_id": run_id}))
        return runs[0] if runs else None

    retried = wait_until(retry, 60, f"a retry of run {run_id}", poll=0.25)
    retried = deploy.wait_for_run(retried.run_id)
    assert retried.status == DagsterRunStatus.SUCCESS, deploy.debug_output(retried.run_id)
    retry_task = _only_task(deploy, retried.run_id)
    assert retry_task.task_arn != task.task_arn and retry_task.exit_code == 0
    assert retried.tags["dagster/retry_number"] == "1"
    deploy.timings["kill_to_retry_success_s"] = time.time() - t_kill


def test_rolling_out_step_executor_ecs_runs_each_dbt_slice_in_its_own_sized_task(
    deploy: Deployment,
) -> None:
    """A new code-server revision with STEP_EXECUTOR=ecs is rolled out, nothing else: the next
    run's dbt slices each run in their own ECS task, sized as the slice declares in dbt YAML.

    The webserver and daemon keep running untouched (same tasks, same processes).
    """
    from dagster import DagsterEventType, DagsterRunStatus
    from dagster_dbt.dbt_manifest import validate_manifest

    from orchestration.lib.dbt.slices import slice_manifest

    system_before = {s: deploy.services[s] for s in ("webserver", "daemon")}
    revision = deploy.register("code-server", STEP_EXECUTOR="ecs")
    assert revision.endswith(":2")
    t_rollout = time.monotonic()
    deploy.stop_service_task("code-server")
    deploy.start_service_task("code-server", revision)
    deploy.wait_code_server()
    deploy.timings["code_server_rollout_s"] = time.monotonic() - t_rollout
    reloaded = deploy.graphql(RELOAD_LOCATION, {"name": LOCATION})["reloadRepositoryLocation"]
    assert reloaded["locationOrLoadError"]["__typename"] == "RepositoryLocation", reloaded

    run_id = deploy.launch(["seeds", "models"])
    t_run = time.monotonic()
    run = deploy.wait_for_run(run_id)
    deploy.timings["step_per_task_run_s"] = time.monotonic() - t_run
    assert run.status == DagsterRunStatus.SUCCESS, deploy.debug_output(run_id)

    tasks = deploy.run_tasks(run_id)
    (run_task,) = [t for t in tasks if "dagster/step-key" not in t.tags]
    step_tasks = {t.tags["dagster/step-key"]: t for t in tasks if "dagster/step-key" in t.tags}
    assert sorted(step_tasks) == ["dbt_models", "dbt_seeds"]
    assert run_task.env["STEP_EXECUTOR"] == "ecs"
    assert len({t.task_arn for t in tasks}) == len({t.pid for t in tasks}) == 3

    manifest = validate_manifest(deploy.project_dir / "target" / "manifest.json")
    declared = {f"dbt_{s.op_name}": s.op_tags for s in slice_manifest(manifest)}
    launched = {
        r.step_key: r.dagster_event.event_specific_data.metadata["Task ARN"].value  # type: ignore[union-attr]
        for r in deploy.instance.all_logs(run_id, of_type=DagsterEventType.STEP_WORKER_STARTING)
    }
    for step_key, task in step_tasks.items():
        task = deploy.agent.wait_stopped(task.task_arn)
        assert task.command[:3] == ["dagster", "api", "execute_step"]
        assert (task.exit_code, task.image) == (0, CODE_IMAGE)
        assert task.task_definition_arn == run_task.task_definition_arn
        slice_name = step_key.removeprefix("dbt_")
        assert (task.cpu, task.memory) == SLICE_SIZES[slice_name]
        assert (task.cpu, task.memory) == (
            declared[step_key]["ecs/cpu"],
            declared[step_key]["ecs/memory"],
        )
        assert launched[step_key] == task.task_arn

    for service, task in system_before.items():
        assert deploy.services[service] is task and not task.stopped
        assert psutil.Process(task.pid).is_running()  # type: ignore[arg-type]
    assert not deploy.agent.errors
