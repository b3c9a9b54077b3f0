"""STEP_EXECUTOR picks the code location's executor: configuration, not code edits."""

import pytest

from orchestration.executors import default_executor
from orchestration.settings import ConfigError


def test_default_is_the_forkserver_multiprocess_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEP_EXECUTOR", raising=False)
    executor = default_executor()
    assert executor.name == "multiprocess"
    assert executor.config_schema.as_field().is_required is False  # configured: nothing to fill


def test_step_executor_ecs_selects_dagster_aws_ecs_executor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster_aws.ecs import ecs_executor

    monkeypatch.setenv("STEP_EXECUTOR", "ECS")
    executor = default_executor()
    assert executor.name == ecs_executor.name == "ecs"
    assert executor.config_schema.as_field().is_required is False  # configured: nothing to fill


def test_unknown_step_executor_names_the_setting_and_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEP_EXECUTOR", "k8s")
    with pytest.raises(ConfigError, match=r"STEP_EXECUTOR='k8s'.*multiprocess.*ecs"):
        default_executor()
