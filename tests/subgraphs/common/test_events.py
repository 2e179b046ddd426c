"""The event bus: same behaviour in-process and through a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from subgraphs.common.events import Event, EventBus, InProcessEventBus, RedisEventBus
from tests.utils.servers import RedisServer

_prefixes = iter(range(1_000_000))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        memory = InProcessEventBus()
        yield memory
        await memory.close()
    else:
        server: RedisServer = request.getfixturevalue("redis")
        remote = RedisEventBus(server.url(), prefix=f"test{next(_prefixes)}:")
        yield remote
        await remote.close()


def test_envelope_round_trips_as_json() -> None:
    event = Event.new("task.assigned", {"task_id": "t1", "n": [1, 2]}, actor_id="u1")
    again = Event.from_json(event.to_json())
    assert again == event
    assert isinstance(again.occurred_at, datetime) and again.occurred_at.tzinfo is not None
    raw = event.to_json().decode()
    for key in ('"id"', '"type"', '"occurred_at"', '"actor_id"', '"payload"'):
        assert key in raw


async def test_subscribers_see_matching_events_after_subscribing(bus: EventBus) -> None:
    await bus.publish("task.assigned", {"n": 0})  # before anyone listens: not delivered live
    async with bus.subscribe(["task.assigned"]) as assigned, bus.subscribe() as everything:
        await bus.publish("order.status_changed", {"n": 1})
        published = await bus.publish("task.assigned", {"n": 2}, actor_id="u9")
        first = await asyncio.wait_for(anext(aiter(assigned)), 5)
        all_events = [await asyncio.wait_for(anext(aiter(everything)), 5) for _ in range(2)]
    assert first == published
    assert first.actor_id == "u9" and first.payload == {"n": 2}
    assert [e.type for e in all_events] == ["order.status_changed", "task.assigned"]


async def test_each_group_gets_every_event_once_and_consumers_share_a_group(bus: EventBus) -> None:
    for n in range(6):
        await bus.publish("media.processed", {"n": n})

    async def take(iterator: AsyncIterator[Event], count: int) -> list[int]:
        return [
            int((await asyncio.wait_for(anext(iterator), 5)).payload["n"]) for _ in range(count)
        ]

    search = bus.consume("search", "s1")
    notifications_a = bus.consume("notifications", "a")
    notifications_b = bus.consume("notifications", "b")
    assert await take(search, 6) == [0, 1, 2, 3, 4, 5]
    got_a = await take(notifications_a, 3)
    got_b = await take(notifications_b, 3)
    assert sorted(got_a + got_b) == [0, 1, 2, 3, 4, 5]
    await bus.publish("media.processed", {"n": 6})
    assert await take(search, 1) == [6]
    for iterator in (search, notifications_a, notifications_b):
        await iterator.aclose()  # type: ignore[attr-defined]


@pytest.mark.redis
async def test_redis_redelivers_what_a_consumer_never_acknowledged(redis: RedisServer) -> None:
    bus = RedisEventBus(redis.url(), prefix="redeliver:")
    try:
        await bus.publish("booking.confirmed", {"n": 1})
        crashed = bus.consume("notify", "worker-1")
        first = await asyncio.wait_for(anext(crashed), 5)
        await crashed.aclose()  # type: ignore[attr-defined]  # died before asking for the next
        restarted = bus.consume("notify", "worker-1")
        again = await asyncio.wait_for(anext(restarted), 5)
        assert again == first
        await restarted.aclose()  # type: ignore[attr-defined]
    finally:
        await bus.close()


async def test_type_filter_on_consume(bus: EventBus) -> None:
    await bus.publish("a.one", {"n": 1})
    await bus.publish("b.two", {"n": 2})
    await bus.publish("a.one", {"n": 3})
    only_a = bus.consume("g", "c", types={"a.one"})
    assert [(await asyncio.wait_for(anext(only_a), 5)).payload["n"] for _ in range(2)] == [1, 3]
    await only_a.aclose()  # type: ignore[attr-defined]
