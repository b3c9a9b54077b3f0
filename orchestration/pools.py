"""The concurrency pools that steps hold while they write the warehouse.

Pools are instance-wide, across runs, with one slot each (`concurrency.pools.default_limit: 1`
in dagster.yaml). Every concern that writes the warehouse names its pool here, so the dbt steps,
ingestion and source freshness can never drift apart.
"""

# The one pool of a single-writer warehouse (DuckDB): only one process may hold its write lock,
# so every writer queues for this slot instead of failing on the lock.
WAREHOUSE_WRITER_POOL = "dbt_warehouse_writer"


def dbt_slice_pool(slice_name: str, *, single_writer: bool) -> str:
    """The pool a dbt slice's step holds while dbt runs.

    One pool per slice means two runs never build the same slice, hence the same model, at once,
    while disjoint slices run side by side. A single-writer warehouse gets one pool for all.
    """
    return WAREHOUSE_WRITER_POOL if single_writer else f"dbt_slice_{slice_name}"


def warehouse_reader_pool(*, single_writer: bool) -> str | None:
    """The pool of a step that only reads the warehouse through dbt (source freshness): none,
    except on a single-writer warehouse, which dbt opens for writing even to read it."""
    return WAREHOUSE_WRITER_POOL if single_writer else None


def ingestion_pool(*, single_writer: bool) -> str:
    """The pool the landing ingestion step holds while it loads files.

    On a single-writer warehouse it is the dbt steps' writer pool: ingestion and dbt never wait
    on each other's write lock. On a multi-writer one ingestion has its own pool: ingestion runs
    take turns with each other, and dbt runs go on beside them.
    """
    return WAREHOUSE_WRITER_POOL if single_writer else "landing_ingestion"
