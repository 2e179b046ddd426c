"""A write: one transaction, the caller, and the events it emits (published after the commit).

`Writer` is what the service functions need; `unit(db, caller, sink)` gives one.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from db import Database
from subgraphs.common.auth import Caller


class Writer(Protocol):
    session: AsyncSession
    caller: Caller | None

    def emit(self, type: str, payload: Mapping[str, Any]) -> None: ...


class EventSink(Protocol):
    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> object: ...


@dataclass
class Unit:
    session: AsyncSession
    caller: Caller | None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def emit(self, type: str, payload: Mapping[str, Any]) -> None:
        self.events.append((type, dict(payload)))


@contextlib.asynccontextmanager
async def unit(db: Database, caller: Caller | None, sink: EventSink) -> AsyncIterator[Unit]:
    """Commit on success (then publish the events), roll back on any error (publish none).
    On SQLite the transaction holds the database's write lock from its first read."""
    async with db.transaction() as session:
        work = Unit(session, caller)
        yield work
    actor_id = None if caller is None else caller.user_id
    for type, payload in work.events:
        await sink.publish(type, payload, actor_id=actor_id)
