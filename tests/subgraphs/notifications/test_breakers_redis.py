"""The circuit breaker shared by every worker through real Redis: failures of two workers add
up, an open breaker stops both, and half-open lets one trial through among them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from subgraphs.notifications.breakers import RedisBreakers
from tests.utils.servers import RedisServer

pytestmark = pytest.mark.redis

RESET = 0.5  # seconds open before half-open (60 in production)


@pytest.fixture
async def workers(redis: RedisServer) -> AsyncIterator[tuple[RedisBreakers, RedisBreakers]]:
    prefix = f"breakers{time.monotonic_ns()}:"
    pair = tuple(RedisBreakers(redis.url(), prefix=prefix, reset_seconds=RESET) for _ in "ab")
    yield pair  # type: ignore[misc]
    for breakers in pair:
        await breakers.close()


async def until_half_open(breakers: RedisBreakers, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while await breakers.retry_in("email") > 0:
        assert time.monotonic() < end, "the breaker never half-opened"
        await asyncio.sleep(0.02)


async def test_two_workers_share_one_breaker(
    workers: tuple[RedisBreakers, RedisBreakers],
) -> None:
    a, b = workers
    for worker in (a, b, a, b):
        assert await worker.allow("email")
        await worker.failed("email")
    assert await a.allow("email") and await b.allow("email")  # 4 failures: still closed
    await b.failed("email")  # the fifth, counted across both workers
    assert not await a.allow("email") and not await b.allow("email")
    assert 0 < await a.retry_in("email") <= RESET
    assert await a.allow("webhook")  # per channel

    await until_half_open(a)
    trials = await asyncio.gather(a.allow("email"), b.allow("email"))
    assert sorted(trials) == [False, True]  # one trial among all workers
    await (a if trials[0] else b).failed("email")  # the trial failed: open again
    assert not await a.allow("email") and await b.retry_in("email") > 0

    await until_half_open(b)
    assert await b.allow("email")
    await b.succeeded("email")
    assert await a.allow("email") and await b.allow("email")  # closed for both
    assert await a.retry_in("email") == 0
