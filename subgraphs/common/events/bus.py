"""The one interface every event bus backend implements (the contract suite checks it:
tests/subgraphs/common/test_event_bus_contract.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from subgraphs.common.events.envelope import Event

# A consumer that stopped acknowledging (it died) loses its pending events to a live consumer
# of the same group after this long.
DEFAULT_CLAIM_IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class DeadLetter:
    """One entry of a dead-letter stream: work a consumer gave up on, kept until someone
    replays (or drops) it."""

    id: str  # the entry's id in its stream (Redis: the stream entry id; dev log: its row)
    data: Mapping[str, Any]


class DeadLetterStream(Protocol):
    """Dead letters live on the bus next to the events (Redis: one stream per queue), so
    every process of a deployment sees the same ones."""

    async def add_dead_letter(self, queue: str, data: Mapping[str, Any]) -> str:
        """Append a letter to `queue`'s stream; its entry id."""
        ...

    async def dead_letters(self, queue: str, limit: int | None = None) -> list[DeadLetter]:
        """The letters of `queue`, newest first (all of them when `limit` is None)."""
        ...

    async def remove_dead_letter(self, queue: str, letter_id: str) -> bool:
        """Remove a letter (it was replayed); False when it was gone already, so of two
        callers removing one letter exactly one gets True."""
        ...


class EventPublisher(Protocol):
    """What a unit of work and the outbox relay need of a bus."""

    async def publish_event(self, event: Event) -> None:
        """Append the event as it is (its id stays: consumers deduplicate by it)."""
        ...


class EventBus(EventPublisher, DeadLetterStream, Protocol):
    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> Event:
        """A new event, published now. Writes publish through their unit of work instead."""
        ...

    def subscribe(
        self, types: Collection[str] | None = None
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Live fan-out: every event published after entering, to every subscriber."""
        ...

    def consume(
        self, group: str, consumer: str, types: Collection[str] | None = None
    ) -> AsyncIterator[Event]:
        """Durable work: each event to one consumer of the group, acknowledged when the
        consumer asks for the next one (so at least once)."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
