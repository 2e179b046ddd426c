"""One unit of work: a session, the caller, the clock, and the events to publish on commit.

Events are buffered and published only after the transaction commits, so no consumer ever
hears about a change that was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.auth import Caller
from subgraphs.common.events import EventBus
from subgraphs.tasks.models import utcnow


@dataclass(frozen=True)
class PendingEvent:
    type: str
    payload: dict[str, Any]


@dataclass
class Unit:
    session: AsyncSession
    caller: Caller
    events: EventBus | None = None
    clock: Callable[[], datetime] = utcnow
    pending: list[PendingEvent] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()

    def record(self, event_type: str, payload: dict[str, Any]) -> None:
        self.pending.append(PendingEvent(event_type, payload))

    async def commit(self) -> None:
        await self.session.commit()
        pending, self.pending = self.pending, []
        if self.events is None:
            return
        for event in pending:
            await self.events.publish(event.type, event.payload, actor_id=self.caller.user_id)

    async def rollback(self) -> None:
        self.pending.clear()
        await self.session.rollback()
