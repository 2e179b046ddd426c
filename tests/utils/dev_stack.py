"""`make dev`'s stack for end-to-end tests: `mosaic dev` itself, run as a subprocess from the
repository root on a free port range and a fresh data directory. It migrates and seeds every
subgraph, starts them, their workers (notifications delivery, search indexing) and the router,
all sharing the dev event log, exactly as a developer's `make dev` does; only the ports and the
data directory differ."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mosaic.dev import free_base_port

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "mosaic dev: running"
START_TIMEOUT = 300.0  # migrations, seeds and eleven processes on a shared two-core machine
STOP_TIMEOUT = 60.0
DEMO_PASSWORD = "mosaic-demo-1"  # the seed's password for every demo user
DEMO_PROJECT = "Website relaunch"  # seeded; Ada Admin, Alice and Bob are its members
TASKS = """{ projects { edges { node { name
  tasks(first: 50) { edges { node { id title assignee { id } } } } } } } }"""


@dataclass(frozen=True)
class DevStack:
    router: str  # the router's base URL
    base_port: int
    log: Path

    @property
    def graphql(self) -> str:
        return self.router + "/graphql"

    def subgraph(self, offset: int) -> str:
        return f"http://127.0.0.1:{self.base_port + offset}"

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """A request through the router; fails on GraphQL errors."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.graphql, json={"query": query, "variables": variables or {}}, headers=headers
            )
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def sign_in(self, email: str) -> str:
        data = await self.execute(
            "mutation ($e: String!, $p: String!) "
            "{ login(email: $e, password: $p) { accessToken } }",
            {"e": email, "p": DEMO_PASSWORD},
        )
        return str(data["login"]["accessToken"])

    async def user_id(self, token: str) -> str:
        return str((await self.execute("{ me { id } }", token=token))["me"]["id"])

    async def task_to_assign(self, token: str, assignee: str) -> tuple[str, str]:
        """A task of DEMO_PROJECT that `assignee` (a user id) does not have yet: (id, title)."""
        data = await self.execute(TASKS, token=token)
        edges = data["projects"]["edges"]
        project = next(e["node"] for e in edges if e["node"]["name"] == DEMO_PROJECT)
        task = next(
            e["node"]
            for e in project["tasks"]["edges"]
            if (e["node"]["assignee"] or {}).get("id") != assignee
        )
        return str(task["id"]), str(task["title"])


def _environment(data_dir: Path, base_port: int) -> dict[str, str]:
    # The test run's own MOSAIC_* settings (if any) must not leak into "what make dev does".
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    env.update(MOSAIC_DATA_DIR=str(data_dir), MOSAIC_DEV_BASE_PORT=str(base_port))
    return env


@contextlib.contextmanager
def dev_stack_running(tmp: Path) -> Iterator[DevStack]:
    tmp.mkdir(parents=True, exist_ok=True)
    base = free_base_port("127.0.0.1", random.randrange(20000, 40000, 100), 8)
    assert base is not None, "no free range of 8 ports"
    log = tmp / "mosaic-dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mosaic", "dev"],
            cwd=ROOT,
            env=_environment(tmp / "data", base),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C of the test run reaches the fixture, not it
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while READY_LINE not in log.read_text(errors="replace"):
            if process.poll() is not None:
                raise AssertionError(f"mosaic dev exited: {log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"mosaic dev not running: {log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield DevStack(f"http://127.0.0.1:{base}", base, log)
    finally:
        # What Ctrl-C does: the supervisor stops every process (SIGKILL after its grace).
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()  # its children die with it (PR_SET_PDEATHSIG)
            process.wait()
