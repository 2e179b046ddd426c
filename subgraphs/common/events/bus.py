"""The one interface every event bus backend implements (the contract suite checks it:
tests/subgraphs/common/test_event_bus_contract.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any, Protocol

from subgraphs.common.events.envelope import Event

# A consumer that stopped acknowledging (it died) loses its pending events to a live consumer
# of the same group after this long.
DEFAULT_CLAIM_IDLE_SECONDS = 30.0


class EventPublisher(Protocol):
    """What a unit of work and the outbox relay need of a bus."""

    async def publish_event(self, event: Event) -> None:
        """Append the event as it is (its id stays: consumers deduplicate by it)."""
        ...


class EventBus(EventPublisher, Protocol):
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
