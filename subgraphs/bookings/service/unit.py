"""The unit of work of bookings' writes: common's `UnitOfWork` (session, caller, `emit` into the
outbox in the same transaction, `now()`) on a session of its own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from db import Database
from subgraphs.common.auth import Caller
from subgraphs.common.events import EventBus
from subgraphs.common.unit_of_work import UnitOfWork

Unit = UnitOfWork[Caller | None]


@contextlib.asynccontextmanager
async def open_unit(
    db: Database,
    caller: Caller | None,
    events: EventBus | None,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Unit]:
    """A unit of work of `caller` on a fresh session: committed with its events at the end
    of the block (then published to `events`, or later by the relay), rolled back on error."""
    async with db.sessions() as session:
        unit: Unit = (
            UnitOfWork(session, caller, events)
            if clock is None
            else UnitOfWork(session, caller, events, clock)
        )
        async with unit:
            yield unit
