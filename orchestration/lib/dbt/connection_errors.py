"""A dbt that cannot reach its warehouse, told in terms of the settings that fix it.

dbt reports the driver's words ("password authentication failed for user ...", "connection
refused"), which name neither the profile target in use nor the environment variables its
fields come from. When a dbt invocation fails that way, the step fails with a message naming the
target and the variables of the fields at fault, read from the target's own templates. Values
are never rendered into it, and the password's value, if dbt's text held it, is masked.
"""

import re
from collections.abc import Sequence

from orchestration.lib.dbt.profiles import ProfileError, ProfileTarget

# Driver messages (psycopg2, Snowflake, Redshift, BigQuery, ...) -> what went wrong, which fields.
_CAUSES: Sequence[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (
        re.compile(
            r"password authentication failed|incorrect username or password|"
            r"authentication failed|invalid password|access denied",
            re.I,
        ),
        "the warehouse refused the credentials",
        ("password", "user"),
    ),
    (
        re.compile(r'database "[^"]+" does not exist', re.I),
        "the database does not exist",
        ("dbname", "database"),
    ),
    (
        re.compile(
            r"could not translate host name|name or service not known|connection refused|"
            r"could not connect to server|timeout expired|no route to host|"
            r"connection to server at .* failed|network is unreachable",
            re.I,
        ),
        "the warehouse is unreachable",
        ("host", "port"),
    ),
]
_ENV_VAR = re.compile(r"""env_var\(\s*['"]([^'"]+)['"]""")


def unreachable_warehouse_message(dbt_error: str, target: ProfileTarget) -> str | None:
    """The message for a dbt failure that is a failed connection, else None."""
    for pattern, cause, fields in _CAUSES:
        if pattern.search(dbt_error):
            return _message(cause, fields, dbt_error, target)
    return None


def _message(cause: str, fields: tuple[str, ...], dbt_error: str, target: ProfileTarget) -> str:
    settings = []
    for field in fields:
        if field in target.fields:
            names = _variables(target.fields[field]) or [f"`{field}` in {target.profiles_path}"]
            settings.append(f"{', '.join(names)} (its `{field}`)")
    return (
        f"dbt could not connect to the warehouse of dbt target {target.target!r} "
        f"({target.adapter_type}, profile {target.profile!r} in {target.profiles_path}): {cause}. "
        f"Check {' and '.join(settings)}.\n\ndbt said:\n{_mask_password(dbt_error, target)}"
    )


def _variables(template: object) -> list[str]:
    return _ENV_VAR.findall(template) if isinstance(template, str) else []


def _mask_password(text: str, target: ProfileTarget) -> str:
    try:
        password = target.field("password", default="")
    except ProfileError:
        return text
    return text.replace(str(password), "***") if password else text
