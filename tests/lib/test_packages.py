"""When dbt deps must run, and the one paragraph it fails with."""

from orchestration.lib.dbt.packages import (
    deps_failure_message,
    deps_needed,
    package_files_digest,
)

HUB_FAILURE = """\
Traceback (most recent call last):
  File "/x/dbt/clients/registry.py", line 189, in index
dbt_common.exceptions.connection.ConnectionError: External connection exception occurred: \
HTTPSConnectionPool(host='hub.getdbt.com', port=443): Max retries exceeded
"""


def _project(tmp_path, packages_yml: str | None):
    project = tmp_path / "p"
    project.mkdir(parents=True)
    if packages_yml is not None:
        (project / "packages.yml").write_text(packages_yml)
    return project


def test_no_declared_packages_never_need_deps(tmp_path):
    project = _project(tmp_path, "packages: []\n")
    assert not deps_needed(project, project / "dbt_packages", None)
    assert not deps_needed(_project(tmp_path / "b", None), tmp_path / "none", None)


def test_a_missing_or_empty_packages_folder_needs_deps(tmp_path):
    project = _project(tmp_path, "packages:\n  - local: vendor/x\n")
    assert deps_needed(project, project / "dbt_packages", None)
    (project / "dbt_packages").mkdir()
    assert deps_needed(project, project / "dbt_packages", None)


def test_an_installed_folder_is_used_until_the_package_files_change(tmp_path):
    project = _project(tmp_path, "packages:\n  - package: dbt-labs/dbt_utils\n")
    (project / "dbt_packages" / "dbt_utils").mkdir(parents=True)
    # Installed by someone else (an image build): trusted, no network needed.
    assert not deps_needed(project, project / "dbt_packages", None)
    recorded = package_files_digest(project)
    assert not deps_needed(project, project / "dbt_packages", recorded)
    (project / "package-lock.yml").write_text("packages: []\n")
    assert deps_needed(project, project / "dbt_packages", recorded)


def test_unreachable_hub_gives_one_paragraph_with_the_package_and_both_fixes(tmp_path):
    project = _project(tmp_path, "packages:\n  - package: dbt-labs/dbt_utils\n  - local: v/x\n")
    message = deps_failure_message(project, HUB_FAILURE)
    assert "\n" not in message
    assert "dbt-labs/dbt_utils" in message and "local: v/x" not in message
    assert "cannot be reached" in message and "hub.getdbt.com" in message
    assert "- local: vendor/<name>" in message and "image build" in message
    assert "Traceback" not in message and "File " not in message
