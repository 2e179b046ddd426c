"""The media worker as a process (`python -m mosaic worker media`, its spawn pool) on real
Redis Streams: a worker killed with SIGKILL in the middle of a job (a media claimed and still
PROCESSING) -> a second worker claims the dead one's pending event and finishes every upload;
every media READY, each `media.processed` written exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from db import Database, migrations
from subgraphs.common.outbox import OUTBOX
from subgraphs.common.settings import Settings
from subgraphs.media import MIGRATIONS, NAME
from subgraphs.media.app import build
from subgraphs.media.models import Media
from tests.subgraphs.media.conftest import MediaService
from tests.subgraphs.media.images import encode, picture
from tests.utils.asgi import serve

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[3]
UPLOADS = 10


def worker_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    return {
        "MOSAIC_ENV": "dev",
        "MOSAIC_DATA_DIR": str(tmp_path / "data"),
        "MOSAIC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/media.db",
        "MOSAIC_EVENT_BACKEND": "redis",
        "MOSAIC_REDIS_URL": redis_url,
        "MOSAIC_EVENT_CLAIM_IDLE_SECONDS": "1",
        "MOSAIC_MEDIA_WORKER_PROCESSES": "1",
        "MOSAIC_JWT_HS256_SECRET": "test-hs256-secret-0123456789abcdef",
    }


async def spawn_worker(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    # A session of its own: SIGKILL to the group takes the worker and its pool processes.
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mosaic", "worker", "media",
        cwd=cwd, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
        start_new_session=True,
    )  # fmt: skip


async def wait_for(
    check: Callable[[], Awaitable[bool]], what: str, process: asyncio.subprocess.Process
) -> None:
    end = time.monotonic() + 120.0
    while not await check():
        assert process.returncode is None, f"the worker stopped ({process.returncode})"
        assert time.monotonic() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def count(db: Database, statement: object) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]


async def test_a_worker_killed_mid_run_leaves_nothing_lost_or_doubled(
    tmp_path: Path, redis_url: str
) -> None:
    env = worker_env(tmp_path, redis_url)
    settings = Settings(_env_file=None, **{k[7:].lower(): v for k, v in env.items()})  # type: ignore[arg-type]
    await migrations.upgrade(settings.database_url_for(NAME), MIGRATIONS, NAME)
    db = Database.from_url(settings.database_url_for(NAME))
    app = build(settings)
    first = second = None
    try:
        async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
            media = MediaService(base, http, settings, None, app.state.media_storage)  # type: ignore[arg-type]
            token = media.token("alice")
            for i in range(UPLOADS):  # big enough that each takes the pool a moment
                data = encode(picture(1200 + i, 900), "PNG")
                result = await media.upload_one(f"p{i}.png", data, token=token)
                assert result.errors == [], result.errors
            ready = select(func.count()).select_from(Media).where(Media.status == "READY")

            first = await spawn_worker(env, tmp_path)

            # Killed mid-job: some done, one claimed (attempts 1) and still PROCESSING.
            claimed = (
                select(func.count())
                .select_from(Media)
                .where(Media.status == "PROCESSING", Media.attempts == 1)
            )

            async def mid_job() -> bool:
                return await count(db, ready) >= 2 and await count(db, claimed) == 1

            await wait_for(mid_job, "the first worker to be in the middle of a job", first)
            os.killpg(first.pid, signal.SIGKILL)
            await first.wait()

            second = await spawn_worker(env, tmp_path)

            async def all_ready() -> bool:
                return await count(db, ready) == UPLOADS

            await wait_for(all_ready, "every upload READY", second)
        processed = (
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.type == "media.processed")
        )
        assert await count(db, processed) == UPLOADS
        failed = select(func.count()).select_from(Media).where(Media.status != "READY")
        assert await count(db, failed) == 0
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                os.killpg(process.pid, signal.SIGTERM)
                await process.wait()
        await db.dispose()
