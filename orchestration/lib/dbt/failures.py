"""What failed in a dbt invocation, said once per node, in dbt's own words.

dagster-dbt's error for a failed `dbt build` carries the wrapper command, dbt's log lines with
their colour codes, and each error as often as dbt logs it (the node's line, the summary, ...),
under a Python stack trace. A data team needs which model or test failed, where its file is,
and dbt's message: `run_results.json` holds exactly that, once per node.
"""

import re
from collections.abc import Mapping
from typing import Any

FAILED_STATUSES = ("error", "fail", "runtime error")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A generic test's message ends with where dbt wrote its compiled SQL: a path on the worker.
_COMPILED_AT = re.compile(r"\n\s*compiled code at \S+\s*$")
# dbt's heading of one node's failure, as its console prints it: "Runtime Error in model fct_x
# (models/fct_x.sql)", "Failure in test not_null_x_id (models/x.yml)".
NODE_HEADING = re.compile(r"^(\w[\w ]* Error|Failure) in \w+ \S+ \(.*\)$")
SUMMARY_TITLE = re.compile(r"\bdbt: \d+ nodes? failed\.$", re.MULTILINE)


def failed_nodes(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[list[str]]:
    """For each node that errored or failed: its heading, then dbt's message, line by line."""
    nodes = manifest.get("nodes", {})
    failed = []
    for result in run_results.get("results", []):
        status = str(result.get("status", "")).lower()
        if status not in FAILED_STATUSES:
            continue
        unique_id = str(result.get("unique_id", ""))
        node = nodes.get(unique_id, {})
        resource_type = node.get("resource_type") or unique_id.split(".")[0]
        name = node.get("name") or unique_id.rsplit(".", 1)[-1]
        where = node.get("original_file_path") or "?"
        message = _COMPILED_AT.sub("", _ANSI.sub("", str(result.get("message") or "")))
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        if not lines or not NODE_HEADING.match(lines[0]):
            kind = "Failure" if status == "fail" else "Error"
            lines.insert(0, f"{kind} in {resource_type} {name} ({where})")
        failed.append(lines)
    return failed


def failure_summary(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> str | None:
    """dbt's heading per failed node and its message indented under it; None if none failed."""
    failed = failed_nodes(run_results, manifest)
    if not failed:
        return None
    noun = "node" if len(failed) == 1 else "nodes"
    lines = [f"dbt: {len(failed)} {noun} failed."]
    for heading, *message in failed:
        lines += [heading, *(f"  {line}" for line in message)]
    return "\n".join(lines)
