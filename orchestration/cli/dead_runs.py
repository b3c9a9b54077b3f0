"""Before `make dev` starts: fail the runs a killed `make dev` left STARTED (lib/dead_runs.py).

The daemon's run monitoring cannot tell that a local run worker died with its code server;
left alone, such a run keeps its pool slots and every later dbt step waits behind it.
"""

from dagster import DagsterInstance

from orchestration.lib.dead_runs import fail_dead_runs

if __name__ == "__main__":
    with DagsterInstance.get() as instance:
        fail_dead_runs(instance)
