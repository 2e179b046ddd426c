"""Events through Redis (production): one stream read by consumer groups for work that must
not be lost, pub/sub channels (one per event type) for live fan-out, and a dead-letter stream
per queue (`{prefix}dead-letters:{queue}`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any

import orjson
import redis.asyncio as aioredis

from subgraphs.common.events.bus import DEFAULT_CLAIM_IDLE_SECONDS, DeadLetter
from subgraphs.common.events.envelope import Event, matches


class RedisEventBus:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "mosaic:",
        maxlen: int = 100_000,
        claim_idle: float = DEFAULT_CLAIM_IDLE_SECONDS,
    ) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._stream = f"{prefix}events"
        self._channel = f"{prefix}events:"
        self._dead = f"{prefix}dead-letters:"
        self._maxlen = maxlen
        self._claim_idle_ms = max(1, int(claim_idle * 1000))

    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> Event:
        event = Event.new(type, payload, actor_id)
        await self.publish_event(event)
        return event

    async def publish_event(self, event: Event) -> None:
        data = event.to_json()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._stream, {"event": data}, maxlen=self._maxlen, approximate=True)
            pipe.publish(self._channel + event.type, data)
            await pipe.execute()

    @contextlib.asynccontextmanager
    async def subscribe(
        self, types: Collection[str] | None = None
    ) -> AsyncIterator[AsyncIterator[Event]]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        if types is None:
            await pubsub.psubscribe(self._channel + "*")
        else:
            await pubsub.subscribe(*(self._channel + t for t in types))

        async def events() -> AsyncIterator[Event]:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message["type"] in ("message", "pmessage"):
                    yield Event.from_json(message["data"])

        try:
            yield events()
        finally:
            await pubsub.aclose()

    async def consume(
        self, group: str, consumer: str, types: Collection[str] | None = None
    ) -> AsyncIterator[Event]:
        with contextlib.suppress(aioredis.ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(self._stream, group, id="0", mkstream=True)
        # First what this consumer was handed but never acknowledged (it crashed), then new
        # events one at a time (consumers of a group share the work instead of prefetching
        # it), and now and then what a dead consumer left pending (XAUTOCLAIM).
        cursor = "0"
        block_ms = min(1000, self._claim_idle_ms)
        next_claim = 0.0
        while True:
            entries: list[Any] = []
            if cursor == ">" and time.monotonic() >= next_claim:
                claimed: Any = await self._redis.xautoclaim(
                    self._stream, group, consumer, self._claim_idle_ms, "0-0", count=1
                )
                entries = claimed[1]
                next_claim = 0.0 if entries else time.monotonic() + block_ms / 1000
            if not entries:
                reply: Any = await self._redis.xreadgroup(
                    group, consumer, {self._stream: cursor}, count=1, block=block_ms
                )
                entries = reply[0][1] if reply else []
                if cursor == "0" and not entries:
                    cursor = ">"
                    continue
            for entry_id, fields in entries:
                if fields and matches(event := Event.from_json(fields[b"event"]), types):
                    yield event
                await self._redis.xack(self._stream, group, entry_id)

    async def add_dead_letter(self, queue: str, data: Mapping[str, Any]) -> str:
        entry_id = await self._redis.xadd(
            self._dead + queue,
            {"letter": orjson.dumps(data)},
            maxlen=self._maxlen,
            approximate=True,
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def dead_letters(self, queue: str, limit: int | None = None) -> list[DeadLetter]:
        entries: Any = await self._redis.xrevrange(self._dead + queue, count=limit)
        return [
            DeadLetter(entry_id.decode(), orjson.loads(fields[b"letter"]))
            for entry_id, fields in entries
        ]

    async def remove_dead_letter(self, queue: str, letter_id: str) -> bool:
        return bool(await self._redis.xdel(self._dead + queue, letter_id))

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
