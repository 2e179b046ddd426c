"""One unit of work for every write: a transaction, the caller, and the events it emits.

    async with UnitOfWork(session, caller, events) as uow:
        order = await lock_row(uow.session, Order, order_id, "order")
        order.status = "PAID"
        uow.emit("order.status_changed", {"id": order.id, "status": "PAID"},
                 aggregate_id=order.id, version=order.version)

- Entering begins the write transaction (on SQLite it takes the write lock before the first
  read: `db.engine.begin_write`). On PostgreSQL lock the rows the decision rests on
  (`subgraphs/common/writes.py`).
- `emit(type, payload)` queues an event; at the end of the block the events are inserted
  into the subgraph's `outbox` table and the transaction commits, both or neither. Any
  exception rolls everything back and drops the events.
- After the commit the unit publishes what the outbox holds at once (`publish_pending`), so
  consumers hear about a change right away; if that fails or the process dies first, the
  subgraph's `OutboxRelay` publishes it later. Delivery is at least once, each event with
  its own id.
- A unit that is never entered is a read context: `uow.session`, `uow.caller`, `uow.now()`.
- A unit may be entered again after it exits (one transaction after the other).
- `unit_of_work(db, caller, events)` opens one on a fresh session of a `Database`.

Consumers write their effects in a unit too and call `await uow.first_delivery(event,
group)` first: False means this group applied the event already (a redelivery).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextvars import ContextVar
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import Database
from db.engine import begin_write
from subgraphs.common.events import Event, EventPublisher
from subgraphs.common.outbox import CONSUMED, OUTBOX, outbox_row, publish_pending

log = logging.getLogger("mosaic.outbox")

# The id of the request being served (its `x-request-id` header), set by the app for each
# request: every unit of work opened while serving it stamps its events with it.
request_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class Actor(Protocol):
    """Whoever makes the change: anything with a `user_id` (None for the system)."""

    @property
    def user_id(self) -> str | None: ...


CallerT = TypeVar("CallerT", bound=Actor | None)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class UnitOfWork(Generic[CallerT]):
    def __init__(
        self,
        session: AsyncSession,
        caller: CallerT,
        events: EventPublisher | None = None,
        clock: Callable[[], datetime] = _utcnow,
        *,
        correlation_id: str | None = None,
    ) -> None:
        """`events`: the bus to publish to right after the commit (None: leave it to the
        relay). `clock`: the domain's notion of now (tests move it by hand)."""
        self.session = session
        self.caller = caller
        self.events = events
        self.clock = clock
        self.correlation_id = correlation_id or request_correlation_id.get()
        self._pending: list[Event] = []

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()

    def emit(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        aggregate_id: str | None = None,
        version: int | None = None,
    ) -> Event:
        """Queue an event for the outbox; it is written only if the unit commits.
        `aggregate_id`/`version` let consumers order the events of one entity."""
        event = Event.new(
            type,
            payload,
            None if self.caller is None else self.caller.user_id,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            correlation_id=self.correlation_id,
        )
        self._pending.append(event)
        return event

    async def first_delivery(self, event: Event, group: str) -> bool:
        """Record that `group` applies `event` in this transaction; False if it did before."""
        seen = await self.session.scalar(
            select(CONSUMED.c.event_id).where(
                CONSUMED.c.consumer_group == group, CONSUMED.c.event_id == event.id
            )
        )
        if seen is not None:
            return False
        await self.session.execute(
            insert(CONSUMED).values(consumer_group=group, event_id=event.id, consumed_at=_utcnow())
        )
        return True

    async def __aenter__(self) -> UnitOfWork[CallerT]:
        self._pending = []
        try:
            await begin_write(self.session)
        except BaseException:
            await self.session.rollback()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._pending = []
            await self.session.rollback()
            return
        try:
            await self.commit()
        except BaseException:
            self._pending = []
            await self.session.rollback()
            raise

    async def commit(self) -> None:
        """Write the emitted events to the outbox, commit, then publish them (the end of the
        `async with` block calls it)."""
        events, self._pending = self._pending, []
        if events:
            await self.session.execute(insert(OUTBOX), [outbox_row(e) for e in events])
        await self.session.commit()
        if events and self.events is not None:
            await self._publish_now(self.events)

    async def _publish_now(self, bus: EventPublisher) -> None:
        try:
            # A session of its own: the caller's objects stay as the commit left them.
            async with AsyncSession(self.session.bind, expire_on_commit=False) as session:
                await publish_pending(session, bus)
        except Exception:  # committed is committed: the relay publishes it later
            log.warning("events stay in the outbox until the relay publishes them", exc_info=True)


@contextlib.asynccontextmanager
async def unit_of_work(
    db: Database,
    caller: CallerT,
    events: EventPublisher | None = None,
    *,
    clock: Callable[[], datetime] = _utcnow,
    correlation_id: str | None = None,
) -> AsyncIterator[UnitOfWork[CallerT]]:
    """A unit of work on a fresh session of `db` (closed at the end)."""
    async with (
        db.sessions() as session,
        UnitOfWork(session, caller, events, clock, correlation_id=correlation_id) as uow,
    ):
        yield uow
