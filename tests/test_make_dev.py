"""`make dev` serves the UI with every dbt model, seed and snapshot as an asset."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from tests.conftest import DEMO_PROJECT, REPO_ROOT, copy_dbt_project, make_sandbox, manifest_of

ASSET_NODES = "{ assetNodes { assetKey { path } isMaterializable } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_make_dev_serves_every_dbt_node_over_graphql(tmp_path):
    project = copy_dbt_project(DEMO_PROJECT, tmp_path / "dbt_project")
    sandbox = make_sandbox(tmp_path, project)
    port = _free_port()
    env = {**sandbox.env, "DEV_PORT": str(port)}
    env.pop("MAKEFLAGS", None)
    log = (tmp_path / "make_dev.log").open("w")
    # Its own session, so the whole tree (make, dagster dev, code server, daemon) can be stopped.
    process = subprocess.Popen(
        ["make", "dev"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        expected = None
        served: set[tuple[str, ...]] = set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "make_dev.log").read_text()[-3000:]
            if expected is None and (project / "target" / "manifest.json").exists():
                manifest = manifest_of(project)
                expected = {
                    (node["name"],)
                    for node in manifest["nodes"].values()
                    if node["resource_type"] in ("model", "seed", "snapshot")
                }
            try:
                nodes = _graphql(port, ASSET_NODES)["data"]["assetNodes"]
                served = {tuple(n["assetKey"]["path"]) for n in nodes if n["isMaterializable"]}
            except (OSError, KeyError, TypeError):
                served = set()
            if expected and served == expected:
                break
            time.sleep(2)
        assert expected, "make dev never prepared the manifest"
        assert served == expected
        assert any(len(key) == 1 and key[0].startswith("stg_") for key in served)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
