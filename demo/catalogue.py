"""The raw tables and plans the demo produces, read from the dbt project they feed.

Columns come from the `saas` source YAML (the contract ingestion checks every file against) and
the price list from the `plans` seed, so the demo cannot drift from either. What neither says
(how many seats a customer of a plan buys, how often it leaves) is the demo's own.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project"
SOURCES_YAML = DBT_PROJECT / "models" / "staging" / "_saas__sources.yml"
SOURCE_NAME = "saas"
PLANS_CSV = DBT_PROJECT / "seeds" / "plans.csv"

# The tables the generator fills, in the order it names them.
RAW_TABLES: tuple[str, ...] = (
    "accounts",
    "users",
    "subscriptions",
    "invoices",
    "payments",
    "events",
    "support_tickets",
)


def _declared_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """(name, DuckDB type) per source table, as declared; the loader adds the load metadata."""
    document = yaml.safe_load(SOURCES_YAML.read_text(encoding="utf-8"))
    [source] = [s for s in document["sources"] if s["name"] == SOURCE_NAME]
    declared = {
        table["name"]: tuple(
            # A column without data_type is varchar to the loader too.
            (column["name"], (column.get("data_type") or "varchar").strip())
            for column in table.get("columns") or ()
        )
        for table in source["tables"]
    }
    missing = [table for table in RAW_TABLES if not declared.get(table)]
    if missing:
        raise LookupError(
            f"{SOURCES_YAML} declares no columns for source {SOURCE_NAME!r} table(s) "
            f"{', '.join(missing)}, which the demo generates"
        )
    return {table: declared[table] for table in RAW_TABLES}


TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = _declared_columns()


@dataclass(frozen=True)
class Plan:
    code: str
    tier: int
    price_per_seat_cents: int
    min_seats: int
    max_seats: int
    monthly_churn: float
    payment_terms_days: int


# plan_code -> (min seats, max seats, monthly churn probability).
PLAN_BEHAVIOUR: dict[str, tuple[int, int, float]] = {
    "free": (1, 3, 0.050),
    "starter": (2, 10, 0.040),
    "team": (5, 25, 0.025),
    "business": (15, 60, 0.015),
    "enterprise": (40, 150, 0.008),
}


def _plans() -> dict[str, Plan]:
    with PLANS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    codes = [row["plan_code"] for row in rows]
    if sorted(codes) != sorted(PLAN_BEHAVIOUR):
        raise LookupError(
            f"{PLANS_CSV} lists plans {codes}; the demo knows how customers of "
            f"{list(PLAN_BEHAVIOUR)} behave (demo/catalogue.py PLAN_BEHAVIOUR)"
        )
    plans = {}
    for row in rows:
        min_seats, max_seats, churn = PLAN_BEHAVIOUR[row["plan_code"]]
        plans[row["plan_code"]] = Plan(
            code=row["plan_code"],
            tier=int(row["tier"]),
            price_per_seat_cents=int(row["monthly_price_per_seat_cents"]),
            min_seats=min_seats,
            max_seats=max_seats,
            monthly_churn=churn,
            payment_terms_days=int(row["payment_terms_days"]),
        )
    return plans


PLANS: dict[str, Plan] = _plans()
# Upgrades and downgrades step one tier at a time.
PLANS_BY_TIER: dict[int, Plan] = {plan.tier: plan for plan in PLANS.values()}
INITIAL_PLAN_WEIGHTS: dict[str, float] = {
    "free": 0.30,
    "starter": 0.30,
    "team": 0.24,
    "business": 0.11,
    "enterprise": 0.05,
}
