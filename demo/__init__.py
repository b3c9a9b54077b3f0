"""The demo's raw data: a seeded B2B SaaS history, landed as files for ingestion to load.

Not part of the product (`orchestration/`): it only feeds the example dbt project
(`dbt_project/`). `python -m demo --landing-url ...` is `make land`.

- `catalogue`: the raw tables, their columns and the plans, read from the dbt project
- `vocabulary`: the names, mixes and weights the rows are drawn from
- `world`: the state every part of the simulation shares (one seeded `random.Random`)
- `accounts`, `billing`, `activity`: the simulation, one business area each
- `generator`: runs them in order: `generate_demo_tables`
- `landing_batches`: the rows as the files a nightly extract would land
- `cli`: the command line
"""
