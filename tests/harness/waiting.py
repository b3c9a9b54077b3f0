"""The one way tests wait: poll for the exact state they need, bounded only against a hang."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# A bound on a hang, never a measure of speed: on a loaded 2-core machine a `make dev` stack can
# take minutes to reach a state, and a test that waits for a state must not fail for being slow.
HANG_TIMEOUT = 600.0


def wait_until(
    predicate: Callable[[], T | None], timeout: float, what: str, *, poll: float = 0.25
) -> T:
    """The predicate's first truthy value.

    Raises TimeoutError naming `what` once `timeout` seconds pass without one. The predicate may
    raise (e.g. an AssertionError when the process it waits on died) to stop waiting early.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(poll)
