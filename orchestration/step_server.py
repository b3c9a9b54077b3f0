"""The forkserver of this process's local steps, started as early as the process knows it will
run steps (lib/forkserver.py): `make run` before it imports Dagster, a run worker before it builds
the definitions. Steps in ECS tasks (STEP_EXECUTOR=ecs) fork nothing here."""

from orchestration import settings
from orchestration.lib.errors import ConfigError
from orchestration.lib.forkserver import start_step_forkserver

# Imports the definitions, and keeps a failure to load them to the run's own process.
STEP_PRELOAD = "orchestration.cli.step_preload"


def start_local_step_forkserver() -> None:
    try:
        steps_in_ecs = settings.step_executor() == "ecs"
    except ConfigError:
        return  # the run's own process says what is wrong, without a traceback
    if not steps_in_ecs:
        start_step_forkserver([STEP_PRELOAD])
