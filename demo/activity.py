"""Activity: product events inside the event window (sessions and the actions in them, fading
before a cancellation or for disengaging accounts) and support tickets, by priority and SLA."""

import datetime as dt
import json

from demo.vocabulary import (
    API_ENDPOINTS,
    EVENT_FEATURE,
    EVENT_WEIGHTS,
    PLATFORMS,
    TICKET_CATEGORIES,
    TICKET_PRIORITIES,
    TICKET_TIMINGS,
)
from demo.world import Account, Row, World, as_datetime, lognormal_hours, random_time_on, weighted

# Disengaging accounts lose usage linearly over the last FADE_DAYS of the window.
FADE_DAYS = 45


def _engagement_factor(world: World, account: Account, day_offset: int, day: dt.date) -> float:
    factor = account.engagement * (1.0 if day.weekday() < 5 else 0.3)
    final = account.final_subscription
    if final.status == "canceled" and final.ended_at is not None:
        # Engagement fades during the six weeks before a cancellation.
        days_left = (final.ended_at - dt.datetime.combine(day, dt.time())).days
        if days_left < 42:
            factor *= max(0.05, days_left / 42)
    elif account.fading and day_offset >= world.days - FADE_DAYS:
        progress = (day_offset - (world.days - FADE_DAYS)) / FADE_DAYS
        factor *= max(0.1, 1.0 - 0.9 * progress)
    return factor


def emit_events(world: World) -> None:
    rng = world.rng
    users = world.tables["users"]
    event_types = tuple(EVENT_WEIGHTS)
    event_weights = tuple(EVENT_WEIGHTS.values())
    propensity = {
        user["user_id"]: rng.betavariate(1.5, 8.5)
        * (1.4 if user["role"] in ("owner", "admin") else 1.0)
        for user in users
    }
    platform_of = {user["user_id"]: rng.choice(PLATFORMS) for user in users}
    events = world.tables["events"]
    for day_offset in range(world.days):
        day = world.start + dt.timedelta(days=day_offset)
        day_start = dt.datetime.combine(day, dt.time())
        day_end = day_start + dt.timedelta(days=1)
        day_events: list[Row] = []
        for account in world.accounts:
            if not any(sub.overlaps_day(day_start) for sub in account.subscriptions):
                continue
            factor = _engagement_factor(world, account, day_offset, day)
            for user in account.users:
                user_created = as_datetime(user["created_at"])
                if user_created >= day_end:
                    break  # users are sorted by creation time
                if rng.random() >= propensity[user["user_id"]] * factor:
                    continue
                platform = platform_of[user["user_id"]]
                occurred = max(random_time_on(rng, day), user_created)
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
                            "_loaded_at": world.next_batch(occurred),
                        }
                    )
        day_events.sort(key=lambda row: (str(row["occurred_at"]), str(row["user_id"])))
        events.extend({"event_id": world.next_id("evt", 7), **row} for row in day_events)


def emit_support_tickets(world: World) -> None:
    """Tickets from the 60 days before the window up to the cut-off."""
    rng = world.rng
    ticket_start = world.window_start - dt.timedelta(days=60)
    tickets: list[Row] = []
    for account in world.accounts:
        subs = account.subscriptions
        rate = 0.008 + 0.003 * account.final_subscription.plan.tier
        rate += 0.0003 * len(account.users)
        if account.status == "past_due":
            rate *= 1.6
        for day_offset in range((world.as_of - ticket_start).days):
            day_start = ticket_start + dt.timedelta(days=day_offset)
            if not any(sub.overlaps_day(day_start) for sub in subs):
                continue
            if rng.random() >= rate:
                continue
            opened_at = random_time_on(rng, day_start.date())
            if not any(sub.is_running(opened_at) for sub in subs):
                continue  # only customers with a running subscription open tickets
            tickets.append(_ticket(world, account, opened_at))
    tickets.sort(key=lambda row: str(row["opened_at"]))
    world.tables["support_tickets"].extend(
        {"ticket_id": world.next_id("tkt"), **row} for row in tickets
    )


def _ticket(world: World, account: Account, opened_at: dt.datetime) -> Row:
    rng = world.rng
    candidates = [u for u in account.users if as_datetime(u["created_at"]) <= opened_at]
    opener = rng.choice(candidates or account.users[:1])
    priority = weighted(rng, TICKET_PRIORITIES)
    category = weighted(rng, TICKET_CATEGORIES)
    if account.status == "past_due" and rng.random() < 0.3:
        category = "billing"
    response_median, resolution_median = TICKET_TIMINGS[priority]
    responded_at = opened_at + dt.timedelta(hours=lognormal_hours(rng, response_median))
    first_response_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    if responded_at < world.as_of:
        first_response_at = responded_at.replace(microsecond=0)
        resolved_at = first_response_at + dt.timedelta(
            hours=lognormal_hours(rng, resolution_median, 1.0)
        )
        # Tickets resolved after the cut-off (and a few forgotten ones) are still open.
        if resolved_at < world.as_of and rng.random() >= 0.02:
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
        "_loaded_at": world.next_batch(last_touch),
    }
