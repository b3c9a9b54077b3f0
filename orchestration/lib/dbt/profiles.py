"""The warehouse a dbt project writes to: the selected target of its profile, read as dbt reads it.

dbt picks the profile named by DBT_PROFILE or the project's `profile:`, from `profiles.yml` in
the profiles folder, and the target named by DBT_TARGET or the profile's own `target:` (else
`default`). Each value is a Jinja template with dbt's `env_var()`. Only the fields asked for are
rendered: learning the adapter `type` must not need the password variable, which may be set only
where dbt runs.

dbt's own renderer is not used: importing dbt's config package costs seconds in every process
that loads definitions, for the few template features profiles use (env_var and the as_*
filters), which are reproduced here with dbt's semantics.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nativetypes
import yaml

PROFILES_FILE = "profiles.yml"


class ProfileError(ValueError):
    """The profile cannot be read; the message names the file, profile or target, and the fix."""


@dataclass(frozen=True)
class ProfileTarget:
    """One output of a profile, with its fields rendered on demand."""

    profiles_path: Path
    profile: str
    target: str
    fields: Mapping[str, Any]
    env: Mapping[str, str]

    @property
    def adapter_type(self) -> str:
        """The dbt adapter (`duckdb`, `postgres`, `snowflake`, ...), lower case."""
        return str(self.field("type")).strip().lower()

    def field(self, name: str, default: Any = None) -> Any:
        """A field of the target, rendered: env_var() resolved, numbers and booleans typed."""
        if name not in self.fields:
            if default is not None:
                return default
            raise ProfileError(
                f"{self.profiles_path}: target {self.target!r} of profile {self.profile!r} has no "
                f"`{name}`. Add it to the target."
            )
        where = f"{self.profiles_path}: `{name}` of target {self.target!r}"
        return render(self.fields[name], self.env, where=where)


def selected_target(
    project_dir: Path,
    profiles_dir: Path,
    env: Mapping[str, str],
    *,
    target: str | None = None,
    profile: str | None = None,
) -> ProfileTarget:
    """The target dbt would use for `project_dir` with these profiles and this environment."""
    profiles_path = profiles_dir / PROFILES_FILE
    profile_name = profile or _project_profile(project_dir, env)
    profiles = _load_yaml(
        profiles_path,
        missing=f"No {PROFILES_FILE} in {profiles_dir}. Create it, or point DBT_PROFILES_DIR at "
        "the folder holding yours.",
    )
    entry = profiles.get(profile_name)
    if not isinstance(entry, dict):
        raise ProfileError(
            f"{profiles_path} has no profile {profile_name!r} (the `profile:` of "
            f"{project_dir / 'dbt_project.yml'}). Add it, or point DBT_PROFILES_DIR at the folder "
            "whose profiles.yml has it."
        )
    outputs = entry.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        raise ProfileError(f"{profiles_path}: profile {profile_name!r} has no `outputs`.")
    where = f"{profiles_path}: `target` of profile {profile_name!r}"
    target_name = target or str(render(entry.get("target", "default"), env, where=where))
    fields = outputs.get(target_name)
    if not isinstance(fields, dict):
        raise ProfileError(
            f"{profiles_path}: profile {profile_name!r} has no target {target_name!r} (it has "
            f"{', '.join(sorted(map(str, outputs)))}). Set DBT_TARGET to one of them."
        )
    return ProfileTarget(profiles_path, profile_name, target_name, fields, env)


def render(value: Any, env: Mapping[str, str], *, where: str) -> Any:
    """A profile value rendered as dbt does: a template yields a native value when it can."""
    if not isinstance(value, str) or "{" not in value:
        return value
    environment = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
    environment.globals["env_var"] = _env_var(env, where)
    environment.filters.update(
        as_text=str, as_native=lambda v: v, as_bool=_as_bool, as_number=_as_number
    )
    try:
        rendered = environment.from_string(value).render()
    except ProfileError:
        raise
    except jinja2.TemplateError as error:
        raise ProfileError(f"{where}: cannot render {value!r}: {error}") from None
    # dbt keeps a rendered value as text unless it is a number or boolean.
    return rendered if isinstance(rendered, int | float | bool) else str(rendered)


def _env_var(env: Mapping[str, str], where: str):
    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ProfileError(f"{where} needs the environment variable {name}, which is not set.")

    return env_var


def _as_bool(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _as_number(value: Any) -> int | float:
    text = str(value).strip()
    return float(text) if any(c in text for c in ".eE") else int(text)


def _project_profile(project_dir: Path, env: Mapping[str, str]) -> str:
    project_file = project_dir / "dbt_project.yml"
    name = _load_yaml(project_file, missing=f"No dbt project at {project_file}.").get("profile")
    if not name:
        raise ProfileError(f"{project_file} names no `profile:`. Add the profile's name.")
    return str(render(name, env, where=f"{project_file}: `profile`"))


def _load_yaml(path: Path, *, missing: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ProfileError(missing) from None
    except yaml.YAMLError as error:
        raise ProfileError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(loaded, dict):
        raise ProfileError(f"{path} is not a YAML mapping.")
    return loaded
