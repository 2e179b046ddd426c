"""Dead letters on real Redis, end to end: the SMTP server down -> the worker retries -> the
delivery becomes an entry of the dead-letter stream (and DEAD in the database) -> `mosaic
notifications dead-letters` lists it -> the SMTP server comes back -> `--replay` -> exactly
one email, the entry removed, and a second replay changes nothing."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from subgraphs.common.events import RedisEventBus
from subgraphs.notifications.models import Delivery
from tests.subgraphs.notifications.channel_servers import Mailbox, smtp_server
from tests.subgraphs.notifications.conftest import ALICE, add_recipient, task_assigned
from tests.subgraphs.notifications.test_pipeline_redis import (
    ROOT,
    count,
    migrated,
    pipeline_env,
    settings_of,
    wait_for,
    worker_task,
)
from tests.utils.servers import free_port

pytestmark = pytest.mark.redis

DEAD_STREAM = "mosaic:dead-letters:notifications"


async def cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mosaic", "notifications", "dead-letters", *args,
        cwd=cwd, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_smtp_down_dead_letter_stream_cli_lists_and_replays_exactly_one_email(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
) -> None:
    db = await migrated(database_url)
    await add_recipient(db, ALICE, email="alice@example.com")
    port = free_port()  # nothing listens there yet: the SMTP server is down
    env = {**pipeline_env(tmp_path, database_url, redis_url, port),
           "MOSAIC_NOTIFICATION_MAX_ATTEMPTS": "3"}  # fmt: skip
    settings = settings_of(env)
    redis = aioredis.Redis.from_url(redis_url)
    publisher = RedisEventBus(redis_url)
    mailbox = Mailbox()
    try:
        async with worker_task(settings, "w1"):
            await publisher.publish_event(task_assigned(ALICE, "Down"))

            async def dead() -> bool:
                return await count(db, Delivery.status == "DEAD", model=Delivery) == 1

            await wait_for(dead, "the email delivery to become a dead letter")
            entries: Any = await redis.xrange(DEAD_STREAM)
            ((entry_id, fields),) = entries
            async with db.sessions() as session:
                delivery = await session.get(Delivery, _delivery_id(fields))
            assert delivery is not None and delivery.channel == "email"
            assert delivery.attempts == 3 and (delivery.last_error or "").startswith("SMTP:")

            listed = await cli(env, tmp_path)
            (line,) = [row for row in listed.splitlines() if "delivery=" in row]
            assert line.startswith(entry_id.decode())
            assert f"delivery={delivery.id}" in line and "attempts=3" in line
            assert "now=DEAD" in line and "1 dead letter(s)" in listed

            with smtp_server(port, mailbox):
                replayed = await cli(env, tmp_path, "--replay")
                assert "1 dead letter(s) queued again" in replayed
                assert await redis.xlen(DEAD_STREAM) == 0  # the replayed entry is gone

                async def sent() -> bool:
                    return await count(db, Delivery.status == "SENT", model=Delivery) == 2

                await wait_for(sent, "the replayed email to be sent")
                again = await cli(env, tmp_path, "--replay")
                assert "0 dead letter(s) queued again" in again
                assert "0 dead letter(s)" in await cli(env, tmp_path)
    finally:
        await redis.aclose()
        await publisher.close()
        await db.dispose()
    (mail,) = mailbox.messages  # exactly one email
    assert mail["Message-ID"] == f"<{delivery.id}@mosaic.notifications>"
    assert mail["Subject"] == "Task assigned: Down"


def _delivery_id(fields: dict[bytes, bytes]) -> str:
    return str(orjson.loads(fields[b"letter"])["delivery_id"])
