"""A subscriber's bounded queue: events in order, then one terminal item. A client that lets
`limit` events pile up is cut off (SlowConsumer) instead of growing the router's memory."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Completed:
    """The upstream subscription ended normally."""


@dataclass(frozen=True)
class Failed:
    """The subscription ended abnormally; `errors` are GraphQL errors for the client."""

    errors: list[dict[str, Any]]


@dataclass(frozen=True)
class SlowConsumer:
    """The client did not read its events fast enough."""

    queued: int


Terminal = Completed | Failed | SlowConsumer
COMPLETED = Completed()


class Subscriber:
    """One client subscription's queue of encoded payloads (`{"data":..., "errors":...}`)."""

    __slots__ = ("_end", "_items", "_wake", "limit", "on_close", "on_overflow")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._end: Terminal | None = None
        self.on_close: Any = None  # set by the hub: detaches this subscriber from its source
        # Set by the transport: called once when the queue overflows. The transport's writer
        # may be stuck on a socket the client no longer reads, so it must be cut off from
        # outside rather than find the SlowConsumer item itself.
        self.on_overflow: Any = None

    def push(self, payload: bytes) -> None:
        if self._end is not None:
            return
        if len(self._items) >= self.limit:
            self._end = SlowConsumer(len(self._items))
            self._items.clear()  # nothing more goes to a client that is being cut off
            if self.on_overflow is not None:
                on_overflow, self.on_overflow = self.on_overflow, None
                on_overflow(self._end)
        else:
            self._items.append(payload)
        self._wake.set()

    def finish(self, end: Terminal) -> None:
        if self._end is None:
            self._end = end
            self._wake.set()

    async def next(self) -> bytes | Terminal:
        """The next payload, or the terminal item once the queue is drained."""
        while True:
            if self._items:
                return self._items.popleft()
            if self._end is not None:
                return self._end
            self._wake.clear()
            await self._wake.wait()

    def close(self) -> None:
        """The client is gone or completed: stop receiving (idempotent)."""
        self.finish(COMPLETED)
        if self.on_close is not None:
            on_close, self.on_close = self.on_close, None
            on_close(self)
