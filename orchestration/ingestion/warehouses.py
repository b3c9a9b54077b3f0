"""Which writer loads landing files: the one for the selected dbt target's adapter type."""

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from orchestration.ingestion import duckdb_writer, postgres_writer
from orchestration.ingestion.sources import LandingTable
from orchestration.ingestion.writer import WarehouseWriter
from orchestration.settings import ConfigError

WriterFactory = Callable[[], AbstractContextManager[WarehouseWriter]]
_WRITERS: dict[str, WriterFactory] = {
    "duckdb": duckdb_writer.connect,
    "postgres": postgres_writer.connect,
}


def writer_for(adapter_type: str, tables: Sequence[LandingTable]) -> WriterFactory:
    """The writer's factory (nothing connects yet); ConfigError if the adapter has none.

    Checked when the definitions load, so a project that cannot be loaded says so at start-up,
    not in its first ingestion run.
    """
    if adapter_type not in _WRITERS:
        raise ConfigError(
            f"{tables[0].source_name} opts into landing ingestion (meta.dagster.landing), which "
            f"loads into {' or '.join(_WRITERS)}; this dbt target's adapter is "
            f"{adapter_type!r}. Remove the flag and load it with a loader for that warehouse."
        )
    if adapter_type == "postgres":
        postgres_writer.check_types(tables)
    return _WRITERS[adapter_type]
