"""The README's configuration table matches what the code reads: every setting of
orchestration/settings.py has a row with its default, and every other row is read somewhere."""

import ast
import re

import pytest

from tests.harness.sandbox import REPO_ROOT

pytestmark = pytest.mark.unit

README = REPO_ROOT / "README.md"
SETTINGS = REPO_ROOT / "orchestration" / "settings.py"
# Rows the table may hold although settings.py does not read them: each is read by one of these.
READ_ELSEWHERE = (REPO_ROOT / "dbt_project" / "profiles.yml", REPO_ROOT / "Makefile")
# Read by Dagster and dagster-dbt themselves (nothing in this repository reads them).
DAGSTER_OWN = {"FRESHNESS_DAEMON_INTERVAL_SECONDS", "DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS"}

NAME = re.compile(r"`(_?[A-Z][A-Z0-9_]*)`")


def configuration_rows() -> dict[str, str]:
    """Setting name -> its default cell, from the one table under "## Configuration"."""
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 3:
            continue
        prefix = ""
        for name in NAME.findall(cells[0]):
            if name.startswith("_"):  # `DBT_POSTGRES_HOST`, `_PORT`: the prefix of the first
                name = prefix + name
            else:
                prefix = name.rsplit("_", 1)[0]
            rows[name] = cells[1]
    return rows


def settings_defaults() -> dict[str, str | None]:
    """Every environment variable settings.py reads -> its default when it is a plain value."""
    source = SETTINGS.read_text()
    names: dict[str, str | None] = {
        name: None
        for name in re.findall(r"(?:environ\.get|_setting)\(\s*\"([A-Z][A-Z0-9_]*)\"", source)
    }
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if not node.func.id.endswith("_setting") or not node.args:
            continue
        first = node.args[0]
        default = next((k.value for k in node.keywords if k.arg == "default"), None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and default:
            try:
                # A constant expression from our own source (`16 * 1024 * 1024`), no names.
                value = eval(compile(ast.Expression(default), "settings", "eval"), {})
            except NameError:  # a path built from other settings: not a plain value
                continue
            names[first.value] = str(value).lower() if isinstance(value, bool) else str(value)
    # `os.environ.get("X", "").strip() or "7"`
    fallback = re.compile(r"get\(\"([A-Z][A-Z0-9_]*)\", \"\"\)\.strip\(\) or \"([^\"]+)\"")
    for name, value in fallback.findall(source):
        names[name] = value
    return names


def test_every_setting_of_settings_py_has_a_row_with_its_default():
    rows = configuration_rows()
    defaults = settings_defaults()
    assert defaults, "no setting found in settings.py: the pattern above needs updating"
    missing = sorted(set(defaults) - set(rows))
    assert not missing, f"README 'Configuration' has no row for {missing}"
    wrong = {
        name: (rows[name], default)
        for name, default in defaults.items()
        if default is not None and not rows[name].startswith(f"`{default}`")
    }
    assert not wrong, f"README default differs from settings.py (README, code): {wrong}"


def test_every_row_is_read_by_the_code_or_named_as_dagster_own():
    elsewhere = "\n".join(path.read_text() for path in READ_ELSEWHERE)
    read = set(settings_defaults()) | DAGSTER_OWN
    unread = sorted(
        name for name in configuration_rows() if name not in read and name not in elsewhere
    )
    assert not unread, f"README 'Configuration' lists settings nothing reads: {unread}"
