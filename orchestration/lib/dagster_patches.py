"""The patches of Dagster internals, each guarded by the version it was checked against.

1. A step's output asset keys, computed once per step. Dagster checks every output a step yields
against `StepExecutionContext.get_output_asset_keys()` (outputs must come in topological order).
In dagster 1.13.27 that call rebuilds, for each of the step's outputs, the set of every asset and
check key of the multi-asset: O(n^2) per yielded output, O(n^3) per step. With the whole dbt
graph in one step (DBT_STEPS=one) that grows to minutes on large projects (benchmarks/). The answer
depends only on the step and its selection, which do not change while the step runs, so it is
cached on the step's context.

2. A step that starts on its inputs does not wait for a check that never ran. With the executor
setting `require_upstream_step_success: false` a step starts once every output it reads has been
produced; Dagster also counts the outputs of *blocking asset checks* among them. dbt does not run
every test of a subset run (its `buildable` selection leaves out a test whose other parent is not
selected), so such a check's output never comes, and the step downstream waited forever although
the step upstream had finished. Patched: a check output of a step that has finished is not waited
for, and its absence does not abandon the step (Dagster itself, with the default setting, logs a
missing check result and proceeds). orchestration/executors.py sets the executor option only
where this patch is in place.

Guarded by version: on any other dagster version nothing is patched (a newer one may have fixed
it, or changed the method). The cost is speed for the first, and for the second the executor
keeps Dagster's default (a failed step stops every step below it).
"""

import functools
from typing import TYPE_CHECKING

import dagster

if TYPE_CHECKING:
    from dagster._core.execution.context.system import StepExecutionContext
    from dagster._core.execution.plan.active import ActiveExecution

CHECKED_DAGSTER_VERSION = "1.13.27"
_CACHE_ATTRIBUTE = "_orchestration_output_asset_keys"


def cache_step_output_asset_keys() -> bool:
    """Apply the patch (idempotent). Returns whether it is in place."""
    if not _on_checked_version():
        return False
    # Imported only on the checked version: another one may have moved it (private API list:
    # orchestration/lib/private_api.py).
    from dagster._core.execution.context.system import StepExecutionContext

    original = StepExecutionContext.get_output_asset_keys
    if getattr(original, "_orchestration_cached", False):
        return True

    @functools.wraps(original)
    def get_output_asset_keys(self: "StepExecutionContext"):  # type: ignore[no-untyped-def]
        cached = getattr(self, _CACHE_ATTRIBUTE, None)
        if cached is None:
            cached = frozenset(original(self))
            setattr(self, _CACHE_ATTRIBUTE, cached)
        return cached

    get_output_asset_keys._orchestration_cached = True  # type: ignore[attr-defined]
    StepExecutionContext.get_output_asset_keys = get_output_asset_keys  # type: ignore[method-assign]
    return True


def _on_checked_version() -> bool:
    return dagster.__version__ == CHECKED_DAGSTER_VERSION


def steps_can_start_on_their_inputs() -> bool:
    """Whether this dagster version is the one `wait_only_for_checks_that_can_come` fits."""
    return _on_checked_version()


def wait_only_for_checks_that_can_come() -> bool:
    """Apply patch 2 (idempotent). Returns whether it is in place."""
    if not steps_can_start_on_their_inputs():
        return False
    from dagster._core.execution.plan.active import ActiveExecution

    if getattr(ActiveExecution._all_upstream_outputs_produced, "_orchestration_patched", False):
        return True

    def _unrun_check(self: "ActiveExecution", handle) -> bool:  # type: ignore[no-untyped-def]
        """A blocking check's output that its step, now finished, did not produce."""
        finished = self._success | self._failed | self._skipped | self._abandoned
        return (
            handle.step_key in finished
            and handle not in self._step_outputs
            and self._plan.get_step_output(handle).properties.asset_check_key is not None
        )

    def _upstream_handles(self: "ActiveExecution", step_key: str):  # type: ignore[no-untyped-def]
        for step_input in self.get_step_by_key(step_key).step_inputs:
            yield from step_input.get_step_output_handle_dependencies()

    def all_upstream_outputs_produced(self: "ActiveExecution", step_key: str) -> bool:
        return all(
            self._has_produced_output(handle) or _unrun_check(self, handle)
            for handle in _upstream_handles(self, step_key)
        )

    def all_upstream_outputs_failed_or_abandoned(self: "ActiveExecution", step_key: str) -> bool:
        given_up = self._failed | self._abandoned
        return any(
            handle not in self._step_outputs
            and handle.step_key in given_up
            and not _unrun_check(self, handle)
            for handle in _upstream_handles(self, step_key)
        )

    all_upstream_outputs_produced._orchestration_patched = True  # type: ignore[attr-defined]
    ActiveExecution._all_upstream_outputs_produced = all_upstream_outputs_produced  # type: ignore[method-assign]
    ActiveExecution._all_upstream_outputs_failed_or_abandoned = (  # type: ignore[method-assign]
        all_upstream_outputs_failed_or_abandoned
    )
    return True
