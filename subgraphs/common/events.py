"""Domain events: one envelope, one interface, two backends (in-process and Redis).

Envelope: `{id, type, occurred_at, actor_id, payload}` (type like `task.assigned`).

- `publish(type, payload, actor_id=...)` returns the published `Event`.
- `subscribe(types)` is live fan-out: every subscriber sees every matching event published
  after it subscribed (Redis pub/sub). Use it for real-time subscriptions.
- `consume(group, consumer, types)` is durable work: each event goes to one consumer of the
  group, at least once (Redis Streams + consumer groups); an event is acknowledged when the
  consumer asks for the next one, so a crash mid-event redelivers it. Use it for indexing and
  delivery (search, notifications).

Publish after the transaction that made the change has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from db import new_id


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    occurred_at: datetime
    actor_id: str | None
    payload: Mapping[str, Any]

    @classmethod
    def new(cls, type: str, payload: Mapping[str, Any], actor_id: str | None = None) -> Event:
        return cls(new_id(), type, datetime.now(UTC), actor_id, dict(payload))

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "occurred_at": self.occurred_at.isoformat(),
                "actor_id": self.actor_id,
                "payload": self.payload,
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        raw = orjson.loads(data)
        return cls(
            id=raw["id"],
            type=raw["type"],
            occurred_at=datetime.fromisoformat(raw["occurred_at"]),
            actor_id=raw.get("actor_id"),
            payload=raw.get("payload") or {},
        )


def _matches(event: Event, types: Collection[str] | None) -> bool:
    return types is None or event.type in types


class EventBus(Protocol):
    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> Event: ...

    def subscribe(
        self, types: Collection[str] | None = None
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Event]]: ...

    def consume(
        self, group: str, consumer: str, types: Collection[str] | None = None
    ) -> AsyncIterator[Event]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class _Group:
    offset: int  # absolute index of the next event to hand out
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


class InProcessEventBus:
    """Events within one process (the embedded default of `mosaic dev`)."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._subscribers: set[tuple[asyncio.Queue[Event], Collection[str] | None]] = set()
        self._log: deque[Event] = deque(maxlen=maxlen)
        self._dropped = 0  # events that fell off the front of the bounded log
        self._groups: dict[str, _Group] = {}
        self._published = asyncio.Condition()

    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> Event:
        event = Event.new(type, payload, actor_id)
        for queue, types in list(self._subscribers):
            if _matches(event, types):
                queue.put_nowait(event)
        if len(self._log) == self._log.maxlen:
            self._dropped += 1
        self._log.append(event)
        async with self._published:
            self._published.notify_all()
        return event

    @contextlib.asynccontextmanager
    async def subscribe(
        self, types: Collection[str] | None = None
    ) -> AsyncIterator[AsyncIterator[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        entry = (queue, frozenset(types) if types is not None else None)
        self._subscribers.add(entry)

        async def events() -> AsyncIterator[Event]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            self._subscribers.discard(entry)

    async def consume(
        self, group: str, consumer: str, types: Collection[str] | None = None
    ) -> AsyncIterator[Event]:
        state = self._groups.setdefault(group, _Group(offset=self._dropped))
        while True:
            async with self._published:
                await self._published.wait_for(
                    lambda: state.offset < self._dropped + len(self._log)
                )
            state.offset = max(state.offset, self._dropped)
            event = self._log[state.offset - self._dropped]
            state.offset += 1  # acknowledged when the consumer asks for the next event
            if _matches(event, types):
                yield event

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._subscribers.clear()


class RedisEventBus:
    """Events through Redis: a stream for durable groups, pub/sub channels for live fan-out."""

    def __init__(self, url: str, *, prefix: str = "mosaic:", maxlen: int = 100_000) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._stream = f"{prefix}events"
        self._channel = f"{prefix}events:"
        self._maxlen = maxlen

    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> Event:
        event = Event.new(type, payload, actor_id)
        data = event.to_json()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._stream, {"event": data}, maxlen=self._maxlen, approximate=True)
            pipe.publish(self._channel + type, data)
            await pipe.execute()
        return event

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
        # First what this consumer was handed but never acknowledged (a crash), then new ones,
        # one at a time so consumers of a group share the work instead of prefetching it.
        cursor = "0"
        while True:
            reply: Any = await self._redis.xreadgroup(
                group, consumer, {self._stream: cursor}, count=1, block=1000
            )
            entries = reply[0][1] if reply else []
            if cursor == "0" and not entries:
                cursor = ">"
                continue
            for entry_id, fields in entries:
                event = Event.from_json(fields[b"event"])
                if _matches(event, types):
                    yield event
                await self._redis.xack(self._stream, group, entry_id)

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def event_bus_from_settings(backend: str, redis_url: str | None, maxlen: int) -> EventBus:
    if backend == "redis":
        if not redis_url:
            raise RuntimeError("MOSAIC_EVENT_BACKEND=redis needs MOSAIC_REDIS_URL")
        return RedisEventBus(redis_url, maxlen=maxlen)
    return InProcessEventBus()
