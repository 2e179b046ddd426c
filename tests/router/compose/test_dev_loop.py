"""`mosaic dev`'s supervisor composes the router's supergraph from the running subgraphs and
re-composes it when one's SDL changes; the router (a real `mosaic router` process)
hot-reloads it. Subgraphs are real Strawberry apps in their own processes."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx

from mosaic.dev import ProcessSpec, Supervisor
from router.compose import SubgraphSource, compose
from tests.router.compose import sample_subgraphs
from tests.utils.servers import free_port

ROOT = Path(__file__).parents[3]


def subgraph(name: str, app: str) -> ProcessSpec:
    port = free_port()
    argv = (sys.executable, "-m", "uvicorn", f"tests.router.compose.dev_apps:{app}",
            "--app-dir", str(ROOT), "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning")  # fmt: skip
    return ProcessSpec(name, argv, "127.0.0.1", port)


async def eventually(check: Any, within: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            result = await check()
            if result:
                return result
        except (httpx.HTTPError, KeyError, TypeError):
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true after {within}s: {check.__name__}")
        await asyncio.sleep(0.2)


async def test_dev_supervisor_recomposes_and_the_router_reloads(tmp_path: Path) -> None:
    users, tasks = subgraph("users", "users_app"), subgraph("tasks", "tasks_app")
    dev_file = tmp_path / "supergraph.dev.graphql"
    # A stale supergraph (users only), as a committed file copied for dev could be.
    stale = compose([SubgraphSource("users", f"{users.base_url}/graphql",
                                    sample_subgraphs.users.as_str())])  # fmt: skip
    assert stale.supergraph_sdl is not None
    dev_file.write_text(stale.supergraph_sdl)
    router_port = free_port()
    router = ProcessSpec(
        "router",
        (sys.executable, "-m", "mosaic", "router", "--supergraph", str(dev_file),
         "--host", "127.0.0.1", "--port", str(router_port)),
        "127.0.0.1",
        router_port,
    )  # fmt: skip
    supervisor = Supervisor([users, tasks, router], cwd=tmp_path)
    running = asyncio.create_task(supervisor.run())
    url = f"{router.base_url}/graphql"
    try:
        async with httpx.AsyncClient(timeout=5) as client:

            async def answers_open_tasks() -> Any:
                body = (await client.post(url, json={"query": "{ openTasks me { name } }"})).json()
                return body["data"] == {"openTasks": 1, "me": {"name": "Ada"}}

            await eventually(answers_open_tasks)
            assert 'TASKS @join__graph(name: "tasks"' in dev_file.read_text()
            assert "email" not in dev_file.read_text()

            (tmp_path / "use_users_v2").touch()  # the running users subgraph changes its SDL

            async def answers_email() -> Any:
                body = (await client.post(url, json={"query": "{ me { email } }"})).json()
                return body["data"] == {"me": {"email": None}}

            await eventually(answers_email)
            assert "email: String @join__field(graph: USERS)" in dev_file.read_text()
    finally:
        supervisor.request_stop()
        assert await asyncio.wait_for(running, 60) == 0
