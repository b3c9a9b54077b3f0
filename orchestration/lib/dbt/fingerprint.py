"""What a dbt manifest was parsed from, as digests: a parse is needed only when one changes.

Each part is a sha256 digest, so a fingerprint can be stored beside the manifest without
holding a secret (env values and profiles are hashed, never written out). The parts:

- `project`: every file dbt reads in the project (models, macros, seeds, YAML, docs), by path
  and content; dbt's outputs (target/, logs/, the packages folder) are not part of it;
- `packages`: the same over the installed packages (following the symlinks dbt deps makes for
  `local:` packages, so an edit in a vendored package counts);
- `profile`: profiles.yml and the target asked for;
- `env`: the values of every environment variable the project, its packages or the profile
  read with `env_var()`, which dbt renders while parsing;
- `dbt`: the versions of dbt-core and of every adapter and plugin installed (`dbt-*`).

Pure standard library plus PyYAML: computing it must stay far cheaper than starting dbt.
"""

import hashlib
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

# The files dbt reads; everything else in a project folder (notebooks, venvs, data) is not.
_SOURCE_SUFFIXES = (".sql", ".py", ".yml", ".yaml", ".csv", ".md")
_ENV_VAR_CALL = re.compile(r"""env_var\(\s*['"]([^'"]+)['"]""")


def output_dirs(project_dir: Path) -> dict[str, str]:
    """dbt's output folders of a project (relative names), from dbt_project.yml or defaults."""
    dirs = {"target-path": "target", "log-path": "logs", "packages-install-path": "dbt_packages"}
    try:
        config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        config = {}
    for key in dirs:
        value = config.get(key) if isinstance(config, dict) else None
        # A templated value ({{ env_var(...) }}) cannot be resolved here: keep the default.
        if isinstance(value, str) and "{" not in value:
            dirs[key] = value
    return dirs


def _source_files(root: Path, skip_top: set[str]) -> Iterable[Path]:
    for folder, subdirs, files in os.walk(root, followlinks=True):
        relative = Path(folder).relative_to(root)
        # Hidden folders (.git, .venv) and, at the top, dbt's own outputs.
        subdirs[:] = sorted(
            d
            for d in subdirs
            if not d.startswith(".")
            and d != "__pycache__"
            and not (relative == Path() and d in skip_top)
        )
        for name in sorted(files):
            # Hidden files are not dbt's sources (dbt itself writes .user.yml there).
            if name.endswith(_SOURCE_SUFFIXES) and not name.startswith("."):
                yield Path(folder) / name


def _digest_tree(root: Path, skip_top: set[str], env_names: set[str]) -> str:
    """Digest of every source file under `root` (paths and contents); collects env_var names."""
    digest = hashlib.sha256()
    if not root.is_dir():
        return digest.hexdigest()
    for path in _source_files(root, skip_top):
        try:
            content = path.read_bytes()
        except OSError:  # a dangling symlink: dbt cannot read it either
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(content).digest())
        env_names.update(_ENV_VAR_CALL.findall(content.decode(errors="replace")))
    return digest.hexdigest()


def _dbt_versions() -> str:
    """dbt-core's and every adapter's `name-version`, from the installed dist-info folders
    (their names hold both; reading every distribution's metadata costs more than the hash)."""
    found = set()
    for entry in sys.path:
        if os.path.isdir(entry):
            found.update(p.name for p in Path(entry).glob("dbt_*.dist-info"))
    return "\n".join(sorted(found))


def fingerprint(
    project_dir: Path,
    profiles_dir: Path,
    target: str | None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The digests of everything that decides what `dbt parse` writes, by part."""
    environ = os.environ if environ is None else environ
    dirs = output_dirs(project_dir)
    env_names: set[str] = set()
    parts = {
        "project": _digest_tree(project_dir, {"target", *dirs.values()}, env_names),
        "packages": _digest_tree(project_dir / dirs["packages-install-path"], set(), env_names),
    }
    profile = hashlib.sha256(f"target={target or ''}\0".encode())
    profiles_yml = profiles_dir / "profiles.yml"
    if profiles_yml.is_file():
        content = profiles_yml.read_bytes()
        profile.update(content)
        env_names.update(_ENV_VAR_CALL.findall(content.decode(errors="replace")))
    parts["profile"] = profile.hexdigest()
    env = hashlib.sha256()
    for name in sorted(env_names):
        value = environ.get(name)
        env.update(f"{name}={'<unset>' if value is None else value}\0".encode())
    parts["env"] = env.hexdigest()
    parts["dbt"] = hashlib.sha256(_dbt_versions().encode()).hexdigest()
    return parts


def changed_parts(recorded: Mapping[str, str] | None, current: Mapping[str, str]) -> list[str]:
    """The parts that differ (all of them when nothing was recorded)."""
    if not recorded:
        return sorted(current)
    return sorted(k for k in current.keys() | recorded.keys() if recorded.get(k) != current.get(k))
