"""The one patch of a Dagster internal: a step's output asset keys, computed once per step.

Dagster checks every output a step yields against `StepExecutionContext.get_output_asset_keys()`
(outputs must come in topological order). In dagster 1.13.27 that call rebuilds, for each of the
step's outputs, the set of every asset and check key of the multi-asset: O(n^2) per yielded
output, O(n^3) per step. With the whole dbt graph in one step (DBT_STEPS=one) that is seconds at
600 models and minutes at 3000. The answer depends only on the step and its selection, which do
not change while the step runs, so it is cached on the step's context.

Guarded by version: on any other dagster version nothing is patched (a newer one may have fixed
it, or changed the method), and the cost is only speed.
"""

import functools
from typing import TYPE_CHECKING

import dagster

if TYPE_CHECKING:
    from dagster._core.execution.context.system import StepExecutionContext

CHECKED_DAGSTER_VERSION = "1.13.27"
_CACHE_ATTRIBUTE = "_orchestration_output_asset_keys"


def cache_step_output_asset_keys() -> bool:
    """Apply the patch (idempotent). Returns whether it is in place."""
    if dagster.__version__ != CHECKED_DAGSTER_VERSION:
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
