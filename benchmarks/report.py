"""What a benchmark prints: the tables of its rows and the machine-readable `bench:` line.

Rows are the dicts `benchmarks.run` measures (results.json holds them whole); each names its
warehouse (`duckdb` or `postgres`).
"""

from __future__ import annotations

from typing import Any


def _warehouse(row: dict[str, Any]) -> str:
    return row.get("warehouse", "duckdb")


def _naive(row: dict[str, Any]) -> str:
    """The naive columns; `>` where the naive run was stopped at its limit (a lower bound)."""
    bound = ">" if row.get("naive_stopped") else ""
    seconds, ratio = f"{bound}{row['naive_s']:.1f}", f"{bound}{row['naive_ratio']:.2f}"
    return f"{seconds:>7}  {ratio:>6}"


def format_named_table(named: list[dict[str, Any]]) -> str:
    rows = [
        f"{'warehouse':>9}  {'project':>8}  {'assets':>6}  {'bare_s':>7}  {'naive_s':>7}  "
        f"{'naive':>6}  {'dagster_s':>9}  {'ratio':>6}  {'first_node_s':>12}  {'ui_s':>6}  "
        f"{'ui':>5}  {'ui_first_node_s':>15}"
    ]
    for n in named:
        ui = n.get("ui")
        ui_columns = (
            f"{ui['seconds']:>6.1f}  {n['ui_ratio']:>5.2f}  {ui['click_to_first_node_s']:>15.1f}"
            if ui
            else f"{'-':>6}  {'-':>5}  {'-':>15}"
        )
        rows.append(
            f"{_warehouse(n):>9}  {n['name']:>8}  {n['assets']:>6}  {n['bare_s']:>7.1f}  "
            f"{_naive(n)}  {n['dagster_s']:>9.1f}  "
            f"{n['ratio']:>6.2f}  {n['first_node_s']:>12.1f}  {ui_columns}"
        )
    return "\n".join(rows)


def format_table(sizes: list[dict[str, Any]]) -> str:
    header = (
        f"{'warehouse':>9}  {'models':>6}  {'bare_s':>7}  {'naive_s':>7}  {'naive':>6}  "
        f"{'dagster_s':>9}  {'ratio':>6}  {'ovh_ms/model':>12}  {'import_s':>8}  {'load_s':>6}  "
        f"{'load-import':>11}  {'rss_MB':>7}  {'bare_rss_MB':>11}"
    )
    rows = [header]
    for s in sizes:
        rows.append(
            f"{_warehouse(s):>9}  {s['models']:>6}  {s['bare_s']:>7.1f}  {_naive(s)}  "
            f"{s['dagster_s']:>9.1f}  {s['ratio']:>6.2f}  "
            f"{s['overhead_ms_per_model']:>12.1f}  {s['load']['import_s']:>8.2f}  "
            f"{s['load']['load_s']:>6.2f}  {s['load']['load_over_import_s']:>10.2f}s  "
            f"{s['rss_mb']:>7.0f}  {s['bare_rss_mb']:>11.0f}"
        )
    return "\n".join(rows)


def format_phases(sizes: list[dict[str, Any]]) -> str:
    lines = []
    for s in sizes:
        run = s["dagster_runs"][-1]
        phases = ", ".join(f"{k[:-2]}={v:.1f}s" for k, v in run["phases"].items() if v is not None)
        steps = len(run["run"]["steps"])
        lines.append(
            f"{_warehouse(s):>9} {s['models']:>6}: {steps} step(s), dbt inside dagster "
            f"{run['dbt_elapsed_s']:.1f}s; {phases}"
        )
    return "\n".join(lines)


def bench_line(sizes: list[dict[str, Any]], named: list[dict[str, Any]] | None = None) -> str:
    """`bench: small=…x demo=…x ratio600=…x ratio3000=…x first_node_ms=… load_over_import3000=…s
    rss3000=…MB pg600=…x`; what was not measured in this run reads `n/a`.

    Everything but `pg…` is from the DuckDB rows (the goals are set on them); `pg600` is the
    Postgres row's ratio at 600 models, and any other Postgres row adds `pg{N}=` (`pgdemo=`,
    `pgsmall=` for the small projects).
    """
    by_name = {n["name"]: n for n in named or [] if _warehouse(n) == "duckdb"}
    by_size = {s["models"]: s for s in sizes if _warehouse(s) == "duckdb"}
    pg_by_name = {n["name"]: n for n in named or [] if _warehouse(n) == "postgres"}
    pg_by_size = {s["models"]: s for s in sizes if _warehouse(s) == "postgres"}
    largest = by_size[max(by_size)] if by_size else None

    def ratio(row: dict[str, Any] | None) -> str:
        return f"{row['ratio']:.2f}x" if row else "n/a"

    first = by_name.get("demo") or by_name.get("fixture") or largest
    parts = [
        f"small={ratio(by_name.get('fixture'))}",
        f"demo={ratio(by_name.get('demo'))}",
        f"ratio600={ratio(by_size.get(600))}",
        f"ratio3000={ratio(by_size.get(3000))}",
        f"first_node_ms={1000 * first['first_node_s']:.0f}" if first else "first_node_ms=n/a",
    ]
    n = largest["models"] if largest else 3000
    if largest:
        parts += [
            f"load_over_import{n}={largest['load']['load_over_import_s']:.2f}s",
            f"rss{n}={largest['rss_mb']:.0f}MB",
        ]
    else:
        parts += [f"load_over_import{n}=n/a", f"rss{n}=n/a"]
    ui = next((n for n in by_name.values() if n.get("ui")), None)
    ui_field = {"fixture": "ui_small", "demo": "ui_demo"}.get(ui["name"], "ui") if ui else ""
    parts += [
        f"{ui_field}={ui['ui_ratio']:.2f}x" if ui else "ui_small=n/a",
        f"ui_first_node_ms={1000 * ui['ui']['click_to_first_node_s']:.0f}"
        if ui
        else "ui_first_node_ms=n/a",
    ]
    parts.append(f"pg600={ratio(pg_by_size.get(600))}")
    extra = [f"ratio{m}={ratio(row)}" for m, row in by_size.items() if m not in (600, 3000)]
    extra += [f"pg{m}={ratio(row)}" for m, row in pg_by_size.items() if m != 600]
    small = {"fixture": "pgsmall", "demo": "pgdemo"}
    extra += [f"{small[name]}={ratio(row)}" for name, row in pg_by_name.items() if name in small]
    return "bench: " + " ".join(parts + extra)
