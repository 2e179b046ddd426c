"""Slots: a professional offers periods (never overlapping), removes unbooked ones, and clients
list the open ones.

Slot creation for one professional runs one at a time: it locks the professional's row
(PostgreSQL FOR UPDATE; SQLite's write transaction locks the database), so two concurrent
calls cannot both pass the overlap check.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select

from db.base import as_utc
from subgraphs.bookings.domain import (
    Period,
    SlotStatus,
    check_periods,
    utcnow,
)
from subgraphs.bookings.models import Professional, Slot
from subgraphs.bookings.service.access import may_manage, own_professional, require_user
from subgraphs.bookings.service.unit import Unit
from subgraphs.common.errors import BadUserInput, Conflict
from subgraphs.common.writes import lock_row

DEFAULT_WINDOW = timedelta(days=30)


async def create_slots(
    uow: Unit,
    periods: list[Period],
    *,
    professional_id: str | None = None,
) -> list[Slot]:
    """New OPEN slots for the caller's profile (an admin may name any professional's); none is
    made when one overlaps another or an existing slot."""
    caller = require_user(uow.caller)
    session = uow.session
    if professional_id is None:
        professional_id = (await own_professional(session, caller)).id
    professional = await lock_row(session, Professional, professional_id, "professional")
    may_manage(caller, professional)
    wanted = check_periods(periods, uow.now())
    existing = (
        await session.scalars(
            select(Slot)
            .where(
                Slot.professional_id == professional.id,
                Slot.starts_at < wanted[-1].ends_at,
                Slot.ends_at > wanted[0].starts_at,
            )
            .order_by(Slot.starts_at)
        )
    ).all()
    for slot in existing:
        taken = Period(as_utc(slot.starts_at), as_utc(slot.ends_at))
        clash = next((p for p in wanted if p.overlaps(taken)), None)
        if clash is not None:
            raise Conflict(
                f"the slot starting {clash.starts_at.isoformat()} overlaps the existing slot "
                f"{slot.id} ({taken.starts_at.isoformat()} to {taken.ends_at.isoformat()})",
                slotId=slot.id,
            )
    rows = [
        Slot(
            professional_id=professional.id,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            status=SlotStatus.OPEN.value,
        )
        for p in wanted
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def delete_slot(uow: Unit, slot_id: str) -> str:
    """Remove an OPEN slot (CONFLICT while a booking holds it); returns its id. Cancelled
    bookings of it keep their period and price."""
    caller = require_user(uow.caller)
    slot = await lock_row(uow.session, Slot, slot_id, "slot")
    professional = await uow.session.get(Professional, slot.professional_id)
    assert professional is not None  # slots cascade with their professional
    may_manage(caller, professional)
    if slot.status != SlotStatus.OPEN.value:
        raise Conflict(f"the slot is {slot.status}: cancel its booking before deleting it")
    await uow.session.execute(delete(Slot).where(Slot.id == slot.id))
    return slot.id


def available_slots(
    professional_id: str,
    starts_from: datetime | None,
    until: datetime | None,
    *,
    now: datetime | None = None,
) -> Select[Any]:
    """OPEN slots of a professional that start in [from, to) and not before now."""
    now = now or utcnow()
    begin = max(as_utc(starts_from), now) if starts_from is not None else now
    end = as_utc(until) if until is not None else begin + DEFAULT_WINDOW
    if end <= begin:
        raise BadUserInput("`to` must be after `from` (and after now)")
    return select(Slot).where(
        Slot.professional_id == professional_id,
        Slot.status == SlotStatus.OPEN.value,
        Slot.starts_at >= begin,
        Slot.starts_at < end,
    )
