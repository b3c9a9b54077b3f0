"""Deterministic raw-data generator for the demo B2B SaaS warehouse.

The generator simulates a subscription business ("seat-based" pricing) over a
long account history that ends at ``start + days``.  Product events are only
produced inside the ``[start, start + days)`` window, while accounts,
subscriptions and invoices reach back further so that monthly revenue trends are
meaningful.

Everything is driven by a single ``random.Random(seed)`` instance, so the same
arguments always produce exactly the same rows.  Only the standard library and
``duckdb`` are used.

Load metadata mimics a nightly ELT job that lands at 03:00 UTC: ``accounts``,
``users`` and ``subscriptions`` are small tables re-synced in full every night, so
all their rows carry the final load time; ``invoices``, ``payments``, ``events`` and
``support_tickets`` are extracted incrementally, so each row carries the load that
followed its last change.  The final load happens at ``start + days`` 03:00, which is
what ``dbt source freshness`` sees.  Freshness thresholds are 24h/48h, so with the
fixed default window the check reports stale data; pass ``--start`` (e.g. 120 days
ago) to generate a window that ends today.

The produced tables feed the ``saas`` source of the ``saas_analytics`` dbt
project (``dbt_project/``).  Plan codes must stay in sync with
``dbt_project/seeds/plans.csv``.

Usage::

    # `make land`: demo batches as landing files (CSV, JSON lines, Parquet); ingestion loads them
    python -m orchestration.ingestion.demo_data --landing-url file:///abs/data/landing --if-missing
    # raw tables written straight into DuckDB, bypassing ingestion (benchmarks, experiments)
    python -m orchestration.ingestion.demo_data --duckdb-path data/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import logging
import math
import random
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42
DEFAULT_ACCOUNTS = 200
DEFAULT_START = dt.date(2026, 1, 1)
DEFAULT_DAYS = 120

SOURCE_FILE = "demo-generator"
# Hour (UTC) at which the nightly batch that picks up the previous day's rows lands.
BATCH_LOAD_HOUR = 3
# Disengaging accounts lose usage linearly over the last FADE_DAYS of the window.
FADE_DAYS = 45
# How far back account history reaches before ``start``.
HISTORY_DAYS = 540

RAW_TABLES: tuple[str, ...] = (
    "accounts",
    "users",
    "subscriptions",
    "invoices",
    "payments",
    "events",
    "support_tickets",
)

# Column name -> DuckDB type for every raw table, excluding the two load-metadata
# columns (``_source_file`` and ``_loaded_at``) which are appended to every table.
TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts": (
        ("account_id", "varchar"),
        ("name", "varchar"),
        ("industry", "varchar"),
        ("country", "varchar"),
        ("employee_band", "varchar"),
        ("created_at", "timestamp"),
        ("plan_code", "varchar"),
        ("status", "varchar"),
    ),
    "users": (
        ("user_id", "varchar"),
        ("account_id", "varchar"),
        ("email", "varchar"),
        ("role", "varchar"),
        ("created_at", "timestamp"),
    ),
    "subscriptions": (
        ("subscription_id", "varchar"),
        ("account_id", "varchar"),
        ("plan_code", "varchar"),
        ("started_at", "timestamp"),
        ("ended_at", "timestamp"),
        ("seats", "integer"),
        ("status", "varchar"),
    ),
    "invoices": (
        ("invoice_id", "varchar"),
        ("subscription_id", "varchar"),
        ("account_id", "varchar"),
        ("issued_at", "timestamp"),
        ("due_at", "timestamp"),
        ("amount_cents", "bigint"),
        ("currency", "varchar"),
        ("status", "varchar"),
    ),
    "payments": (
        ("payment_id", "varchar"),
        ("invoice_id", "varchar"),
        ("paid_at", "timestamp"),
        ("amount_cents", "bigint"),
        ("method", "varchar"),
    ),
    "events": (
        ("event_id", "varchar"),
        ("user_id", "varchar"),
        ("account_id", "varchar"),
        ("event_type", "varchar"),
        ("occurred_at", "timestamp"),
        ("properties", "varchar"),
    ),
    "support_tickets": (
        ("ticket_id", "varchar"),
        ("account_id", "varchar"),
        ("user_id", "varchar"),
        ("opened_at", "timestamp"),
        ("first_response_at", "timestamp"),
        ("closed_at", "timestamp"),
        ("priority", "varchar"),
        ("category", "varchar"),
    ),
}

METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "varchar"),
    ("_loaded_at", "timestamp"),
)


@dataclass(frozen=True)
class Plan:
    code: str
    tier: int
    price_per_seat_cents: int
    min_seats: int
    max_seats: int
    monthly_churn: float
    payment_terms_days: int


# Keep in sync with dbt_project/seeds/plans.csv.
PLANS: dict[str, Plan] = {
    plan.code: plan
    for plan in (
        Plan("free", 0, 0, 1, 3, 0.050, 0),
        Plan("starter", 1, 1_500, 2, 10, 0.040, 14),
        Plan("team", 2, 3_000, 5, 25, 0.025, 14),
        Plan("business", 3, 5_500, 15, 60, 0.015, 30),
        Plan("enterprise", 4, 8_500, 40, 150, 0.008, 30),
    )
}
PLANS_BY_TIER: dict[int, Plan] = {plan.tier: plan for plan in PLANS.values()}
INITIAL_PLAN_WEIGHTS: dict[str, float] = {
    "free": 0.30,
    "starter": 0.30,
    "team": 0.24,
    "business": 0.11,
    "enterprise": 0.05,
}

INDUSTRIES = (
    "software",
    "fintech",
    "healthcare",
    "retail",
    "manufacturing",
    "education",
    "media",
    "logistics",
)
COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "CA", "NL", "AU", "SE", "IN", "BR", "JP")
EMPLOYEE_BANDS = ("1-10", "11-50", "51-200", "201-1000", "1000+")
NAME_PREFIXES = (
    "North",
    "Blue",
    "Bright",
    "Iron",
    "Silver",
    "Cedar",
    "Harbor",
    "Summit",
    "Quantum",
    "Atlas",
    "Maple",
    "Granite",
    "Lumen",
    "Vector",
    "Orbit",
    "Pioneer",
    "Crescent",
    "Falcon",
    "Prairie",
    "Coastal",
)
NAME_SUFFIXES = (
    "Analytics",
    "Logistics",
    "Health",
    "Labs",
    "Systems",
    "Retail",
    "Foods",
    "Capital",
    "Learning",
    "Media",
    "Works",
    "Robotics",
    "Energy",
    "Partners",
    "Studios",
)
FIRST_NAMES = (
    "alex",
    "sam",
    "jordan",
    "taylor",
    "morgan",
    "casey",
    "riley",
    "jamie",
    "avery",
    "quinn",
    "maria",
    "li",
    "noah",
    "emma",
    "olivia",
    "liam",
    "ava",
    "lucas",
    "mia",
    "ethan",
    "sofia",
    "yuki",
    "amir",
    "priya",
    "lars",
)
LAST_NAMES = (
    "smith",
    "jones",
    "garcia",
    "miller",
    "davis",
    "martin",
    "lee",
    "walker",
    "hall",
    "young",
    "king",
    "wright",
    "lopez",
    "hill",
    "scott",
    "green",
    "adams",
    "baker",
    "nelson",
    "carter",
    "muller",
    "rossi",
    "tanaka",
    "singh",
    "berg",
)

# event_type -> relative weight among the non-session events of an active day.
EVENT_WEIGHTS: dict[str, float] = {
    "dashboard_viewed": 0.46,
    "report_created": 0.16,
    "report_exported": 0.12,
    "alert_configured": 0.07,
    "api_call": 0.13,
    "user_invited": 0.03,
    "integration_connected": 0.03,
}
API_ENDPOINTS = ("/v1/reports", "/v1/metrics", "/v1/exports", "/v1/alerts")
EVENT_FEATURE: dict[str, str] = {
    "dashboard_viewed": "dashboards",
    "report_created": "reports",
    "report_exported": "exports",
    "alert_configured": "alerts",
    "api_call": "api",
    "user_invited": "admin",
    "integration_connected": "integrations",
}
PLATFORMS = ("web", "web", "web", "web", "ios", "android")
TICKET_PRIORITIES: dict[str, float] = {"low": 0.30, "normal": 0.45, "high": 0.18, "urgent": 0.07}
TICKET_CATEGORIES: dict[str, float] = {
    "how_to": 0.32,
    "bug": 0.26,
    "billing": 0.16,
    "feature_request": 0.16,
    "account_access": 0.10,
}
# priority -> (median first-response hours, median resolution hours after response)
TICKET_TIMINGS: dict[str, tuple[float, float]] = {
    "urgent": (0.6, 6.0),
    "high": (2.5, 20.0),
    "normal": (7.0, 40.0),
    "low": (16.0, 70.0),
}
HOUR_WEIGHTS = (
    1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 7, 5, 4, 3, 2, 2, 1,
)  # fmt: skip


# --------------------------------------------------------------------------- helpers


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()), k=1)[0]


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    month_index = value.month - 1 + months
    year = value.year + month_index // 12
    month = month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def _random_time_on(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS, k=1)[0]
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))


def _lognormal_hours(rng: random.Random, median_hours: float, sigma: float = 0.8) -> float:
    return median_hours * math.exp(rng.gauss(0.0, sigma))


def _next_batch(value: dt.datetime, final_load: dt.datetime) -> dt.datetime:
    """Timestamp of the nightly batch that first contains a row last touched at ``value``."""
    batch = dt.datetime.combine(value.date() + dt.timedelta(days=1), dt.time(BATCH_LOAD_HOUR))
    return min(batch, final_load)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class _Subscription:
    subscription_id: str
    account_id: str
    plan: Plan
    started_at: dt.datetime
    seats: int
    ended_at: dt.datetime | None = None
    status: str = "active"


def _is_running(sub: _Subscription, at: dt.datetime) -> bool:
    return sub.started_at <= at and (sub.ended_at is None or sub.ended_at > at)


def _overlaps_day(sub: _Subscription, day_start: dt.datetime) -> bool:
    return sub.started_at < day_start + dt.timedelta(days=1) and (
        sub.ended_at is None or sub.ended_at > day_start
    )


# --------------------------------------------------------------------------- generation

Row = dict[str, object]


@dataclass
class _Account:
    account_id: str
    name: str
    created_at: dt.datetime
    payer_profile: str
    subscriptions: list[_Subscription] = field(default_factory=list)
    users: list[Row] = field(default_factory=list)
    status: str = "active"
    engagement: float = 1.0
    fading: bool = False

    @property
    def final_subscription(self) -> _Subscription:
        return self.subscriptions[-1]


class _DemoGenerator:
    """Builds every raw table from one seeded ``random.Random``; call :meth:`run` once."""

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
        self.accounts: list[_Account] = []
        self._used_names: set[str] = set()
        self._used_emails: set[str] = set()
        self._seq: dict[str, int] = {}

    def _next_id(self, prefix: str, width: int = 6) -> str:
        self._seq[prefix] = self._seq.get(prefix, 0) + 1
        return f"{prefix}_{self._seq[prefix]:0{width}d}"

    def run(self) -> dict[str, list[Row]]:
        for number in range(1, self.n_accounts + 1):
            account = self._new_account(f"acc_{number:05d}")
            self._simulate_subscriptions(account)
            self._bill(account)
            self._emit_account(account)
            self._add_users(account)
            self.accounts.append(account)
        self._emit_events()
        self._emit_support_tickets()
        return self.tables

    # ---- accounts and subscriptions

    def _new_account(self, account_id: str) -> _Account:
        rng = self.rng
        legal_form = rng.choice(("Inc", "Ltd", "GmbH", "Co", "Group", "LLC"))
        name = f"{rng.choice(NAME_PREFIXES)} {rng.choice(NAME_SUFFIXES)} {legal_form}"
        while name in self._used_names:
            name = f"{name} {rng.randint(2, 99)}"
        self._used_names.add(name)
        # 80 % of accounts predate the event window, 20 % sign up during it.
        if rng.random() < 0.8:
            created_at = self.history_start + dt.timedelta(days=rng.uniform(0, HISTORY_DAYS))
        else:
            created_at = self.window_start + dt.timedelta(days=rng.uniform(0, self.days - 7))
        payer_profile = rng.choices(("prompt", "slow", "delinquent"), weights=(85, 11, 4))[0]
        return _Account(account_id, name, created_at.replace(microsecond=0), payer_profile)

    def _open_subscription(
        self, account: _Account, plan: Plan, seats: int, started_at: dt.datetime
    ) -> _Subscription:
        sub = _Subscription(self._next_id("sub"), account.account_id, plan, started_at, seats)
        account.subscriptions.append(sub)
        return sub

    def _simulate_subscriptions(self, account: _Account) -> None:
        """Walk the account's history one monthly billing period at a time."""
        rng = self.rng
        plan = PLANS[_weighted(rng, INITIAL_PLAN_WEIGHTS)]
        seats = rng.randint(plan.min_seats, plan.max_seats)
        current: _Subscription | None = self._open_subscription(
            account, plan, seats, account.created_at
        )
        period_start = account.created_at
        churn_multiplier = 2.5 if account.payer_profile == "delinquent" else 1.0
        while (period_end := _add_months(period_start, 1)) < self.as_of:
            period_start = period_end
            if current is None:
                # Churned account: small chance to come back each month.
                if rng.random() < 0.04:
                    plan = PLANS[rng.choice(("starter", "team", "team", "business"))]
                    seats = rng.randint(plan.min_seats, plan.max_seats)
                    current = self._open_subscription(account, plan, seats, period_end)
                continue
            if rng.random() < current.plan.monthly_churn * churn_multiplier:
                current.ended_at, current.status = period_end, "canceled"
                current = None
                continue
            new_plan, new_seats = self._plan_change(current.plan, current.seats)
            if (new_plan, new_seats) != (current.plan, current.seats):
                current.ended_at, current.status = period_end, "changed"
                current = self._open_subscription(account, new_plan, new_seats, period_end)

    def _plan_change(self, plan: Plan, seats: int) -> tuple[Plan, int]:
        """Upgrade, downgrade, seat expansion/contraction, or (most often) no change."""
        rng = self.rng
        roll = rng.random()
        if plan.code == "free":
            if roll < 0.09:
                new_plan = PLANS["starter"] if rng.random() < 0.8 else PLANS["team"]
                return new_plan, max(new_plan.min_seats, seats + rng.randint(0, 4))
            return plan, seats
        if roll < 0.035 and plan.tier < 4:
            new_plan = PLANS_BY_TIER[plan.tier + 1]
            return new_plan, max(new_plan.min_seats, round(seats * rng.uniform(1.0, 1.4)))
        if roll < 0.045 and plan.tier > 1:
            new_plan = PLANS_BY_TIER[plan.tier - 1]
            return new_plan, min(new_plan.max_seats, seats)
        if roll < 0.125:
            added = max(1, round(seats * rng.uniform(0.1, 0.4)))
            return plan, min(plan.max_seats * 2, seats + added)
        if roll < 0.155 and seats > plan.min_seats:
            removed = max(1, round(seats * rng.uniform(0.1, 0.3)))
            return plan, max(plan.min_seats, seats - removed)
        return plan, seats

    # ---- invoices and payments

    def _bill(self, account: _Account) -> None:
        """One invoice per paid billing period (monthly, in advance) and its payments."""
        has_past_due = False
        for sub in account.subscriptions:
            if sub.plan.price_per_seat_cents == 0:
                continue
            issued_at = sub.started_at
            stop = sub.ended_at or self.as_of
            while issued_at < stop:
                has_past_due |= self._invoice(account, sub, issued_at)
                issued_at = _add_months(issued_at, 1)
        final = account.final_subscription
        if final.ended_at is not None:
            account.status = "churned"
        elif has_past_due:
            account.status = "past_due"

    def _invoice(self, account: _Account, sub: _Subscription, issued_at: dt.datetime) -> bool:
        """Emit one invoice with its payments; True when it is open and past due."""
        rng = self.rng
        invoice_id = self._next_id("inv")
        amount = sub.seats * sub.plan.price_per_seat_cents
        terms = sub.plan.payment_terms_days
        due_at = issued_at + dt.timedelta(days=terms)
        payments: list[tuple[dt.datetime, int]] = []
        past_due = False
        if rng.random() < 0.01:
            status = "void"
        else:
            if account.payer_profile == "prompt":
                delay_days, unpaid = rng.uniform(0, terms * 0.6), rng.random() < 0.005
            elif account.payer_profile == "slow":
                delay_days, unpaid = rng.uniform(terms * 0.5, terms + 35), rng.random() < 0.03
            else:
                delay_days, unpaid = rng.uniform(terms, terms + 60), rng.random() < 0.35
            paid_at = issued_at + dt.timedelta(days=delay_days, seconds=rng.randrange(3600))
            paid_at = paid_at.replace(microsecond=0)
            if not unpaid and rng.random() < 0.06 and amount >= 10_000:
                # Paid in two installments.
                first_at = issued_at + dt.timedelta(days=delay_days * 0.4, hours=2)
                first_amount = amount // 2
                payments = [
                    (first_at.replace(microsecond=0), first_amount),
                    (paid_at, amount - first_amount),
                ]
            elif not unpaid:
                payments = [(paid_at, amount)]
            # Drop payments that have not happened yet.
            payments = [(at, cents) for at, cents in payments if at < self.as_of]
            if sum(cents for _, cents in payments) >= amount:
                status = "paid"
            elif unpaid and self.as_of - due_at > dt.timedelta(days=90):
                status, payments = "uncollectible", []
            else:
                status = "open"
                past_due = due_at < self.as_of
        if sub.plan.tier <= 2:
            method = "card"
        else:
            method = rng.choices(("card", "ach", "wire"), weights=(3, 5, 2 * sub.plan.tier))[0]

        last_touch = issued_at
        for at, cents in payments:
            self.tables["payments"].append(
                {
                    "payment_id": self._next_id("pay"),
                    "invoice_id": invoice_id,
                    "paid_at": at,
                    "amount_cents": cents,
                    "method": method,
                    "_loaded_at": _next_batch(at, self.final_load),
                }
            )
            last_touch = max(last_touch, at)
        if status == "uncollectible":
            last_touch = max(last_touch, due_at + dt.timedelta(days=90))
        last_touch = min(last_touch, self.as_of - dt.timedelta(seconds=1))
        self.tables["invoices"].append(
            {
                "invoice_id": invoice_id,
                "subscription_id": sub.subscription_id,
                "account_id": account.account_id,
                "issued_at": issued_at,
                "due_at": due_at,
                "amount_cents": amount,
                "currency": "USD",
                "status": status,
                "_loaded_at": _next_batch(last_touch, self.final_load),
            }
        )
        return past_due

    def _emit_account(self, account: _Account) -> None:
        rng = self.rng
        final = account.final_subscription
        if final.plan.tier > 0:
            band = EMPLOYEE_BANDS[min(4, final.plan.tier + rng.choice((-1, 0, 0, 1)))]
        else:
            band = rng.choice(EMPLOYEE_BANDS[:2])
        self.tables["accounts"].append(
            {
                "account_id": account.account_id,
                "name": account.name,
                "industry": rng.choice(INDUSTRIES),
                "country": rng.choice(COUNTRIES),
                "employee_band": band,
                "created_at": account.created_at,
                "plan_code": final.plan.code,
                "status": account.status,
                "_loaded_at": self.final_load,
            }
        )
        for sub in account.subscriptions:
            self.tables["subscriptions"].append(
                {
                    "subscription_id": sub.subscription_id,
                    "account_id": account.account_id,
                    "plan_code": sub.plan.code,
                    "started_at": sub.started_at,
                    "ended_at": sub.ended_at,
                    "seats": sub.seats,
                    "status": sub.status,
                    "_loaded_at": self.final_load,
                }
            )

    # ---- users

    def _add_users(self, account: _Account) -> None:
        """Roughly 50-90 % of the peak seat count (capped), invited over the first months."""
        rng = self.rng
        peak_seats = max(sub.seats for sub in account.subscriptions)
        user_count = max(1, min(40, round(peak_seats * rng.uniform(0.5, 0.9))))
        domain = f"{_slug(account.name)}.example.com"
        horizon = min(
            self.as_of - dt.timedelta(hours=1), account.created_at + dt.timedelta(days=240)
        )
        spread = max(1.0, (horizon - account.created_at).total_seconds())
        # The owner signs up with the account; invitations cluster early.
        offsets = [0.0, *sorted(rng.random() ** 1.6 for _ in range(user_count - 1))]
        for index, offset in enumerate(offsets):
            created_at = account.created_at + dt.timedelta(seconds=offset * spread)
            local = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}"
            email, suffix = f"{local}@{domain}", 2
            while email in self._used_emails:
                email, suffix = f"{local}{suffix}@{domain}", suffix + 1
            self._used_emails.add(email)
            if index == 0:
                role = "owner"
            else:
                role = rng.choices(("admin", "member", "viewer"), weights=(12, 73, 15))[0]
            account.users.append(
                {
                    "user_id": self._next_id("usr"),
                    "account_id": account.account_id,
                    "email": email,
                    "role": role,
                    "created_at": created_at.replace(microsecond=0),
                    "_loaded_at": self.final_load,
                }
            )
        self.tables["users"].extend(account.users)
        # Account-level engagement propensity: bigger plans use the product more.
        account.engagement = rng.uniform(0.35, 1.0) * (
            0.8 + 0.1 * account.final_subscription.plan.tier
        )
        # Some live accounts quietly disengage: the churn risk health scores should catch.
        account.fading = account.final_subscription.ended_at is None and rng.random() < 0.15

    # ---- product events

    def _engagement_factor(self, account: _Account, day_offset: int, day: dt.date) -> float:
        factor = account.engagement * (1.0 if day.weekday() < 5 else 0.3)
        final = account.final_subscription
        if final.status == "canceled" and final.ended_at is not None:
            # Engagement fades during the six weeks before a cancellation.
            days_left = (final.ended_at - dt.datetime.combine(day, dt.time())).days
            if days_left < 42:
                factor *= max(0.05, days_left / 42)
        elif account.fading and day_offset >= self.days - FADE_DAYS:
            progress = (day_offset - (self.days - FADE_DAYS)) / FADE_DAYS
            factor *= max(0.1, 1.0 - 0.9 * progress)
        return factor

    def _emit_events(self) -> None:
        rng = self.rng
        users = self.tables["users"]
        event_types = tuple(EVENT_WEIGHTS)
        event_weights = tuple(EVENT_WEIGHTS.values())
        propensity = {
            user["user_id"]: rng.betavariate(1.5, 8.5)
            * (1.4 if user["role"] in ("owner", "admin") else 1.0)
            for user in users
        }
        platform_of = {user["user_id"]: rng.choice(PLATFORMS) for user in users}
        events = self.tables["events"]
        for day_offset in range(self.days):
            day = self.start + dt.timedelta(days=day_offset)
            day_start = dt.datetime.combine(day, dt.time())
            day_end = day_start + dt.timedelta(days=1)
            day_events: list[Row] = []
            for account in self.accounts:
                if not any(_overlaps_day(sub, day_start) for sub in account.subscriptions):
                    continue
                factor = self._engagement_factor(account, day_offset, day)
                for user in account.users:
                    user_created = user["created_at"]
                    assert isinstance(user_created, dt.datetime)
                    if user_created >= day_end:
                        break  # users are sorted by creation time
                    if rng.random() >= propensity[user["user_id"]] * factor:
                        continue
                    platform = platform_of[user["user_id"]]
                    occurred = max(_random_time_on(rng, day), user_created)
                    n_actions = min(8, int(rng.expovariate(0.7)))
                    actions = rng.choices(event_types, weights=event_weights, k=n_actions)
                    for kind in ("session_started", *actions):
                        props: dict[str, object] = {"platform": platform}
                        if kind != "session_started":
                            occurred += dt.timedelta(seconds=rng.randint(5, 900))
                            if occurred >= day_end:
                                break
                            props["feature"] = EVENT_FEATURE[kind]
                            props["duration_ms"] = rng.randint(40, 4_000)
                            if kind == "api_call":
                                props["platform"] = "api"
                                props["endpoint"] = rng.choice(API_ENDPOINTS)
                        day_events.append(
                            {
                                "user_id": user["user_id"],
                                "account_id": account.account_id,
                                "event_type": kind,
                                "occurred_at": occurred,
                                "properties": json.dumps(props, sort_keys=True),
                                "_loaded_at": _next_batch(occurred, self.final_load),
                            }
                        )
            day_events.sort(key=lambda row: (str(row["occurred_at"]), str(row["user_id"])))
            events.extend({"event_id": self._next_id("evt", 7), **row} for row in day_events)

    # ---- support tickets

    def _emit_support_tickets(self) -> None:
        """Tickets from the 60 days before the window up to the cut-off."""
        rng = self.rng
        ticket_start = self.window_start - dt.timedelta(days=60)
        tickets: list[Row] = []
        for account in self.accounts:
            subs = account.subscriptions
            rate = 0.008 + 0.003 * account.final_subscription.plan.tier
            rate += 0.0003 * len(account.users)
            if account.status == "past_due":
                rate *= 1.6
            for day_offset in range((self.as_of - ticket_start).days):
                day_start = ticket_start + dt.timedelta(days=day_offset)
                if not any(_overlaps_day(sub, day_start) for sub in subs):
                    continue
                if rng.random() >= rate:
                    continue
                opened_at = _random_time_on(rng, day_start.date())
                if not any(_is_running(sub, opened_at) for sub in subs):
                    continue  # only customers with a running subscription open tickets
                tickets.append(self._ticket(account, opened_at))
        tickets.sort(key=lambda row: str(row["opened_at"]))
        self.tables["support_tickets"].extend(
            {"ticket_id": self._next_id("tkt"), **row} for row in tickets
        )

    def _ticket(self, account: _Account, opened_at: dt.datetime) -> Row:
        rng = self.rng
        candidates = [u for u in account.users if _as_datetime(u["created_at"]) <= opened_at]
        opener = rng.choice(candidates or account.users[:1])
        priority = _weighted(rng, TICKET_PRIORITIES)
        category = _weighted(rng, TICKET_CATEGORIES)
        if account.status == "past_due" and rng.random() < 0.3:
            category = "billing"
        response_median, resolution_median = TICKET_TIMINGS[priority]
        responded_at = opened_at + dt.timedelta(hours=_lognormal_hours(rng, response_median))
        first_response_at: dt.datetime | None = None
        closed_at: dt.datetime | None = None
        if responded_at < self.as_of:
            first_response_at = responded_at.replace(microsecond=0)
            resolved_at = first_response_at + dt.timedelta(
                hours=_lognormal_hours(rng, resolution_median, 1.0)
            )
            # Tickets resolved after the cut-off (and a few forgotten ones) are still open.
            if resolved_at < self.as_of and rng.random() >= 0.02:
                closed_at = resolved_at.replace(microsecond=0)
        last_touch = max(t for t in (opened_at, first_response_at, closed_at) if t is not None)
        return {
            "account_id": account.account_id,
            "user_id": opener["user_id"],
            "opened_at": opened_at,
            "first_response_at": first_response_at,
            "closed_at": closed_at,
            "priority": priority,
            "category": category,
            "_loaded_at": _next_batch(last_touch, self.final_load),
        }


def _as_datetime(value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    return value


def generate_demo_tables(
    seed: int = DEFAULT_SEED,
    accounts: int = DEFAULT_ACCOUNTS,
    start: dt.date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
) -> dict[str, list[dict[str, object]]]:
    """Generate every raw table as lists of row dicts, keyed by table name (``RAW_TABLES``).

    Pure and deterministic: the same arguments always return identical rows. Timestamps are
    naive UTC ``datetime`` objects. Every row carries ``_loaded_at``: the nightly batch that
    would have loaded it (see the module docstring).
    """
    if accounts < 1:
        raise ValueError("accounts must be >= 1")
    if days < 7:
        raise ValueError("days must be >= 7")
    return _DemoGenerator(seed, accounts, start, days).run()


# --------------------------------------------------------------------------- loading


def _json_default(value: object) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns_for(table: str, rows: Sequence[Mapping[str, object]]) -> tuple[tuple[str, str], ...]:
    if table in TABLE_COLUMNS:
        return TABLE_COLUMNS[table]
    if not rows:
        raise ValueError(f"cannot infer columns for unknown empty table {table!r}")
    inferred: list[tuple[str, str]] = []
    for key, value in rows[0].items():
        if key.startswith("_"):
            continue
        if isinstance(value, bool):
            kind = "boolean"
        elif isinstance(value, int):
            kind = "bigint"
        elif isinstance(value, float):
            kind = "double"
        elif isinstance(value, dt.datetime):
            kind = "timestamp"
        elif isinstance(value, dt.date):
            kind = "date"
        else:
            kind = "varchar"
        inferred.append((key, kind))
    return tuple(inferred)


def _fallback_loaded_at(rows: Sequence[Mapping[str, object]]) -> dt.datetime:
    """Deterministic load time for rows without ``_loaded_at``: batch after the latest timestamp."""
    latest = max(
        (value for row in rows for value in row.values() if isinstance(value, dt.datetime)),
        default=dt.datetime.combine(DEFAULT_START, dt.time()),
    )
    return dt.datetime.combine(latest.date() + dt.timedelta(days=1), dt.time(BATCH_LOAD_HOUR))


def write_raw_tables(
    duckdb_path: str | Path,
    tables: Mapping[str, list[dict[str, object]]],
    schema: str = "raw",
) -> dict[str, int]:
    """(Re)create ``<schema>.<table>`` for every table in ``tables`` and load its rows.

    Each table gets explicit column types plus ``_source_file`` (always
    ``'demo-generator'``) and ``_loaded_at``. Rows are staged as newline-delimited JSON in
    a temporary directory and bulk-loaded with ``read_json``. Returns row counts per table.
    """
    path = Path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="demo-data-") as tmp, duckdb.connect(str(path)) as con:
        con.execute(f"create schema if not exists {_quote_identifier(schema)}")
        for table, rows in tables.items():
            columns = _columns_for(table, rows) + METADATA_COLUMNS
            fallback = _fallback_loaded_at(rows)
            staging_file = Path(tmp) / f"{table}.jsonl"
            with staging_file.open("w", encoding="utf-8") as handle:
                for row in rows:
                    record = {name: row.get(name) for name, _ in columns}
                    record["_source_file"] = SOURCE_FILE
                    record["_loaded_at"] = row.get("_loaded_at") or fallback
                    handle.write(json.dumps(record, default=_json_default))
                    handle.write("\n")

            qualified = f"{_quote_identifier(schema)}.{_quote_identifier(table)}"
            column_ddl = ", ".join(f"{_quote_identifier(name)} {kind}" for name, kind in columns)
            json_columns = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
            select_list = ", ".join(_quote_identifier(name) for name, _ in columns)
            con.execute(f"create or replace table {qualified} ({column_ddl})")
            if rows:
                con.execute(
                    f"insert into {qualified} select {select_list} from read_json(?, "
                    f"format = 'newline_delimited', columns = {{{json_columns}}})",
                    [str(staging_file)],
                )
            counts[table] = con.execute(f"select count(*) from {qualified}").fetchone()[0]  # type: ignore[index]
            logger.info("loaded %s rows into %s", counts[table], qualified)
    logger.info(
        "wrote %d raw tables to %s in %.2fs", len(counts), path, time.perf_counter() - started
    )
    return counts


def raw_tables_present(duckdb_path: str | Path, schema: str = "raw") -> bool:
    """True when ``duckdb_path`` exists and already holds every table in ``RAW_TABLES``."""
    path = Path(duckdb_path)
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
    return set(RAW_TABLES) <= {name for (name,) in rows}


# --------------------------------------------------------------------------- cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate deterministic demo SaaS raw data into DuckDB or a landing zone."
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--duckdb-path", help="DuckDB database file to write raw tables into")
    target.add_argument(
        "--landing-url",
        help="landing zone (file:///... or s3://bucket/prefix) to put demo batches into; "
        "ingestion then loads them",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=None,
        help="first day of the product-event window (YYYY-MM-DD); default "
        f"{DEFAULT_START} for --duckdb-path, and for --landing-url the day that makes the window "
        "end today (the loader stamps rows with the real load time, which the data then matches)",
    )
    parser.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help="length of the event window in days"
    )
    parser.add_argument("--schema", default="raw", help="target schema for the raw tables")
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when the database already holds every raw table, or when the landing "
        "zone already holds any file (waiting, loaded or quarantined)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.landing_url:
        return _land(args)
    if args.if_missing and raw_tables_present(args.duckdb_path, schema=args.schema):
        print(f"{args.duckdb_path}: raw tables already present, skipping")  # noqa: T201
        return 0
    tables = generate_demo_tables(
        seed=args.seed, accounts=args.accounts, start=args.start or DEFAULT_START, days=args.days
    )
    counts = write_raw_tables(args.duckdb_path, tables, schema=args.schema)
    for table, count in counts.items():
        print(f"{args.schema}.{table}: {count} rows")  # noqa: T201 - the CLI's summary
    return 0


def _land(args: argparse.Namespace) -> int:
    """`make land`: demo batches as landing files, for ingestion to load."""
    from orchestration.ingestion.demo_landing import write_landing_batches
    from orchestration.ingestion.landing import landing_store

    store = landing_store(args.landing_url)
    if args.if_missing and not store.is_empty():
        print(f"{store.url}: the landing zone already holds files, skipping")  # noqa: T201
        return 0
    start = args.start or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=args.days)
    tables = generate_demo_tables(
        seed=args.seed, accounts=args.accounts, start=start, days=args.days
    )
    written = write_landing_batches(store, tables)
    print(f"{store.url}: {len(written)} demo files, events from {start} on")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
