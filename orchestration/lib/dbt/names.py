"""Dagster names (ops, jobs, pools, groups, checks) for dbt names, valid and unique.

dbt accepts names Dagster does not: folders with hyphens, dots or spaces (`seeds/raw-data/`),
unicode, Python keywords (`class`), and generic tests that share one name (dbt truncates long
test names and appends a hash of the arguments, and two tests that differ only in their
config, such as `where:`, get the same name). Dagster names are `[A-Za-z0-9_]+` and must be
unique where they meet (one op, one check per asset). Every place that derives a Dagster name
from dbt goes through `dagster_names`, so the rule lives in one function:

- a valid name is kept as it is, so existing names never change;
- anything else is transliterated to ASCII (é -> e) and every other character becomes `_`;
- when several dbt names end as the same Dagster name, or one is too long, the ones that had
  to change get `_` plus a short hash of what tells them apart (their key), so the result does
  not depend on the order names are listed in.
"""

import hashlib
import keyword
import re
import unicodedata
from collections.abc import Hashable, Mapping
from typing import TypeVar

# Dagster's own rule (dagster._core.definitions.utils): names are these characters, and not a
# Python keyword or one of a few reserved words.
_INVALID = re.compile(r"[^A-Za-z0-9_]+")
_RESERVED = {
    *keyword.kwlist,
    *("context", "conf", "config", "meta", "arg_dict", "dict", "input_arg_dict"),
    *("output_arg_dict", "int", "str", "float", "bool", "input", "output", "type"),
}
# Long enough for any readable name; keeps step keys and artifact folder names reasonable.
MAX_LENGTH = 120
_HASH_LENGTH = 8
K = TypeVar("K", bound=Hashable)


def is_valid_dagster_name(name: str) -> bool:
    return bool(name) and not _INVALID.search(name) and name not in _RESERVED


def sanitize(name: str) -> str:
    """The readable part of a Dagster name for `name` (not yet unique, see `dagster_names`)."""
    if is_valid_dagster_name(name) and len(name) <= MAX_LENGTH:
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = _INVALID.sub("_", ascii_name).strip("_") or "dbt"
    if cleaned in _RESERVED:
        cleaned += "_"
    return cleaned[:MAX_LENGTH]


def _short_hash(key: Hashable) -> str:
    return hashlib.sha1(repr(key).encode()).hexdigest()[:_HASH_LENGTH]


def dagster_names(names: Mapping[K, str], prefix: str = "") -> dict[K, str]:
    """A valid Dagster name for each key's dbt name, unique among these keys.

    `prefix` is put in front of every name (e.g. `dbt_` for ops). Where several keys end with
    one name, the key whose dbt name was exactly that name keeps it (if only one did); every
    other one is told apart by a hash of its key.
    """
    readable = {key: prefix + sanitize(name) for key, name in names.items()}
    holders: dict[str, list[K]] = {}
    for key, name in readable.items():
        holders.setdefault(name, []).append(key)
    result: dict[K, str] = {}
    for name, keys in holders.items():
        keepers = [key for key in keys if prefix + names[key] == name]
        keeper = keys[0] if len(keys) == 1 else (keepers[0] if len(keepers) == 1 else None)
        for key in keys:
            if key == keeper:
                result[key] = name
            else:
                result[key] = f"{name[: MAX_LENGTH - _HASH_LENGTH - 1]}_{_short_hash(key)}"
    return result


def dagster_name(name: str, prefix: str = "") -> str:
    """The Dagster name of one dbt name that meets no other (a group, a single pool)."""
    return dagster_names({name: name}, prefix)[name]
