"""Deterministic raw rows for the demo B2B SaaS warehouse.

The generator simulates a subscription business ("seat-based" pricing) over a
long account history that ends at ``start + days``.  Product events are only
produced inside the ``[start, start + days)`` window, while accounts,
subscriptions and invoices reach back further so that monthly revenue trends are
meaningful.

Everything is driven by a single ``random.Random(seed)`` instance, so the same
arguments always produce exactly the same rows.

Load metadata mimics a nightly ELT job that lands at 03:00 UTC: ``accounts``,
``users`` and ``subscriptions`` are small tables re-synced in full every night, so
all their rows carry the final load time; ``invoices``, ``payments``, ``events`` and
``support_tickets`` are extracted incrementally, so each row carries the load that
followed its last change.  The final load happens at ``start + days`` 03:00, which is
what ``dbt source freshness`` sees (24h/48h thresholds): the command line therefore
ends the window today unless told a ``--start``.

The rows feed the ``saas`` source of the ``saas_analytics`` dbt project
(``dbt_project/``); ``demo.catalogue`` reads its columns and plans from there.
"""

import datetime as dt

from demo.accounts import add_users, emit_account, new_account, simulate_subscriptions
from demo.activity import emit_events, emit_support_tickets
from demo.billing import bill
from demo.world import Row, World

DEFAULT_SEED = 42
DEFAULT_ACCOUNTS = 200
DEFAULT_START = dt.date(2026, 1, 1)
DEFAULT_DAYS = 120


def generate_demo_tables(
    seed: int = DEFAULT_SEED,
    accounts: int = DEFAULT_ACCOUNTS,
    start: dt.date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
) -> dict[str, list[Row]]:
    """Generate every raw table as lists of row dicts, keyed by table name (``RAW_TABLES``).

    Pure and deterministic: the same arguments always return identical rows. Timestamps are
    naive UTC ``datetime`` objects. Every row carries ``_loaded_at``: the nightly batch that
    would have loaded it (see the module docstring).
    """
    if accounts < 1:
        raise ValueError("accounts must be >= 1")
    if days < 7:
        raise ValueError("days must be >= 7")
    world = World(seed, accounts, start, days)
    for number in range(1, accounts + 1):
        account = new_account(world, f"acc_{number:05d}")
        simulate_subscriptions(world, account)
        # Billing decides the account's status, which its row then carries.
        bill(world, account)
        emit_account(world, account)
        add_users(world, account)
        world.accounts.append(account)
    emit_events(world)
    emit_support_tickets(world)
    return world.tables
