"""The browser lane: one real `make dev` on a fresh instance over the demo project, shared by
every test of this folder, and Debian's chromium driven by Playwright.

The stack starts as a new user's does: demo files in the landing zone, nothing built, nobody
clicking; the fixture waits until the first start has settled (no run queued or in progress
once a run has finished). Each test gets its own page and saves a screenshot of it under its
own tmp dir when it fails.
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.dagster_dev import make_dev
from tests.harness.sandbox import (
    DEMO_PROJECT,
    copy_dbt_project,
    make_sandbox,
    manifest_of,
)
from tests.harness.ui_stack import CHROMIUM, CHROMIUM_ARGS, UiStack
from tests.harness.waiting import HANG_TIMEOUT, wait_until


def pytest_runtest_makereport(item, call):
    # Expose each phase's outcome on the test item, for the screenshot-on-failure fixture.
    if call.when == "call":
        item.failed_in_call = call.excinfo is not None


@pytest.fixture(scope="package")
def ui_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    root = tmp_path_factory.mktemp("ui_stack")
    project = copy_dbt_project(DEMO_PROJECT, root / "dbt_project")
    sandbox = make_sandbox(root, project)
    sandbox.env.update(
        LANDING_SENSOR_INTERVAL_SECONDS="5",
        AUTOMATION_INTERVAL_SECONDS="5",
        # Dagster's own setting (default 60 s): on a CI machine shared by parallel suites, a
        # code server's answer can take longer, and the run it was asked to dequeue then fails.
        DAGSTER_GRPC_TIMEOUT_SECONDS="300",
    )
    sandbox.load_demo_data("--accounts", "40", "--days", "30")  # `make land` then skips
    with make_dev(sandbox.env, root / "make_dev.log") as server:
        started = time.monotonic()
        server.wait_for_assets()
        # The UI's one-time "Join the community" dialog, dismissed as its Skip button does.
        server.ui.graphql("mutation { setNuxSeen }")
        stack = UiStack(server, sandbox, manifest_of(project), server.ui.url, 0.0)
        with sandbox.instance() as instance:
            wait_until(
                lambda: instance.get_run_records(limit=1),
                HANG_TIMEOUT, "the first run of the first start", poll=1,
            )  # fmt: skip
        stack.settle()
        stack.settled_after_seconds = time.monotonic() - started
        yield stack


@pytest.fixture(scope="package")
def browser() -> Iterator:
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # never a download
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, ui_stack: UiStack, request: pytest.FixtureRequest, tmp_path: Path):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    # A bound on a hang, not a speed limit: on a loaded 2-core machine the UI's first render
    # and its queries were seen to take over a minute.
    context.set_default_timeout(HANG_TIMEOUT * 1000 / 2)
    page = context.new_page()
    yield page
    if getattr(request.node, "failed_in_call", False):
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()
