"""Smoke test as a user runs it: `mosaic db upgrade`, `mosaic seed`, then uvicorn in its own
process, queried over HTTP with a token from the dev signing key."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from subgraphs.common.demo import DEMO_USER_IDS
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from tests.utils.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[3]


def _env(data_dir: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    return {**clean, "PYTHONPATH": str(ROOT), "MOSAIC_DATA_DIR": str(data_dir)}


def _mosaic(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mosaic", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def tasks_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path / ".data"
    env = _env(data_dir)
    assert _mosaic(tmp_path, env, "db", "upgrade", "tasks").startswith("tasks: ")
    assert "tasks: 3 demo row(s) created" in _mosaic(tmp_path, env, "seed", "tasks")
    dev_signing_key(data_dir)  # the key the server's dev verifier will read
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "subgraphs.tasks.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}", data_dir
    finally:
        process.terminate()
        process.wait(15)
        assert process.stderr is not None
        process.stderr.close()


def test_uvicorn_process_serves_seeded_projects(tasks_process: tuple[str, Path]) -> None:
    base_url, data_dir = tasks_process
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    token = mint_access_token(settings, dev_signing_key(data_dir), DEMO_USER_IDS["bob"], ["USER"])
    with httpx.Client(base_url=base_url, timeout=30) as client:
        assert client.get("/health").json() == {"status": "ok", "subgraph": "tasks"}
        assert client.get("/ready").status_code == 200
        sdl = client.post("/graphql", json={"query": "{ _service { sdl } }"}).json()
        assert 'type Task @key(fields: "id")' in sdl["data"]["_service"]["sdl"]
        response = client.post(
            "/graphql",
            json={"query": "{ projects(orderBy: {field: NAME, direction: ASC}) "
                           "{ edges { node { name stats { total } } } } }"},
            headers={"authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert response.status_code == 200
        edges = response.json()["data"]["projects"]["edges"]
        assert [e["node"] for e in edges] == [
            {"name": "Mobile app", "stats": {"total": 4}},
            {"name": "Website relaunch", "stats": {"total": 6}},
        ]
        anonymous = client.post("/graphql", json={"query": "{ projects { edges { cursor } } }"})
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
