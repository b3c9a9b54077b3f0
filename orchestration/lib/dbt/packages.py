"""dbt packages: when `dbt deps` must run, and what to say when it cannot.

`dbt deps` downloads hub, git and tarball packages; only `local:` ones need no network. It runs
at build/prepare time, and only when the package files changed since it last ran or the
packages folder is missing: a pre-installed folder (an image built where the hub is reachable)
is used as it is, offline, and no run ever calls it.
"""

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from orchestration.lib.errors import ConfigError

PACKAGE_FILES = ("packages.yml", "dependencies.yml", "package-lock.yml")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What dbt (requests, urllib3) prints when it cannot reach a package source.
_UNREACHABLE = (
    "External connection exception",
    "NameResolutionError",
    "Failed to resolve",
    "Max retries exceeded",
    "Connection refused",
    "Could not resolve host",
    "Network is unreachable",
    "timed out",
)


class PackagesError(ConfigError):
    """dbt deps failed; the message is one paragraph: which package, why, how to fix it."""


def declared_packages(project_dir: Path) -> list[dict[str, Any]]:
    """The `packages:` entries of packages.yml and dependencies.yml (dbt reads either)."""
    entries: list[dict[str, Any]] = []
    for name in ("packages.yml", "dependencies.yml"):
        path = project_dir / name
        if not path.is_file():
            continue
        try:
            content = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise ConfigError(f"{path} is not valid YAML: {error}") from None
        packages = content.get("packages") if isinstance(content, dict) else None
        entries += [p for p in packages or [] if isinstance(p, dict)]
    return entries


def package_label(entry: dict[str, Any]) -> str:
    for key in ("package", "git", "tarball", "private", "local"):
        if key in entry:
            return f"{entry[key]}" if key == "package" else f"{key}: {entry[key]}"
    return str(entry)


def remote_packages(entries: list[dict[str, Any]]) -> list[str]:
    """The entries dbt deps must download (everything but `local:`)."""
    return [package_label(e) for e in entries if "local" not in e]


def package_files_digest(project_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in PACKAGE_FILES:
        path = project_dir / name
        digest.update(name.encode() + b"\0")
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def deps_needed(project_dir: Path, packages_dir: Path, recorded_digest: str | None) -> bool:
    """Whether `dbt deps` must run before a parse.

    Only if the project declares packages and either its packages folder is missing (or empty),
    or the package files changed since the recorded `dbt deps`. A folder installed by someone
    else (no record) is trusted as it is: that is how an offline image ships its packages.
    """
    if not declared_packages(project_dir):
        return False
    if not packages_dir.is_dir() or not any(packages_dir.iterdir()):
        return True
    return recorded_digest is not None and recorded_digest != package_files_digest(project_dir)


def run_deps(command: list[str], project_dir: Path, env: dict[str, str]) -> None:
    """Run `dbt deps` (`command`), or raise PackagesError with one paragraph and no traceback."""
    done = subprocess.run(
        command, cwd=project_dir, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return
    output = _ANSI.sub("", done.stdout + "\n" + done.stderr)
    raise PackagesError(deps_failure_message(project_dir, output))


def deps_failure_message(project_dir: Path, output: str) -> str:
    """One paragraph from dbt deps' failed output: the packages, the cause, the two fixes."""
    remote = remote_packages(declared_packages(project_dir))
    which = ", ".join(remote) if remote else "the declared packages"
    cause = _last_error_line(output)
    fixes = (
        "Fix it either way: vendor the package into the project (copy it, e.g. to "
        "vendor/<name>/, and declare it in packages.yml as `- local: vendor/<name>`), or "
        "install dbt_packages/ where the source is reachable, at image build (`dbt deps` in "
        "the Dockerfile) or by hand, and ship it with the project: an installed dbt_packages/ "
        "is used as it is, offline."
    )
    if any(marker in output for marker in _UNREACHABLE):
        return (
            f"dbt deps could not download {which} ({project_dir}/packages.yml): the package "
            f"source cannot be reached from this machine ({cause}). {fixes}"
        )
    return f"dbt deps failed for {which} ({project_dir}/packages.yml): {cause}. {fixes}"


def _last_error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            # A traceback's last line is `module.Class: message`: keep the message.
            message = (
                line.split(": ", 1)[1] if re.match(r"^[\w.]+(Error|Exception):", line) else line
            )
            return message[:400]
    return (lines[-1] if lines else "no output")[:400]
