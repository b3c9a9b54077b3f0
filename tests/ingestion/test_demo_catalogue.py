"""The demo generator fills exactly the columns the dbt sources declare, from the seed's plans.

The catalogue reads both from dbt_project/, so what can still drift is the generator: a column
added to the YAML would land empty, one the generator adds would never land.
"""

import csv

import pytest

from demo.catalogue import PLANS_CSV, RAW_TABLES, TABLE_COLUMNS
from demo.generator import generate_demo_tables

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def tables():
    return generate_demo_tables(accounts=20, days=14)


@pytest.mark.parametrize("table", RAW_TABLES)
def test_every_generated_row_carries_exactly_the_declared_columns(tables, table):
    declared = [name for name, _ in TABLE_COLUMNS[table]]
    assert tables[table], f"no {table} rows to check"
    for row in tables[table]:
        assert [key for key in row if key != "_loaded_at"] == declared


def test_accounts_and_subscriptions_name_only_plans_of_the_seed(tables):
    with PLANS_CSV.open(newline="", encoding="utf-8") as handle:
        seeded = {row["plan_code"] for row in csv.DictReader(handle)}
    used = {row["plan_code"] for name in ("accounts", "subscriptions") for row in tables[name]}
    assert used <= seeded
