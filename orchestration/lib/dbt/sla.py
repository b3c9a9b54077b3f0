"""Freshness SLAs declared in dbt YAML, as Dagster freshness policies.

A model, seed or snapshot declares how stale it may get with `meta.freshness_sla`, on itself
or on a whole folder in `dbt_project.yml`:

    models:
      my_project:
        marts:
          finance:
            +meta:
              freshness_sla: {fail_after: 26h, warn_after: 25h}   # or just: freshness_sla: 26h

    # models/marts/finance/fct_invoices.yml: one model overrides its folder
    models:
      - name: fct_invoices
        config:
          meta:
            freshness_sla: 2h          # `none` (or null) removes the folder's SLA

Durations are whole numbers of days, hours and minutes: `90m`, `2h`, `1h30m`, `1d`, at least
one minute. The asset breaches its SLA (freshness FAIL) once its last materialization is older
than `fail_after`; between `warn_after` and `fail_after` it is WARN. The key sits at the top of
`meta`, not under `meta.dagster`, because dbt merges `meta` one level deep: a model's own
`meta.dagster` would replace its folder's (and lose the folder's slice), while a top-level
`freshness_sla` overrides only the SLA.
"""

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dagster import FreshnessPolicy

from orchestration.lib.errors import ConfigError

SLA_META_KEY = "freshness_sla"
_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")
_OFF = ("none", "off", "false")


def parse_duration(text: str, where: str) -> timedelta:
    """`1d`, `2h`, `90m`, `1h30m` -> timedelta; a ConfigError naming `where` otherwise."""
    raw = str(text).strip().lower().replace(" ", "")
    match = _DURATION.match(raw)
    if not raw or not match:
        raise ConfigError(
            f"{where}: {text!r} is not a duration. Use days, hours and minutes such as "
            "'2h', '90m', '1h30m' or '1d'."
        )
    duration = timedelta(
        days=int(match["d"] or 0), hours=int(match["h"] or 0), minutes=int(match["m"] or 0)
    )
    if duration < timedelta(minutes=1):
        raise ConfigError(f"{where}: {text!r} is shorter than Dagster's minimum of 1 minute.")
    return duration


def freshness_policy_from_meta(meta: Mapping[str, Any], where: str) -> FreshnessPolicy | None:
    """The freshness policy that `meta.freshness_sla` declares, or None if there is none.

    Args:
        meta: the node's merged dbt `meta` (folder `+meta` and its own).
        where: how to name the node in an error, e.g. its unique id and file.
    """
    _refuse_nested(meta, where)
    declared = meta.get(SLA_META_KEY)
    if declared is None or (isinstance(declared, str) and declared.strip().lower() in _OFF):
        return None
    where = f"{where} meta.{SLA_META_KEY}"
    if isinstance(declared, str | int):
        return FreshnessPolicy.time_window(fail_window=parse_duration(str(declared), where))
    if not isinstance(declared, Mapping):
        raise ConfigError(f"{where} must be a duration ('2h') or {{fail_after, warn_after}}.")
    unknown = set(declared) - {"fail_after", "warn_after"}
    if unknown or "fail_after" not in declared:
        raise ConfigError(
            f"{where} takes fail_after (required) and warn_after, e.g. "
            f"{{fail_after: 2h, warn_after: 90m}}; got {sorted(declared)}."
        )
    fail = parse_duration(declared["fail_after"], f"{where}.fail_after")
    warn = declared.get("warn_after")
    warn_window = parse_duration(warn, f"{where}.warn_after") if warn else None
    if warn_window is not None and warn_window >= fail:
        raise ConfigError(f"{where}: warn_after ({warn}) must be shorter than fail_after.")
    return FreshnessPolicy.time_window(fail_window=fail, warn_window=warn_window)


def _refuse_nested(meta: Mapping[str, Any], where: str) -> None:
    nested = meta.get("dagster")
    if isinstance(nested, Mapping) and SLA_META_KEY in nested:
        raise ConfigError(
            f"{where}: meta.dagster.{SLA_META_KEY} is not read. Move it to meta.{SLA_META_KEY}: "
            "dbt merges meta one level deep, so under meta.dagster it would replace, or be "
            "replaced by, the folder's meta.dagster."
        )
