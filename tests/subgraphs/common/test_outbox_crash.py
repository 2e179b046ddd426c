"""A crash between the commit and the publish loses nothing: on PostgreSQL, with Redis as the
bus, a real subgraph process is killed (SIGKILL) right after a mutation commits; restarted,
its relay publishes the event, which a consumer deduplicating by event id receives once, and
a further restart publishes nothing again."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis
from sqlalchemy import select

from db import Database, migrations
from subgraphs.common.events import Event, RedisEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.outbox import OUTBOX
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.tasks import MIGRATIONS, NAME
from tests.utils.servers import RedisServer, free_port, wait_for_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[3]
APP = "subgraphs.tasks.app:app"
CREATE = 'mutation { createProject(input: {name: "Survives a crash"}) { id } }'


@contextlib.contextmanager
def subgraph(
    env: dict[str, str], port: int, *, crashing: bool
) -> Iterator[subprocess.Popen[bytes]]:
    module = ["-m", "tests.subgraphs.common.crashing_subgraph", APP, str(port)] if crashing \
        else ["-m", "uvicorn", APP, "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen([sys.executable, *module], cwd=ROOT, env=env)
    try:
        # The app drains its outbox at start-up, before it listens.
        wait_for_port(port, timeout=60)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(30)


async def test_an_event_committed_before_a_crash_arrives_once(
    postgres_url: str, redis: RedisServer, tmp_path: Path
) -> None:
    await migrations.upgrade(postgres_url, MIGRATIONS, NAME)
    redis_url = redis.url(db=7)  # a database of its own: the stream is the default one
    redis_client = Redis.from_url(redis_url)
    redis_client.flushdb()
    data_dir = tmp_path / "data"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    env = {**clean, "PYTHONPATH": str(ROOT), "MOSAIC_DATA_DIR": str(data_dir),
           "MOSAIC_DATABASE_URL": postgres_url, "MOSAIC_EVENT_BACKEND": "redis",
           "MOSAIC_REDIS_URL": redis_url}  # fmt: skip
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    token = mint_access_token(settings, dev_signing_key(data_dir), "alice", ("USER",))
    port = free_port()

    with subgraph(env, port, crashing=True) as crashing:
        async with httpx.AsyncClient(timeout=30) as client:
            with pytest.raises(httpx.TransportError):  # it dies while answering
                await client.post(f"http://127.0.0.1:{port}/graphql", json={"query": CREATE},
                                  headers={"authorization": f"Bearer {token}"})  # fmt: skip
        assert crashing.wait(30) == -signal.SIGKILL
    assert await outbox_rows(postgres_url) == [("project.created", False)]  # committed
    assert redis_client.exists("mosaic:events") == 0  # and never published

    with subgraph(env, port, crashing=False):
        assert await outbox_rows(postgres_url) == [("project.created", True)]
    received = await consume_deduplicated(redis_url)
    assert [event.type for event in received] == ["project.created"]
    assert received[0].actor_id == "alice"
    assert received[0].payload["name"] == "Survives a crash"

    with subgraph(env, port, crashing=False):  # acknowledged rows are not published again
        pass
    assert redis_client.xlen("mosaic:events") == 1
    redis_client.close()


async def outbox_rows(url: str) -> list[tuple[str, bool]]:
    db = Database.from_url(url)
    try:
        async with db.sessions() as session:
            rows = await session.execute(
                select(OUTBOX.c.type, OUTBOX.c.published_at.is_not(None)).order_by(OUTBOX.c.seq)
            )
            return [(row[0], row[1]) for row in rows]
    finally:
        await db.dispose()


async def consume_deduplicated(redis_url: str) -> list[Event]:
    """What an idempotent consumer does: apply each event id once. Reads everything the
    stream holds (XLEN), so a duplicate would be seen and counted."""
    bus = RedisEventBus(redis_url)
    seen: dict[str, Event] = {}
    deliveries = 0
    with Redis.from_url(redis_url) as client:
        total = client.xlen("mosaic:events")
    consumer = bus.consume("crash-test", "c1")
    try:
        for _ in range(total):
            event = await anext(consumer)
            deliveries += 1
            seen.setdefault(event.id, event)
    finally:
        await consumer.aclose()  # type: ignore[attr-defined]
        await bus.close()
    assert deliveries == total == 1
    return list(seen.values())
