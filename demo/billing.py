"""Billing: monthly invoices in advance for every paid subscription, their payments (late, in
installments or never, by the account's payer profile), and the account status that follows."""

import datetime as dt

from demo.world import Account, Subscription, World, add_months


def bill(world: World, account: Account) -> None:
    """One invoice per paid billing period and its payments; sets the account's status."""
    has_past_due = False
    for sub in account.subscriptions:
        if sub.plan.price_per_seat_cents == 0:
            continue
        issued_at = sub.started_at
        stop = sub.ended_at or world.as_of
        while issued_at < stop:
            has_past_due |= _invoice(world, account, sub, issued_at)
            issued_at = add_months(issued_at, 1)
    final = account.final_subscription
    if final.ended_at is not None:
        account.status = "churned"
    elif has_past_due:
        account.status = "past_due"


def _invoice(world: World, account: Account, sub: Subscription, issued_at: dt.datetime) -> bool:
    """Emit one invoice with its payments; True when it is open and past due."""
    rng = world.rng
    invoice_id = world.next_id("inv")
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
        payments = [(at, cents) for at, cents in payments if at < world.as_of]
        if sum(cents for _, cents in payments) >= amount:
            status = "paid"
        elif unpaid and world.as_of - due_at > dt.timedelta(days=90):
            status, payments = "uncollectible", []
        else:
            status = "open"
            past_due = due_at < world.as_of
    if sub.plan.tier <= 2:
        method = "card"
    else:
        method = rng.choices(("card", "ach", "wire"), weights=(3, 5, 2 * sub.plan.tier))[0]

    last_touch = issued_at
    for at, cents in payments:
        world.tables["payments"].append(
            {
                "payment_id": world.next_id("pay"),
                "invoice_id": invoice_id,
                "paid_at": at,
                "amount_cents": cents,
                "method": method,
                "_loaded_at": world.next_batch(at),
            }
        )
        last_touch = max(last_touch, at)
    if status == "uncollectible":
        last_touch = max(last_touch, due_at + dt.timedelta(days=90))
    last_touch = min(last_touch, world.as_of - dt.timedelta(seconds=1))
    world.tables["invoices"].append(
        {
            "invoice_id": invoice_id,
            "subscription_id": sub.subscription_id,
            "account_id": account.account_id,
            "issued_at": issued_at,
            "due_at": due_at,
            "amount_cents": amount,
            "currency": "USD",
            "status": status,
            "_loaded_at": world.next_batch(last_touch),
        }
    )
    return past_due
