"""Customers: the account, its subscription history (plan and seat changes, churn, win-backs),
its users, and the rows of `accounts`, `subscriptions` and `users`."""

import datetime as dt
import random
import re

from demo.catalogue import INITIAL_PLAN_WEIGHTS, PLANS, PLANS_BY_TIER, Plan
from demo.vocabulary import (
    COUNTRIES,
    EMPLOYEE_BANDS,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    NAME_PREFIXES,
    NAME_SUFFIXES,
)
from demo.world import HISTORY_DAYS, Account, Subscription, World, add_months, weighted


def new_account(world: World, account_id: str) -> Account:
    rng = world.rng
    legal_form = rng.choice(("Inc", "Ltd", "GmbH", "Co", "Group", "LLC"))
    name = f"{rng.choice(NAME_PREFIXES)} {rng.choice(NAME_SUFFIXES)} {legal_form}"
    while name in world.used_names:
        name = f"{name} {rng.randint(2, 99)}"
    world.used_names.add(name)
    # 80 % of accounts predate the event window, 20 % sign up during it.
    if rng.random() < 0.8:
        created_at = world.history_start + dt.timedelta(days=rng.uniform(0, HISTORY_DAYS))
    else:
        created_at = world.window_start + dt.timedelta(days=rng.uniform(0, world.days - 7))
    payer_profile = rng.choices(("prompt", "slow", "delinquent"), weights=(85, 11, 4))[0]
    return Account(account_id, name, created_at.replace(microsecond=0), payer_profile)


def _open_subscription(
    world: World, account: Account, plan: Plan, seats: int, started_at: dt.datetime
) -> Subscription:
    sub = Subscription(world.next_id("sub"), account.account_id, plan, started_at, seats)
    account.subscriptions.append(sub)
    return sub


def simulate_subscriptions(world: World, account: Account) -> None:
    """Walk the account's history one monthly billing period at a time."""
    rng = world.rng
    plan = PLANS[weighted(rng, INITIAL_PLAN_WEIGHTS)]
    seats = rng.randint(plan.min_seats, plan.max_seats)
    current: Subscription | None = _open_subscription(
        world, account, plan, seats, account.created_at
    )
    period_start = account.created_at
    churn_multiplier = 2.5 if account.payer_profile == "delinquent" else 1.0
    while (period_end := add_months(period_start, 1)) < world.as_of:
        period_start = period_end
        if current is None:
            # Churned account: small chance to come back each month.
            if rng.random() < 0.04:
                plan = PLANS[rng.choice(("starter", "team", "team", "business"))]
                seats = rng.randint(plan.min_seats, plan.max_seats)
                current = _open_subscription(world, account, plan, seats, period_end)
            continue
        if rng.random() < current.plan.monthly_churn * churn_multiplier:
            current.ended_at, current.status = period_end, "canceled"
            current = None
            continue
        new_plan, new_seats = _plan_change(rng, current.plan, current.seats)
        if (new_plan, new_seats) != (current.plan, current.seats):
            current.ended_at, current.status = period_end, "changed"
            current = _open_subscription(world, account, new_plan, new_seats, period_end)


def _plan_change(rng: random.Random, plan: Plan, seats: int) -> tuple[Plan, int]:
    """Upgrade, downgrade, seat expansion/contraction, or (most often) no change."""
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


def emit_account(world: World, account: Account) -> None:
    """The account's row and its subscriptions' rows, as of the final (full) load."""
    rng = world.rng
    final = account.final_subscription
    if final.plan.tier > 0:
        band = EMPLOYEE_BANDS[min(4, final.plan.tier + rng.choice((-1, 0, 0, 1)))]
    else:
        band = rng.choice(EMPLOYEE_BANDS[:2])
    world.tables["accounts"].append(
        {
            "account_id": account.account_id,
            "name": account.name,
            "industry": rng.choice(INDUSTRIES),
            "country": rng.choice(COUNTRIES),
            "employee_band": band,
            "created_at": account.created_at,
            "plan_code": final.plan.code,
            "status": account.status,
            "_loaded_at": world.final_load,
        }
    )
    for sub in account.subscriptions:
        world.tables["subscriptions"].append(
            {
                "subscription_id": sub.subscription_id,
                "account_id": account.account_id,
                "plan_code": sub.plan.code,
                "started_at": sub.started_at,
                "ended_at": sub.ended_at,
                "seats": sub.seats,
                "status": sub.status,
                "_loaded_at": world.final_load,
            }
        )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def add_users(world: World, account: Account) -> None:
    """Roughly 50-90 % of the peak seat count (capped), invited over the first months."""
    rng = world.rng
    peak_seats = max(sub.seats for sub in account.subscriptions)
    user_count = max(1, min(40, round(peak_seats * rng.uniform(0.5, 0.9))))
    domain = f"{_slug(account.name)}.example.com"
    horizon = min(world.as_of - dt.timedelta(hours=1), account.created_at + dt.timedelta(days=240))
    spread = max(1.0, (horizon - account.created_at).total_seconds())
    # The owner signs up with the account; invitations cluster early.
    offsets = [0.0, *sorted(rng.random() ** 1.6 for _ in range(user_count - 1))]
    for index, offset in enumerate(offsets):
        created_at = account.created_at + dt.timedelta(seconds=offset * spread)
        local = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}"
        email, suffix = f"{local}@{domain}", 2
        while email in world.used_emails:
            email, suffix = f"{local}{suffix}@{domain}", suffix + 1
        world.used_emails.add(email)
        if index == 0:
            role = "owner"
        else:
            role = rng.choices(("admin", "member", "viewer"), weights=(12, 73, 15))[0]
        account.users.append(
            {
                "user_id": world.next_id("usr"),
                "account_id": account.account_id,
                "email": email,
                "role": role,
                "created_at": created_at.replace(microsecond=0),
                "_loaded_at": world.final_load,
            }
        )
    world.tables["users"].extend(account.users)
    # Account-level engagement propensity: bigger plans use the product more.
    account.engagement = rng.uniform(0.35, 1.0) * (0.8 + 0.1 * account.final_subscription.plan.tier)
    # Some live accounts quietly disengage: the churn risk health scores should catch.
    account.fading = account.final_subscription.ended_at is None and rng.random() < 0.15
