"""The pipeline on real Redis (Streams consumer group + pub/sub), a real SMTP server and a real
webhook receiver: an event in -> a stored notification, an email, a signed webhook and a
`notificationAdded` message; a worker killed with SIGKILL mid-run -> another worker finishes;
1,000 events through two workers -> every notification and email exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import websockets
from sqlalchemy import func, select

from db import Database, migrations
from subgraphs.common.events import RedisEventBus
from subgraphs.common.settings import Settings
from subgraphs.notifications import MIGRATIONS
from subgraphs.notifications.app import build
from subgraphs.notifications.models import Delivery, Notification
from subgraphs.notifications.worker import GROUP, run
from tests.subgraphs.notifications.channel_servers import smtp_server, webhook_server
from tests.subgraphs.notifications.conftest import (
    ALICE,
    add_recipient,
    add_templates,
    task_assigned,
)
from tests.utils.asgi import serve

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[3]
SECRET = "pipeline-webhook-secret-0123456789abcdef"
STREAM = "mosaic:events"


def pipeline_env(
    tmp_path: Path, database_url: str, redis_url: str, smtp_port: int
) -> dict[str, str]:
    return {
        "MOSAIC_ENV": "dev",
        "MOSAIC_DATA_DIR": str(tmp_path / "data"),
        "MOSAIC_DATABASE_URL": database_url,
        "MOSAIC_EVENT_BACKEND": "redis",
        "MOSAIC_REDIS_URL": redis_url,
        "MOSAIC_EVENT_CLAIM_IDLE_SECONDS": "1",
        "MOSAIC_SMTP_PORT": str(smtp_port),
        "MOSAIC_NOTIFICATION_WEBHOOK_SECRET": SECRET,
        "MOSAIC_NOTIFICATION_RETRY_BASE_SECONDS": "0.05",
        "MOSAIC_JWT_HS256_SECRET": "test-hs256-secret-0123456789abcdef",
    }


def settings_of(env: dict[str, str]) -> Settings:
    values = {k.removeprefix("MOSAIC_").lower(): v for k, v in env.items()}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def spawn_worker(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mosaic", "worker", "notifications",
        cwd=cwd, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
    )  # fmt: skip


async def count(db: Database, *where: Any, model: Any = Notification) -> int:
    async with db.sessions() as session:
        statement = select(func.count()).select_from(model).where(*where)
        return int(await session.scalar(statement) or 0)


async def wait_for(
    check: Callable[[], Awaitable[bool]], what: str, deadline: float = 120.0, *procs: Any
) -> None:
    """Poll `check` until it holds; fail with `what` at the deadline or if a worker died."""
    end = time.monotonic() + deadline
    while not await check():
        for process in procs:
            assert process.returncode is None, f"a worker stopped ({process.returncode})"
        assert time.monotonic() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def worker_task(settings: Settings, consumer: str) -> AsyncIterator[None]:
    task = asyncio.create_task(run(settings, consumer=consumer))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def migrated(database_url: str) -> Database:
    await migrations.upgrade(database_url, MIGRATIONS, "notifications")
    db = Database.from_url(database_url)
    await add_templates(db)
    return db


async def test_an_event_becomes_a_notification_an_email_a_webhook_and_a_live_message(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    db = await migrated(database_url)
    publisher = RedisEventBus(redis_url)
    async with webhook_server() as hooks:
        await add_recipient(
            db, ALICE, email="alice@example.com", webhook_url=hooks.url, channels={"webhook": True}
        )
        with smtp_server() as mailbox:
            env = pipeline_env(tmp_path, database_url, redis_url, mailbox.port)  # type: ignore[attr-defined]
            settings = settings_of(env)
            async with serve(build(settings)) as base, worker_task(settings, "w1"):
                token = await _token(settings, ALICE)
                ws_url = base.replace("http://", "ws://") + "/graphql"
                async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                    init = {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {token}"},
                    }
                    await ws.send(json.dumps(init))
                    assert json.loads(await ws.recv())["type"] == "connection_ack"
                    query = "subscription { notificationAdded { title type recipient { id } } }"
                    await ws.send(
                        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}})
                    )
                    # Gate on the state: the subgraph has subscribed to the Redis channel.
                    await wait_for(lambda: _subscribed(redis_url), "the pub/sub subscription")
                    await publisher.publish_event(task_assigned(ALICE, "Over Redis"))
                    message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                assert message["payload"]["data"]["notificationAdded"] == {
                    "title": "Task assigned: Over Redis",
                    "type": "task.assigned",
                    "recipient": {"id": ALICE},
                }

                async def sent() -> bool:
                    return await count(db, Delivery.status == "SENT", model=Delivery) == 3

                await wait_for(sent, "in_app, email and webhook deliveries SENT")
        (mail,) = mailbox.messages
        assert mail["Subject"] == "Task assigned: Over Redis"
        ((headers, body),) = hooks.received
    stamp = headers["x-mosaic-timestamp"]
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["x-mosaic-signature"] == f"sha256={digest}"
    assert await _pending(redis_url) == 0  # acknowledged
    await publisher.close()
    await db.dispose()


async def _token(settings: Settings, user_id: str) -> str:
    from subgraphs.common.keys import dev_signing_key
    from subgraphs.common.tokens import mint_access_token

    return mint_access_token(settings, dev_signing_key(settings.data_dir), user_id, ["USER"])


async def _subscribed(redis_url: str) -> bool:
    client = aioredis.Redis.from_url(redis_url)
    try:
        channel = "mosaic:events:notification.created"
        ((_, subscribers),) = await client.pubsub_numsub(channel)
        return int(subscribers) > 0
    finally:
        await client.aclose()


async def _pending(redis_url: str) -> int:
    client = aioredis.Redis.from_url(redis_url)
    try:
        summary: Any = await client.xpending(STREAM, GROUP)
        return int(summary["pending"])
    finally:
        await client.aclose()


async def test_a_worker_killed_mid_run_leaves_nothing_lost_or_doubled(
    tmp_path: Path, redis_url: str
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/notifications.db"
    db = await migrated(database_url)
    await add_recipient(db, ALICE)  # in-app only: this test is about the event stream
    env = pipeline_env(tmp_path, database_url, redis_url, 1)
    publisher = RedisEventBus(redis_url)
    total = 400
    for n in range(total):
        await publisher.publish_event(task_assigned(ALICE, f"t{n}"))
    first = await spawn_worker(env, tmp_path)
    second = None
    try:
        stored = 0

        async def started() -> bool:
            nonlocal stored
            stored = await count(db)
            return stored >= 20

        await wait_for(started, "the first worker to store some", 120.0, first)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = await count(db)
        assert at_kill < total, "the first worker finished before it was killed"
        second = await spawn_worker(env, tmp_path)

        async def finished() -> bool:
            return await count(db) == total and await _pending(redis_url) == 0

        await wait_for(finished, f"all {total} notifications, nothing pending", 180.0, second)
        async with db.sessions() as session:
            distinct = await session.scalar(
                select(func.count(func.distinct(Notification.event_id)))
            )
        assert distinct == total == await count(db)
    finally:
        if second is not None and second.returncode is None:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 60) == 0
        await publisher.close()
        await db.dispose()


async def test_a_thousand_events_through_two_workers_exactly_once(
    tmp_path: Path, redis_url: str
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/notifications.db"
    db = await migrated(database_url)
    users = [f"user-{n}" for n in range(10)]
    for user in users:
        await add_recipient(db, user, email=f"{user}@example.com")
    publisher = RedisEventBus(redis_url)
    total = 1000
    with smtp_server() as mailbox:
        env = pipeline_env(tmp_path, database_url, redis_url, mailbox.port)  # type: ignore[attr-defined]
        started = time.monotonic()
        workers = [await spawn_worker(env, tmp_path) for _ in range(2)]
        try:
            for n in range(total):
                await publisher.publish_event(task_assigned(users[n % len(users)], f"e{n}"))

            async def done() -> bool:
                return len(mailbox.messages) >= total and await count(db) == total

            await wait_for(done, f"{total} notifications and emails", 300.0, *workers)
            elapsed = time.monotonic() - started
            # Anything still in flight would show up as a duplicate: wait until nothing is due.
            await wait_for(
                lambda: _all_sent(db, total), "every email delivery SENT", 60.0, *workers
            )
        finally:
            for process in workers:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in workers:
                await asyncio.wait_for(process.wait(), 60)
        messages = list(mailbox.messages)
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids)) == total  # none lost, none duplicated
    async with db.sessions() as session:
        deliveries = set(
            await session.scalars(select(Delivery.id).where(Delivery.channel == "email"))
        )
    assert {i.strip("<>").split("@")[0] for i in ids} == deliveries
    assert await _pending(redis_url) == 0
    print(f"\n{total} events -> notifications + emails in {elapsed:.1f}s "
          f"({total / elapsed:.0f} events/s, 2 workers, SQLite, Redis, SMTP)")  # fmt: skip
    await publisher.close()
    await db.dispose()


async def _all_sent(db: Database, total: int) -> bool:
    return (
        await count(db, Delivery.channel == "email", Delivery.status == "SENT", model=Delivery)
        == total
    )
