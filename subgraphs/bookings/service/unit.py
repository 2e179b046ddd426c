"""The unit of work of bookings' writes: common's `UnitOfWork` (session, caller, `emit` into the
outbox in the same transaction, `now()`); `unit_of_work(db, caller, events)` opens one."""

from __future__ import annotations

from subgraphs.common.auth import Caller
from subgraphs.common.unit_of_work import UnitOfWork

Unit = UnitOfWork[Caller | None]
