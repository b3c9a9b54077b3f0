"""AWS at the API level on 127.0.0.1: moto in server mode, and what Dagster on ECS needs there.

moto's ``ThreadedMotoServer`` serves every AWS API moto implements on one loopback port, in a
thread of the test process. Every boto3 client that sees ``AWS_ENDPOINT_URL`` in its environment
(botocore >= 1.31) talks to it, including the clients that dagster-aws creates inside the
subprocesses the ECS agent (``tests.harness.ecs_agent``) starts. Because the server shares the test
process's memory, the harness may also read/patch moto's backend models directly (the ECS agent
does, to set task status; see there).

moto keeps its state in process-global backends, not per server: ``start_moto_server`` therefore
resets all of it, and refuses to start while another harness server is live in this process.

ECS task lifecycle: ``describe_tasks`` "advances" a task's managed state on every call, and by
default (``progression: immediate``) a freshly run task jumps straight to ``STOPPED`` on its first
describe. ``start_moto_server`` sets the ``ecs::task`` model to *manual* progression with an
unreachable number of ticks, so moto never moves a task by itself; the ECS agent decides.
"""

from __future__ import annotations

import json
import logging
import types
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import boto3.session
import botocore.session
import moto
from moto.server import ThreadedMotoServer

from tests.harness.ports import LOOPBACK

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account for any access key it does not recognise
MANUAL_TICKS = 10**9  # "advance after a billion describe_tasks calls": i.e. never

# -- moto gap 1: Fargate run_task with task-level memory only ---------------------------------


def moto_has_task_memory_bug() -> bool:
    """Does moto's own (unpatched) resource calculation crash on a container without memory?"""
    from moto.ecs.models import EC2ContainerServiceBackend as Backend

    calculate = getattr(
        Backend, "_harness_original_calculate", Backend._calculate_task_resource_requirements
    )
    probe = types.SimpleNamespace(container_definitions=[{"name": "c", "image": "i"}], memory="512")
    try:
        calculate(probe)  # type: ignore[arg-type]  # duck-typed TaskDefinition
    except TypeError:
        return True
    return False


def patch_moto_fargate_task_memory() -> bool:
    """Work around moto issue 7272 in the in-process moto server. Returns True if patched.

    ECS lets a Fargate task definition set ``memory`` at *task* level only; that is exactly what
    dagster-aws's ``DagsterEcsTaskDefinitionConfig.task_definition_dict()`` registers (container
    definitions carry no ``memory``/``memoryReservation``). moto 5.2.5's ``run_task`` calls
    ``EC2ContainerServiceBackend._calculate_task_resource_requirements``, which does
    ``MEMORY += container.get("memory", container.get("memoryReservation"))`` -> ``0 + None`` ->
    ``TypeError`` -> HTTP 500 for every Dagster launch.

    The patch hands the original function a view of the task definition in which a container
    without memory gets the task-level memory, which is what ECS accounts for on Fargate. It is
    applied only if a probe shows the bug (so a fixed moto is left alone), and only on the moto
    version it was written against; idempotent.
    """
    from moto.ecs.models import EC2ContainerServiceBackend as Backend

    if getattr(Backend, "_harness_memory_patch", False):
        return True
    if not moto_has_task_memory_bug():
        return False
    if moto.__version__ != "5.2.5":
        raise RuntimeError(
            f"moto {moto.__version__} still has the task-level memory bug (issue 7272); "
            "re-check tests/harness/moto_server.py:patch_moto_fargate_task_memory before "
            "extending it to this version"
        )
    original = Backend._calculate_task_resource_requirements

    def _calculate(task_definition: Any) -> dict[str, Any]:
        task_memory = getattr(task_definition, "memory", None)
        memory_keys = ("memory", "Memory", "memoryReservation", "MemoryReservation")
        defs = task_definition.container_definitions
        if task_memory and any(not any(k in cd for k in memory_keys) for cd in defs):
            view = types.SimpleNamespace(
                container_definitions=[
                    cd if any(k in cd for k in memory_keys) else {**cd, "memory": int(task_memory)}
                    for cd in defs
                ]
            )
            return original(view)  # type: ignore[arg-type]  # duck-typed TaskDefinition
        return original(task_definition)

    Backend._harness_original_calculate = staticmethod(original)  # type: ignore[attr-defined]
    Backend._calculate_task_resource_requirements = staticmethod(_calculate)  # type: ignore[method-assign]
    Backend._harness_memory_patch = True  # type: ignore[attr-defined]
    return True


# -- the server ---------------------------------------------------------------------------------


# Variables that would make boto3 look elsewhere for credentials/config; unset them in any process
# that is given ``aws_env`` (the ECS agent's task processes never inherit them).
AWS_ENV_TO_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def aws_env(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """Environment variables that point every boto3 client at the moto server.

    Set these (and unset ``AWS_ENV_TO_UNSET``) in the test process before creating a Dagster
    instance with dagster-aws components: they build their boto3 clients from the environment.
    """
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        # Never read ~/.aws/{config,credentials} of whoever runs the tests.
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@dataclass
class MotoServer:
    """A running in-process moto server. ``endpoint_url`` is ``http://127.0.0.1:PORT``."""

    server: ThreadedMotoServer
    host: str
    port: int
    region: str = REGION
    memory_patch_applied: bool = False

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return aws_env(self.endpoint_url, self.region)

    def client(self, service: str) -> Any:
        """A boto3 client for this server that does not depend on os.environ or ~/.aws."""
        isolated = botocore.session.Session(
            session_vars={  # name: (config key, env var, default, converter)
                "profile": (None, None, None, None),
                "config_file": (None, None, "/dev/null", None),
                "credentials_file": (None, None, "/dev/null", None),
            }
        )
        return boto3.session.Session(botocore_session=isolated).client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
        )

    def moto_api(self, path: str, body: dict[str, Any] | None = None) -> bytes:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/{path}", data=data)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read()

    def set_task_progression_manual(self) -> None:
        self.moto_api(
            "state-manager/set-transition",
            {
                "model_name": "ecs::task",
                "transition": {"progression": "manual", "times": MANUAL_TICKS},
            },
        )

    def reset(self) -> None:
        """Forget every AWS resource (the state-manager setting survives)."""
        self.moto_api("reset", {})

    def stop(self) -> None:
        global _LIVE_SERVER
        try:
            self.server.stop()
        finally:
            if _LIVE_SERVER is self:
                _LIVE_SERVER = None


_LIVE_SERVER: MotoServer | None = None


def start_moto_server(region: str = REGION, *, quiet: bool = True) -> MotoServer:
    """Start moto on 127.0.0.1 (kernel-chosen port), ECS tasks on manual progression.

    ``quiet`` raises the ``werkzeug`` logger to WARNING (it logs every request at INFO).
    Unset ``AWS_ENV_TO_UNSET`` first: importing moto builds a boto3 Session, which fails if
    ``AWS_PROFILE`` names a profile that does not exist.
    """
    global _LIVE_SERVER
    if _LIVE_SERVER is not None:
        raise RuntimeError(
            f"a harness moto server is already live at {_LIVE_SERVER.endpoint_url}: moto's state "
            "is process-global, so share that one (or stop it first)"
        )
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    patched = patch_moto_fargate_task_memory()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    ms = MotoServer(
        server=server, host=host, port=port, region=region, memory_patch_applied=patched
    )
    _LIVE_SERVER = ms
    try:
        ms.reset()  # forget resources left by an earlier server in this process
        ms.set_task_progression_manual()
        transition = json.loads(ms.moto_api("state-manager/get-transition?model_name=ecs::task"))
        assert transition == {"progression": "manual", "times": MANUAL_TICKS}, transition
    except BaseException:
        ms.stop()
        raise
    return ms


@contextmanager
def moto_server(region: str = REGION, *, quiet: bool = True) -> Iterator[MotoServer]:
    ms = start_moto_server(region, quiet=quiet)
    try:
        yield ms
    finally:
        ms.stop()


# -- the AWS resources a Dagster ECS deployment expects --------------------------------------


@dataclass
class EcsEnvironment:
    """What ``create_ecs_environment`` made; feed it to EcsRunLauncher config and the agent."""

    endpoint_url: str
    region: str
    cluster_name: str
    cluster_arn: str
    vpc_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    execution_role_arn: str
    task_role_arn: str
    log_group: str
    env: dict[str, str] = field(default_factory=dict)

    def run_task_kwargs(self) -> dict[str, Any]:
        """``EcsRunLauncher`` ``run_task_kwargs`` config for this cluster (Fargate, awsvpc)."""
        return {
            "cluster": self.cluster_name,
            "launchType": "FARGATE",
            "networkConfiguration": self.network_configuration(),
        }

    def network_configuration(self) -> dict[str, Any]:
        """``run_task(networkConfiguration=...)`` for awsvpc tasks (securityGroups is required)."""
        return {
            "awsvpcConfiguration": {
                "subnets": list(self.subnet_ids),
                "securityGroups": list(self.security_group_ids),
                "assignPublicIp": "DISABLED",
            }
        }


_ECS_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def create_ecs_environment(
    server: MotoServer,
    *,
    cluster_name: str = "dagster-test",
    log_group: str = "/ecs/dagster-test",
    name_prefix: str = "dagster-test",
) -> EcsEnvironment:
    """Create cluster, VPC/subnet/SG (DNS hostnames on), IAM roles and a log group in moto.

    Two moto facts shape this: an awsvpc task's ENI gets ``private_dns_name`` only when the VPC
    has DNS hostnames enabled, and moto's ``Task`` reads it unconditionally (AttributeError ->
    HTTP 500 otherwise); and moto indexes ``awsvpcConfiguration["securityGroups"]`` without a
    default, so the network configuration must name at least one security group.
    """
    ecs = server.client("ecs")
    ec2 = server.client("ec2")
    iam = server.client("iam")
    logs = server.client("logs")

    cluster = ecs.create_cluster(
        clusterName=cluster_name, capacityProviders=["FARGATE", "FARGATE_SPOT"]
    )["cluster"]

    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet_id = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.42.1.0/24", AvailabilityZone=f"{server.region}a"
    )["Subnet"]["SubnetId"]
    sg_id = ec2.create_security_group(
        GroupName=f"{name_prefix}-tasks", Description="dagster ECS tasks", VpcId=vpc_id
    )["GroupId"]

    roles = {}
    for kind in ("execution", "task"):
        roles[kind] = iam.create_role(
            RoleName=f"{name_prefix}-{kind}",
            AssumeRolePolicyDocument=json.dumps(_ECS_TASKS_TRUST),
        )["Role"]["Arn"]
    # Inline equivalent of AmazonECSTaskExecutionRolePolicy + secret reads (moto does not load
    # AWS-managed policies unless MOTO_IAM_LOAD_MANAGED_POLICIES is set, and enforces none).
    iam.put_role_policy(
        RoleName=f"{name_prefix}-execution",
        PolicyName="ecs-task-execution",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "secretsmanager:GetSecretValue",
                            "ssm:GetParameters",
                        ],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )

    logs.create_log_group(logGroupName=log_group)

    return EcsEnvironment(
        endpoint_url=server.endpoint_url,
        region=server.region,
        cluster_name=cluster["clusterName"],
        cluster_arn=cluster["clusterArn"],
        vpc_id=vpc_id,
        subnet_ids=[subnet_id],
        security_group_ids=[sg_id],
        execution_role_arn=roles["execution"],
        task_role_arn=roles["task"],
        log_group=log_group,
        env=server.env,
    )
