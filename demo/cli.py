"""`make land`: the demo's batches into a landing zone, for ingestion to load.

Usage::

    python -m demo --landing-url file:///abs/data/landing --if-missing
"""

import argparse
import datetime as dt
from collections.abc import Sequence

from demo.generator import DEFAULT_ACCOUNTS, DEFAULT_DAYS, DEFAULT_SEED, generate_demo_tables
from demo.landing_batches import write_landing_batches
from orchestration.ingestion.landing import landing_store


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Put deterministic demo SaaS raw data into a landing zone as batch files.",
    )
    parser.add_argument(
        "--landing-url",
        required=True,
        help="landing zone (file:///... or s3://bucket/prefix) to put demo batches into; "
        "ingestion then loads them",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=None,
        help="first day of the product-event window (YYYY-MM-DD); default: the day that makes "
        "the window end today (the loader stamps rows with the real load time, which the data "
        "then matches)",
    )
    parser.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help="length of the event window in days"
    )
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when the landing zone already holds any file (waiting, loaded or "
        "quarantined)",
    )
    args = parser.parse_args(argv)

    store = landing_store(args.landing_url)
    if args.if_missing and not store.is_empty():
        print(f"{store.url}: the landing zone already holds files, skipping")
        return 0
    start = args.start or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=args.days)
    tables = generate_demo_tables(
        seed=args.seed, accounts=args.accounts, start=start, days=args.days
    )
    written = write_landing_batches(store, tables)
    print(f"{store.url}: {len(written)} demo files, events from {start} on")
    return 0
