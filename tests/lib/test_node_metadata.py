"""The compiled SQL a model's materialization shows: capped, fenced, and absent without a file."""

from pathlib import Path

import pytest

from orchestration.lib.dbt.node_metadata import (
    COMPILED_SQL_KEY,
    EXECUTION_SECONDS_KEY,
    MAX_SQL_CHARS,
    column_schema,
    compiled_sql,
    with_seconds_unit,
)

pytestmark = pytest.mark.unit

MANIFEST = {
    "nodes": {"model.p.m": {"package_name": "p", "original_file_path": "models/m.sql"}},
}


def _write_compiled(target: Path, sql: str) -> None:
    path = target / "compiled" / "p" / "models" / "m.sql"
    path.parent.mkdir(parents=True)
    path.write_text(sql)


def test_a_long_model_shows_its_head_and_where_the_whole_file_is(tmp_path: Path):
    _write_compiled(tmp_path, "select 1 as x\n" + "-- padding\n" * MAX_SQL_CHARS)
    markdown = compiled_sql(tmp_path, MANIFEST, "model.p.m")[COMPILED_SQL_KEY].value
    assert markdown.startswith("```sql\nselect 1 as x\n")
    assert len(markdown) < MAX_SQL_CHARS + 300
    assert markdown.endswith(f"`{tmp_path / 'compiled/p/models/m.sql'}`")


def test_sql_holding_a_fence_cannot_close_the_block(tmp_path: Path):
    _write_compiled(tmp_path, "select '```' as odd")
    markdown = compiled_sql(tmp_path, MANIFEST, "model.p.m")[COMPILED_SQL_KEY].value
    assert markdown == "````sql\nselect '```' as odd\n````"


def test_no_compiled_file_or_no_node_means_no_entry(tmp_path: Path):
    assert compiled_sql(tmp_path, MANIFEST, "model.p.m") == {}
    assert compiled_sql(tmp_path, MANIFEST, "seed.p.s") == {}


def test_seconds_keep_their_value_under_a_key_naming_the_unit():
    assert with_seconds_unit({"Execution Duration": 0.17, "a": 1}) == {
        "a": 1,
        EXECUTION_SECONDS_KEY: 0.17,
    }


def test_columns_keep_the_yaml_description_whatever_case_the_warehouse_gives_the_name():
    manifest = {"nodes": {"model.p.m": {"columns": {"Customer_Id": {"description": "Who."}}}}}
    value = column_schema([("customer_id", "integer"), ("n", "bigint")], manifest, "model.p.m")
    columns = value["dagster/column_schema"].value.columns
    assert [(c.name, c.type, c.description) for c in columns] == [
        ("customer_id", "integer", "Who."),
        ("n", "bigint", None),
    ]
