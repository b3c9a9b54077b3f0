"""What the early steps' forkserver imports (orchestration/step_server.py, for `make run` and run
workers): the definitions, which import Dagster and dagster-dbt with them.

Definitions that fail to load (a setting, the dbt project) are not the server's to report: it
would print a traceback and die. The run's own process loads them too, and says what is wrong.
"""

import contextlib

with contextlib.suppress(Exception):
    import orchestration.definitions  # noqa: F401
