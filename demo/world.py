"""What every part of the demo's simulation shares: one seeded `random.Random`, the time window,
id sequences, the accounts simulated so far and the rows emitted so far.

The parts draw from the one generator in a fixed order, so moving a draw from one part to
another (or reordering the parts) changes every row after it.
"""

import calendar
import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from demo.catalogue import RAW_TABLES, Plan
from demo.vocabulary import HOUR_WEIGHTS

# Hour (UTC) at which the nightly batch that picks up the previous day's rows lands.
BATCH_LOAD_HOUR = 3
# How far back account history reaches before ``start``.
HISTORY_DAYS = 540

Row = dict[str, object]


def weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()), k=1)[0]


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    month_index = value.month - 1 + months
    year = value.year + month_index // 12
    month = month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def random_time_on(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS, k=1)[0]
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))


def lognormal_hours(rng: random.Random, median_hours: float, sigma: float = 0.8) -> float:
    return median_hours * math.exp(rng.gauss(0.0, sigma))


def as_datetime(value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    return value


@dataclass
class Subscription:
    subscription_id: str
    account_id: str
    plan: Plan
    started_at: dt.datetime
    seats: int
    ended_at: dt.datetime | None = None
    status: str = "active"

    def is_running(self, at: dt.datetime) -> bool:
        return self.started_at <= at and (self.ended_at is None or self.ended_at > at)

    def overlaps_day(self, day_start: dt.datetime) -> bool:
        return self.started_at < day_start + dt.timedelta(days=1) and (
            self.ended_at is None or self.ended_at > day_start
        )


@dataclass
class Account:
    account_id: str
    name: str
    created_at: dt.datetime
    payer_profile: str
    subscriptions: list[Subscription] = field(default_factory=list)
    users: list[Row] = field(default_factory=list)
    status: str = "active"
    engagement: float = 1.0
    fading: bool = False

    @property
    def final_subscription(self) -> Subscription:
        return self.subscriptions[-1]


class World:
    """One simulation, from ``start - HISTORY_DAYS`` to ``as_of`` (``start + days``)."""

    def __init__(self, seed: int, accounts: int, start: dt.date, days: int) -> None:
        self.rng = random.Random(seed)
        self.n_accounts = accounts
        self.start = start
        self.days = days
        self.as_of = dt.datetime.combine(start + dt.timedelta(days=days), dt.time())
        self.final_load = self.as_of.replace(hour=BATCH_LOAD_HOUR)
        self.window_start = dt.datetime.combine(start, dt.time())
        self.history_start = self.window_start - dt.timedelta(days=HISTORY_DAYS)
        self.tables: dict[str, list[Row]] = {name: [] for name in RAW_TABLES}
        self.accounts: list[Account] = []
        self.used_names: set[str] = set()
        self.used_emails: set[str] = set()
        self._seq: dict[str, int] = {}

    def next_id(self, prefix: str, width: int = 6) -> str:
        self._seq[prefix] = self._seq.get(prefix, 0) + 1
        return f"{prefix}_{self._seq[prefix]:0{width}d}"

    def next_batch(self, value: dt.datetime) -> dt.datetime:
        """Timestamp of the nightly batch that first contains a row last touched at ``value``."""
        batch = dt.datetime.combine(value.date() + dt.timedelta(days=1), dt.time(BATCH_LOAD_HOUR))
        return min(batch, self.final_load)
