"""Which dbt sources are loaded from the landing zone, read from the dbt YAML that declares them.

A source table opts in with `meta.dagster.landing`, on the source (all its tables) or on one
table (which wins):

    sources:
      - name: saas
        config:
          meta: {dagster: {landing: true}}
        tables:
          - name: accounts
            config:
              meta: {dagster: {landing: {primary_key: account_id}}}
            columns:
              - {name: account_id, data_type: varchar}

`landing: true` appends every file (reloading a file replaces its own rows); a `primary_key`
makes a file's rows replace the earlier rows with the same key (full snapshots, updated rows);
`folder` names the landing folder when two sources share a table name. The declared columns
and their `data_type` (DuckDB types; VARCHAR if left out) are the contract every file must meet.
Sources without the flag are left alone: something else loads them.
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
from dagster import AssetKey

from orchestration.lib.dbt.translator import ProjectTranslator
from orchestration.settings import ConfigError


@dataclass(frozen=True)
class LandingTable:
    """A dbt source table that ingestion loads from `<landing>/<folder>/`."""

    unique_id: str
    folder: str
    schema: str
    identifier: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type), as declared in dbt YAML
    primary_key: tuple[str, ...]
    asset_key: AssetKey
    description: str

    @property
    def source_name(self) -> str:
        """How dbt names it: `source('saas', 'accounts')` -> saas.accounts."""
        return ".".join(self.unique_id.split(".")[2:])


def _landing_meta(source: Mapping[str, Any]) -> Any:
    meta = source.get("config", {}).get("meta") or source.get("meta") or {}
    return (meta.get("dagster") or {}).get("landing")


def landing_tables(manifest: Mapping[str, Any]) -> list[LandingTable]:
    """Every opted-in source table, with its dbt source asset key, sorted by folder."""
    translator = ProjectTranslator()
    tables = []
    for unique_id, source in sorted(manifest.get("sources", {}).items()):
        flag = _landing_meta(source)
        if not flag:
            continue
        options = flag if isinstance(flag, Mapping) else {}
        tables.append(
            LandingTable(
                unique_id=unique_id,
                folder=str(options.get("folder") or source["name"]),
                schema=source["schema"],
                identifier=source.get("identifier") or source["name"],
                columns=_declared_columns(unique_id, source),
                primary_key=_primary_key(unique_id, source, options.get("primary_key")),
                asset_key=translator.get_asset_spec(manifest, unique_id, None).key,
                description=source.get("description") or source.get("source_description") or "",
            )
        )
    _raise_on_shared_folders(tables)
    return tables


def _declared_columns(unique_id: str, source: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    columns = tuple(
        (name, (column.get("data_type") or "varchar").strip())
        for name, column in source.get("columns", {}).items()
    )
    if not columns:
        raise ConfigError(
            f"{unique_id} opts into landing ingestion but declares no columns. List its columns "
            "(with data_type) in the source YAML: they are the contract files are checked against."
        )
    for name, data_type in columns:
        if not _is_duckdb_type(data_type):
            raise ConfigError(
                f"{unique_id} column {name}: data_type {data_type!r} is not a DuckDB type "
                "(e.g. varchar, integer, bigint, double, boolean, date, timestamp, decimal(12,2))."
            )
    return columns


@functools.cache
def _is_duckdb_type(data_type: str) -> bool:
    if ";" in data_type or "--" in data_type:
        return False
    with duckdb.connect() as con:
        try:
            con.execute(f"select cast(null as {data_type})")
        except duckdb.Error:
            return False
    return True


def _primary_key(unique_id: str, source: Mapping[str, Any], declared: Any) -> tuple[str, ...]:
    if not declared:
        return ()
    key = (declared,) if isinstance(declared, str) else tuple(declared)
    missing = [name for name in key if name not in source.get("columns", {})]
    if missing:
        raise ConfigError(
            f"{unique_id}: primary_key column(s) {', '.join(missing)} are not declared columns. "
            "Declare them under `columns:` or fix meta.dagster.landing.primary_key."
        )
    return key


def _raise_on_shared_folders(tables: list[LandingTable]) -> None:
    by_folder: dict[str, list[str]] = {}
    for table in tables:
        by_folder.setdefault(table.folder, []).append(table.source_name)
    for folder, names in by_folder.items():
        if len(names) > 1:
            raise ConfigError(
                f"Landing folder {folder!r} would feed {' and '.join(names)}. Give one of them "
                "its own folder: meta: {dagster: {landing: {folder: <name>}}}."
            )
