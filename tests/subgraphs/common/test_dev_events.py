"""`make dev`'s event bus across processes: a subgraph process on the defaults (the shared
SQLite log under its data dir) publishes a mutation's event, and another process (this test)
receives it as a consumer group and as a live subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from db import migrations
from subgraphs.common.events import SqliteLogEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.tasks import MIGRATIONS, NAME
from tests.utils.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[3]
CREATE = 'mutation { createProject(input: {name: "Heard elsewhere"}) { id } }'


async def test_an_event_of_a_dev_subgraph_reaches_another_process(tmp_path: Path) -> None:
    data_dir = tmp_path / ".data"
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    assert settings.event_backend == "sqlite"  # the dev default
    await migrations.upgrade(settings.database_url_for(NAME), MIGRATIONS, NAME)
    token = mint_access_token(settings, dev_signing_key(data_dir), "alice", ("USER",))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    env = {**clean, "PYTHONPATH": str(ROOT), "MOSAIC_DATA_DIR": str(data_dir)}
    port = free_port()
    bus = SqliteLogEventBus(settings.event_log_path, poll=0.02)
    consumer = bus.consume("dev-test", "c1", ["project.created"])
    try:
        with tasks_process(env, port, tmp_path):
            async with bus.subscribe(["project.created"]) as live:
                async with httpx.AsyncClient(timeout=60) as client:
                    answer = await client.post(
                        f"http://127.0.0.1:{port}/graphql", json={"query": CREATE},
                        headers={"authorization": f"Bearer {token}"},
                    )  # fmt: skip
                project_id = answer.json()["data"]["createProject"]["id"]
                heard = await asyncio.wait_for(anext(aiter(live)), 30)
        consumed = await asyncio.wait_for(anext(consumer), 30)
        assert heard == consumed
        assert consumed.aggregate_id == project_id and consumed.actor_id == "alice"
        assert consumed.payload["name"] == "Heard elsewhere"
    finally:
        await consumer.aclose()  # type: ignore[attr-defined]
        await bus.close()


@contextlib.contextmanager
def tasks_process(env: dict[str, str], port: int, cwd: Path) -> Iterator[None]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "subgraphs.tasks.app:app", "--port", str(port),
         "--log-level", "warning"], cwd=cwd, env=env,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=60)
        yield
    finally:
        process.terminate()
        process.wait(30)
