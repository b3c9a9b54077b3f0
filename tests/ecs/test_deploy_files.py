"""The files in deploy/ agree with each other: every variable one reads, another provides.

Fast and static (no servers): the end-to-end proof is tests/ecs/test_ecs_deployment.py; these
catch drift between the pieces as they are edited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ecs.stack import DEPLOY, IAM_POLICIES, TASK_DEFINITIONS, render

DAGSTER_YAML = DEPLOY / "dagster.yaml"
WORKSPACE_YAML = DEPLOY / "workspace.yaml"
PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


def _env_refs(node: Any) -> Iterator[str]:
    """Every ``{env: NAME}`` in a Dagster YAML document."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            yield node["env"]
        for value in node.values():
            yield from _env_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _env_refs(value)


def _rendered(name: str) -> dict[str, Any]:
    template = (TASK_DEFINITIONS / f"{name}.json").read_text()
    values = {key: f"<{key}>" for key in PLACEHOLDER.findall(template)}
    values |= {"CODE_SERVER_PORT": "4000", "WEBSERVER_PORT": "3000"}
    return json.loads(render(TASK_DEFINITIONS / f"{name}.json", values))


def _container(name: str) -> dict[str, Any]:
    (container,) = _rendered(name)["containerDefinitions"]
    return container


def _provided(container: dict[str, Any]) -> set[str]:
    return {e["name"] for e in container.get("environment", [])} | {
        s["name"] for s in container.get("secrets", [])
    }


def test_the_system_services_provide_every_variable_the_instance_and_workspace_read() -> None:
    needed = set(_env_refs(yaml.safe_load(DAGSTER_YAML.read_text()))) | set(
        _env_refs(yaml.safe_load(WORKSPACE_YAML.read_text()))
    )
    for service in ("daemon", "webserver"):
        missing = needed - _provided(_container(service))
        assert not missing, f"deploy/ecs/{service}.json does not set {sorted(missing)}"


def test_run_tasks_get_every_variable_the_instance_reads() -> None:
    """Run workers rebuild the instance from the daemon's instance_ref, resolving {env: ...}
    themselves: each variable must be forwarded (env_vars) or be an ECS secret."""
    config = yaml.safe_load(DAGSTER_YAML.read_text())
    launcher = config["run_launcher"]["config"]
    forwarded = set(launcher["env_vars"]) | {s["name"] for s in launcher["secrets"]}
    missing = set(_env_refs(config)) - forwarded
    assert not missing, f"run_launcher.env_vars of deploy/dagster.yaml lacks {sorted(missing)}"


def test_the_postgres_password_is_a_secret_everywhere() -> None:
    for service in ("daemon", "webserver", "code-server"):
        container = _container(service)
        assert "DAGSTER_PG_PASSWORD" not in {e["name"] for e in container["environment"]}
    config = yaml.safe_load(DAGSTER_YAML.read_text())
    assert "DAGSTER_PG_PASSWORD" not in config["run_launcher"]["config"]["env_vars"]


def test_code_server_forwards_its_own_code_location_settings_to_run_tasks() -> None:
    """Run and step tasks must see the settings the code server built the definitions with
    (the executor, pools, warehouse): DAGSTER_CONTAINER_CONTEXT repeats them, value for value."""
    container = _container("code-server")
    env = {e["name"]: e["value"] for e in container["environment"]}
    context = json.loads(env["DAGSTER_CONTAINER_CONTEXT"])["ecs"]
    forwarded = dict(item.split("=", 1) for item in context["env_vars"])
    settings = {k: v for k, v in env.items() if k not in ("DAGSTER_CONTAINER_CONTEXT",)}
    settings.pop("DAGSTER_CURRENT_IMAGE")
    assert forwarded == settings
    assert env["DAGSTER_CURRENT_IMAGE"] == container["image"]  # run tasks use this very image


@pytest.mark.parametrize("name", ["daemon", "webserver", "code-server"])
def test_task_definitions_are_fargate_ready(name: str) -> None:
    definition = _rendered(name)
    (container,) = definition["containerDefinitions"]
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    for mapping in container.get("portMappings", []):
        assert str(mapping["containerPort"]) in container["command"]


def test_instance_config_is_valid_for_dagster(tmp_path: Path) -> None:
    from dagster._core.instance.config import dagster_instance_config

    (tmp_path / "dagster.yaml").symlink_to(DAGSTER_YAML)
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["run_launcher"]["class"] == "EcsRunLauncher"
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["run_monitoring"]["max_resume_run_attempts"] == 0
    assert config["run_retries"]["enabled"] is True
    assert config["concurrency"]["pools"] == {"granularity": "op", "default_limit": 1}


def test_workspace_names_the_same_code_location_as_local() -> None:
    local = yaml.safe_load((DEPLOY.parent / "workspace.yaml").read_text())
    prod = yaml.safe_load(WORKSPACE_YAML.read_text())
    (local_entry,) = local["load_from"]
    (prod_entry,) = prod["load_from"]
    assert (
        prod_entry["grpc_server"]["location_name"] == local_entry["python_module"]["location_name"]
    )


@pytest.mark.parametrize("policy", sorted(p.stem for p in IAM_POLICIES.glob("*.json")))
def test_iam_policies_are_json_with_only_placeholders_left(policy: str) -> None:
    text = (IAM_POLICIES / f"{policy}.json").read_text()
    values = {key: f"x{key.lower()}" for key in PLACEHOLDER.findall(text)}
    document = json.loads(render(IAM_POLICIES / f"{policy}.json", values))
    assert document["Version"] == "2012-10-17" and document["Statement"]


def test_the_code_location_writes_to_postgres_and_its_password_is_a_secret_only() -> None:
    """Production's warehouse is a dbt `postgres` target, set by the code server's environment
    (and forwarded to run tasks); DBT_POSTGRES_PASSWORD is plain environment nowhere: it reaches
    run tasks as a Secrets Manager secret tagged `dagster` (secrets_tag of deploy/dagster.yaml)."""
    env = {e["name"]: e["value"] for e in _container("code-server")["environment"]}
    assert {"DBT_TARGET", "DBT_POSTGRES_HOST", "DBT_POSTGRES_USER", "DBT_POSTGRES_DB"} <= set(env)
    assert "DUCKDB_PATH" not in env  # a DuckDB file on a shared disk is the exception (README)
    for service in ("daemon", "webserver", "code-server"):
        assert "DBT_POSTGRES_PASSWORD" not in json.dumps(_container(service))
    config = yaml.safe_load(DAGSTER_YAML.read_text())["run_launcher"]["config"]
    assert config["secrets_tag"] == "dagster"
    assert "DBT_POSTGRES_PASSWORD" not in config["env_vars"]
