"""Why declarative automation requested a run, read back from the instance's evaluation records
(what the UI's "Automation" tab of an asset shows), so a test that counts runs can say why an
unexpected one exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance
    from dagster._core.definitions.declarative_automation.serialized_objects import (
        AutomationConditionEvaluation,
    )
    from dagster._core.storage.dagster_run import DagsterRun

# The evaluations kept per asset to search for the one that launched a run.
EVALUATIONS_SEARCHED = 50


def _true_labels(evaluation: AutomationConditionEvaluation, depth: int = 0) -> list[str]:
    """The labelled or named nodes of an evaluation tree that were true, indented by depth."""
    if not evaluation.true_subset.value:  # unpartitioned: a bool
        return []
    snapshot = evaluation.condition_snapshot
    name = snapshot.label or snapshot.name
    lines = [f"{'  ' * depth}{name}"] if name else []
    for child in evaluation.child_evaluations:
        lines += _true_labels(child, depth + 1 if name else depth)
    return lines


def explain_automation_run(instance: DagsterInstance, run: DagsterRun) -> str:
    """Per asset of an automation run, the conditions that were true when it was requested."""
    explained = [f"run {run.run_id} ({run.job_name}, tags {dict(run.tags)}):"]
    for key in sorted(run.asset_selection or (), key=lambda k: k.to_user_string()):
        records = instance.schedule_storage.get_auto_materialize_asset_evaluations(  # pyright: ignore[reportOptionalMemberAccess]
            key, limit=EVALUATIONS_SEARCHED
        )
        launching = next(
            (
                record.get_evaluation_with_run_ids()
                for record in records
                if run.run_id in record.get_evaluation_with_run_ids().run_ids
            ),
            None,
        )
        if launching is None:
            explained.append(f"- {key.to_user_string()}: no evaluation names this run")
            continue
        explained.append(f"- {key.to_user_string()}:")
        explained += [f"    {line}" for line in _true_labels(launching.evaluation)]
    return "\n".join(explained)
