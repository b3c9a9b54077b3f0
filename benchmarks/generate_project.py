"""Generate a synthetic dbt project with N models, deterministically from a seed.

The project is shaped like a real one for the orchestrator, and trivial for the warehouse, so a
benchmark over it measures orchestration rather than SQL:

* models sit in layer folders (``models/layer_00/`` ... ``models/layer_NN/``), so folder-based
  grouping and step slicing have something to slice;
* ``layer_00`` holds base models that need no raw data: most select from
  ``generate_series(0, 99) as g(n)`` (a table function DuckDB and Postgres both have, with the
  same integer rows as DuckDB's ``range(100)``), a few from one small seed
  (``seeds/bench_seed.csv``);
* every other model refs 1-3 models of earlier layers (mostly the layer just above), joined on
  ``id``: every model has the same 100 rows with a unique ``id``, so tests always pass;
* about half the models are tables and half views; a view only refs tables (and base models are
  tables), so no query ever expands a long chain of views;
* about 1 in 5 models gets ``not_null`` and ``unique`` data tests on ``id``;
* ``profiles.yml`` sits in the project: target ``local`` reads ``env_var('DUCKDB_PATH')``,
  target ``postgres`` (``DBT_TARGET=postgres``) the ``DBT_POSTGRES_*`` variables as the demo's
  profile does; threads come from ``DBT_THREADS`` (default 4) on both.

``bench_meta.json`` (next to ``dbt_project.yml``) records what was generated, for verification.

    python -m benchmarks.generate_project --models 600 --out benchmarks/projects/p600
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

PROJECT_NAME = "bench_project"
SEED_NAME = "bench_seed"
ROWS = 100
MARKER = "bench_meta.json"


@dataclass
class ProjectMeta:
    """What a generated project contains; written to ``bench_meta.json``."""

    models: int
    seeds: int
    tables: int
    views: int
    tested_models: int
    data_tests: int
    layers: int
    folders: int
    seed: int

    @property
    def assets(self) -> int:
        """Assets the orchestrator should materialize: every model and seed."""
        return self.models + self.seeds


@dataclass
class _Model:
    name: str
    layer: int
    materialized: str
    parents: list[str]
    from_seed: bool = False
    tested: bool = False


def layer_count(models: int) -> int:
    """A few folders for small projects, ten for big ones."""
    return max(2, min(10, models // 25))


def plan_models(models: int, seed: int = 0) -> list[_Model]:
    if models < 1:
        raise ValueError("--models must be at least 1")
    rng = random.Random(seed)
    layers = min(layer_count(models), models)
    per_layer = [models]
    if layers > 1:  # ~10% base models, the rest spread evenly over the layers above them
        base = max(1, models // 10)
        upper, extra = divmod(models - base, layers - 1)
        per_layer = [base] + [upper + (i < extra) for i in range(layers - 1)]

    planned: list[_Model] = []
    by_layer: list[list[_Model]] = []
    index = 0
    for layer, count in enumerate(per_layer):
        current: list[_Model] = []
        for _ in range(count):
            name = f"m{layer:02d}_{index:05d}"
            index += 1
            if layer == 0:
                model = _Model(name, 0, "table", [], from_seed=rng.random() < 0.2)
            else:
                materialized = "table" if rng.random() < 0.5 else "view"
                model = _Model(
                    name, layer, materialized, _pick_parents(rng, by_layer, materialized)
                )
            model.tested = rng.random() < 0.2
            current.append(model)
        by_layer.append(current)
        planned.extend(current)
    return planned


def _pick_parents(rng: random.Random, by_layer: list[list[_Model]], materialized: str) -> list[str]:
    """1-3 distinct upstream models; mostly from the previous layer; views ref tables only."""

    def eligible(models: list[_Model]) -> list[_Model]:
        return [m for m in models if materialized == "table" or m.materialized == "table"]

    previous = eligible(by_layer[-1])
    earlier = eligible([m for layer in by_layer for m in layer])  # layer 0 is all tables
    wanted = rng.choice((1, 2, 2, 3))
    parents: list[str] = []
    for _ in range(wanted * 3):  # a few tries to find distinct parents
        if len(parents) == wanted:
            break
        pool = previous if previous and rng.random() < 0.7 else earlier
        candidate = rng.choice(pool).name
        if candidate not in parents:
            parents.append(candidate)
    return parents


def _model_sql(model: _Model, seed_index: int) -> str:
    header = f"{{{{ config(materialized='{model.materialized}') }}}}\n"
    if not model.parents:
        factor = seed_index % 7 + 2
        if model.from_seed:
            source = f"{{{{ ref('{SEED_NAME}') }}}}"
            return header + f"select id, val * {factor} as val from {source}\n"
        rows = f"generate_series(0, {ROWS - 1}) as g(n)"
        return header + f"select g.n as id, g.n * {factor} as val from {rows}\n"
    first, *others = model.parents
    value = " + ".join(f"p{i}.val" for i in range(len(model.parents)))
    lines = [header + f"select p0.id, {value} as val", f"from {{{{ ref('{first}') }}}} as p0"]
    for i, parent in enumerate(others, start=1):
        lines.append(f"join {{{{ ref('{parent}') }}}} as p{i} on p{i}.id = p0.id")
    return "\n".join(lines) + "\n"


def _schema_yml(models: list[_Model]) -> str:
    lines = ["version: 2", "", "models:"]
    for model in models:
        lines += [f"  - name: {model.name}", "    description: Synthetic benchmark model."]
        if model.tested:
            lines += [
                "    columns:",
                "      - name: id",
                "        data_tests:",
                "          - not_null",
                "          - unique",
            ]
    return "\n".join(lines) + "\n"


DBT_PROJECT_YML = f"""\
# Generated by benchmarks/generate_project.py: do not edit, regenerate.
name: {PROJECT_NAME}
version: "1.0.0"
profile: {PROJECT_NAME}
model-paths: ["models"]
seed-paths: ["seeds"]

models:
  {PROJECT_NAME}:
    +materialized: view
"""

PROFILES_YML = f"""\
# Generated by benchmarks/generate_project.py.
{PROJECT_NAME}:
  target: local
  outputs:
    local:
      type: duckdb
      path: "{{{{ env_var('DUCKDB_PATH') }}}}"
      threads: "{{{{ env_var('DBT_THREADS', '4') | int }}}}"
    postgres:
      type: postgres
      host: "{{{{ env_var('DBT_POSTGRES_HOST') }}}}"
      port: "{{{{ env_var('DBT_POSTGRES_PORT', '5432') | int }}}}"
      user: "{{{{ env_var('DBT_POSTGRES_USER') }}}}"
      password: "{{{{ env_var('DBT_POSTGRES_PASSWORD') }}}}"
      dbname: "{{{{ env_var('DBT_POSTGRES_DB') }}}}"
      schema: bench
      threads: "{{{{ env_var('DBT_THREADS', '4') | int }}}}"
      sslmode: "{{{{ env_var('DBT_POSTGRES_SSLMODE', 'prefer') }}}}"
"""


def generate(models: int, out: Path, seed: int = 0, folders: int | None = None) -> ProjectMeta:
    """Write the project into ``out`` (replacing a previously generated one) and return its meta.

    By default each DAG layer gets its own folder (``models/layer_NN``). ``folders=F`` spreads
    the same DAG over F folders instead (``models/group_NN``, consecutive layers together):
    ``folders=1`` is a flat project, i.e. one folder-based slice holding every model.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise FileExistsError(f"{out} exists, is not empty and was not generated here: refusing")
    if out.exists():
        shutil.rmtree(out)
    (out / "models").mkdir(parents=True)
    (out / "seeds").mkdir()

    planned = plan_models(models, seed)
    layers = max(m.layer for m in planned) + 1
    (out / "dbt_project.yml").write_text(DBT_PROJECT_YML)
    (out / "profiles.yml").write_text(PROFILES_YML)
    (out / "seeds" / f"{SEED_NAME}.csv").write_text(
        "id,val\n" + "".join(f"{i},{i * 3}\n" for i in range(ROWS))
    )
    if folders is not None and folders < 1:
        raise ValueError("--folders must be at least 1")

    def folder_name(layer: int) -> str:
        if folders is None:
            return f"layer_{layer:02d}"
        return f"group_{layer * min(folders, layers) // layers:02d}"

    for name in sorted({folder_name(layer) for layer in range(layers)}):
        folder = out / "models" / name
        folder.mkdir()
        in_folder = [m for m in planned if folder_name(m.layer) == name]
        for i, model in enumerate(in_folder):
            (folder / f"{model.name}.sql").write_text(_model_sql(model, i))
        (folder / f"_{name}.yml").write_text(_schema_yml(in_folder))

    tested = sum(m.tested for m in planned)
    meta = ProjectMeta(
        models=len(planned),
        seeds=1,
        tables=sum(m.materialized == "table" for m in planned),
        views=sum(m.materialized == "view" for m in planned),
        tested_models=tested,
        data_tests=2 * tested,
        layers=layers,
        folders=len({folder_name(layer) for layer in range(layers)}),
        seed=seed,
    )
    (out / MARKER).write_text(json.dumps(asdict(meta), indent=2) + "\n")
    return meta


def read_meta(project_dir: Path) -> ProjectMeta:
    return ProjectMeta(**json.loads((Path(project_dir) / MARKER).read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic dbt project.")
    parser.add_argument("--models", type=int, required=True, help="number of dbt models")
    parser.add_argument("--out", type=Path, required=True, help="project folder to (re)create")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--folders", type=int, help="spread the layers over this many folders (1 = flat project)"
    )
    args = parser.parse_args(argv)
    meta = generate(args.models, args.out, args.seed, args.folders)
    print(f"generated {args.out}: {json.dumps(asdict(meta))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
