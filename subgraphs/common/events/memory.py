"""Events within one process: a bounded log in memory (tests, and single-process tools)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from subgraphs.common.events.bus import DEFAULT_CLAIM_IDLE_SECONDS, DeadLetter
from subgraphs.common.events.envelope import Event, matches


@dataclass
class _Group:
    offset: int  # absolute index of the next event never handed out
    # absolute index -> (consumer, when it was handed out): delivered, not yet acknowledged
    pending: dict[int, tuple[str, float]] = field(default_factory=dict)


class InProcessEventBus:
    def __init__(
        self, maxlen: int = 10_000, *, claim_idle: float = DEFAULT_CLAIM_IDLE_SECONDS
    ) -> None:
        self._subscribers: set[tuple[asyncio.Queue[Event], Collection[str] | None]] = set()
        self._log: deque[Event] = deque(maxlen=maxlen)
        self._dropped = 0  # events that fell off the front of the bounded log
        self._groups: dict[str, _Group] = {}
        self._published = asyncio.Condition()
        self._claim_idle = claim_idle
        self._dead: dict[str, dict[str, DeadLetter]] = {}  # queue -> id -> letter, oldest first
        self._dead_ids = itertools.count(1)

    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> Event:
        event = Event.new(type, payload, actor_id)
        await self.publish_event(event)
        return event

    async def publish_event(self, event: Event) -> None:
        for queue, types in list(self._subscribers):
            if matches(event, types):
                queue.put_nowait(event)
        if len(self._log) == self._log.maxlen:
            self._dropped += 1
        self._log.append(event)
        async with self._published:
            self._published.notify_all()

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
            index = await self._next(state, consumer)
            if index < self._dropped:  # fell off the bounded log meanwhile
                state.pending.pop(index, None)
                continue
            event = self._log[index - self._dropped]
            if matches(event, types):
                yield event
            state.pending.pop(index, None)  # acknowledged: the consumer asked for the next

    async def _next(self, state: _Group, consumer: str) -> int:
        async with self._published:
            while True:
                index = self._take(state, consumer)
                if index is not None:
                    return index
                # Woken by a publish, or in time to claim a dead consumer's events.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._published.wait(), self._claim_idle / 2)

    def _take(self, state: _Group, consumer: str) -> int | None:
        now = time.monotonic()
        # First what this consumer was handed and never acknowledged (it restarted), then
        # what a consumer that stopped acknowledging left behind, then new events.
        for index, (owner, _) in sorted(state.pending.items()):
            if owner == consumer:
                state.pending[index] = (consumer, now)
                return index
        for index, (_, since) in sorted(state.pending.items()):
            if now - since >= self._claim_idle:
                state.pending[index] = (consumer, now)
                return index
        state.offset = max(state.offset, self._dropped)
        if state.offset < self._dropped + len(self._log):
            index = state.offset
            state.offset += 1
            state.pending[index] = (consumer, now)
            return index
        return None

    async def add_dead_letter(self, queue: str, data: Mapping[str, Any]) -> str:
        letter = DeadLetter(str(next(self._dead_ids)), dict(data))
        self._dead.setdefault(queue, {})[letter.id] = letter
        return letter.id

    async def dead_letters(self, queue: str, limit: int | None = None) -> list[DeadLetter]:
        newest_first = list(reversed(self._dead.get(queue, {}).values()))
        return newest_first if limit is None else newest_first[:limit]

    async def remove_dead_letter(self, queue: str, letter_id: str) -> bool:
        return self._dead.get(queue, {}).pop(letter_id, None) is not None

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._subscribers.clear()
