"""Sandboxes over the SLA and alert drills' dbt project (see drills.py)."""

from tests.alerts.drills import freshness_sandbox, parsed_freshness_project

__all__ = ["freshness_sandbox", "parsed_freshness_project"]
