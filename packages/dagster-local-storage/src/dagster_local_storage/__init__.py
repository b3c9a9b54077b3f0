"""Storage for the local (embedded) Dagster instance; production uses Postgres instead.

It is its own distribution because two environments load the instance's dagster.yaml: the code
location's (`make run`, run workers, step processes) and the system's (webserver, daemon), which
must not import orchestration/ or dbt.
"""
