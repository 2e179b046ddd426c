"""Bookings: a client books an OPEN slot, then the booking moves through its statuses.

No double booking: `book_slot` locks the slot's row first (PostgreSQL `FOR UPDATE`; SQLite's
write transaction holds the database's write lock from its first read), so concurrent calls
for one slot run one after another and every one after the first finds it taken (CONFLICT).
A unique index on the slot over bookings that are not CANCELLED is the last line of defence.
Transitions lock the booking, then its slot, in that order everywhere (no deadlock).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import as_utc
from subgraphs.bookings.domain import (
    CANCEL,
    BookingRole,
    BookingStatus,
    Money,
    SlotStatus,
    Transition,
    acting_as,
    price_of,
    utcnow,
)
from subgraphs.bookings.models import Booking, BookingStatusChange, Professional, Slot
from subgraphs.bookings.service.access import (
    invisible,
    own_professional,
    parties,
    require_user,
)
from subgraphs.bookings.service.unit import Unit
from subgraphs.common.auth import Caller
from subgraphs.common.checks import check_text
from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, NotFound
from subgraphs.common.versions import version_from
from subgraphs.common.writes import lock_row

TAKEN = "the slot is already booked"


def booking_payload(booking: Booking, professional: Professional) -> dict[str, Any]:
    """What consumers (notifications, search) need without calling back; `version` orders
    the events of one booking (subgraphs/common/versions.py)."""
    return {
        "id": booking.id,
        "slotId": booking.slot_id,
        "professionalId": booking.professional_id,
        "professionalUserId": professional.user_id,
        "clientId": booking.client_id,
        "status": booking.status,
        "startsAt": as_utc(booking.starts_at).isoformat(),
        "endsAt": as_utc(booking.ends_at).isoformat(),
        "price": {"amount": booking.price_amount, "currency": booking.price_currency},
        "version": version_from(booking.updated_at),
    }


def _record(uow: Unit, booking: Booking, before: str | None, by_id: str) -> None:
    uow.session.add(
        BookingStatusChange(
            booking_id=booking.id, from_status=before, to_status=booking.status, by_id=by_id
        )
    )


async def book_slot(uow: Unit, slot_id: str, notes: str = "") -> Booking:
    """A PENDING booking of an OPEN slot by the caller; the slot becomes HELD."""
    caller = require_user(uow.caller)
    notes = check_text(notes, "notes", max_length=2000, allow_empty=True)
    session = uow.session
    slot = await lock_row(session, Slot, slot_id, "slot")
    if slot.status != SlotStatus.OPEN.value:
        raise Conflict(TAKEN, slotId=slot.id)
    professional = await session.get(Professional, slot.professional_id)
    assert professional is not None  # slots cascade with their professional
    if professional.user_id == caller.user_id:
        raise BadUserInput("you cannot book your own slot")
    starts_at, ends_at = as_utc(slot.starts_at), as_utc(slot.ends_at)
    if starts_at <= uow.now():
        raise BadUserInput("the slot has started already; pick a later one")
    price = price_of(
        Money(professional.hourly_rate_amount, professional.hourly_rate_currency),
        starts_at,
        ends_at,
    )
    booking = Booking(
        slot_id=slot.id,
        professional_id=professional.id,
        client_id=caller.user_id,
        status=BookingStatus.PENDING.value,
        notes=notes,
        starts_at=starts_at,
        ends_at=ends_at,
        price_amount=price.amount,
        price_currency=price.currency,
    )
    session.add(booking)
    slot.status = SlotStatus.HELD.value
    try:
        await session.flush()
    except IntegrityError as error:  # only reachable if a writer skipped the slot lock
        raise Conflict(TAKEN, slotId=slot_id) from error  # (the failed flush expired `slot`)
    _record(uow, booking, None, caller.user_id)
    await session.flush()
    payload = booking_payload(booking, professional)
    uow.emit("booking.requested", {**payload, "notes": notes}, **_aggregate(payload))
    return booking


async def transition(
    uow: Unit,
    booking_id: str,
    step: Transition,
    *,
    reason: str | None = None,
) -> Booking:
    """Move a booking one step (confirm, cancel, complete, no-show), if the caller may."""
    caller = require_user(uow.caller)
    session = uow.session
    booking = await session.scalar(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if booking is None:
        raise invisible(booking_id)
    professional = await session.get(Professional, booking.professional_id)
    assert professional is not None  # bookings cascade with their professional
    roles = parties(caller, booking, professional)
    if not roles:
        raise invisible(booking_id)
    if not roles & step.by:
        allowed = " or ".join(p.value.lower() for p in sorted(step.by, key=lambda p: p.value))
        raise Forbidden(f"only the {allowed} may {step.verb} a booking")
    current = BookingStatus(booking.status)
    if current not in step.sources:
        raise Conflict(f"a {current.value} booking cannot be {step.done}", status=current.value)
    if step.needs_start and as_utc(booking.starts_at) > uow.now():
        raise BadUserInput(f"the session has not started yet: it cannot be {step.done}")
    if step.slot_becomes is not None and booking.slot_id is not None:
        slot = await lock_row(session, Slot, booking.slot_id, "slot")
        slot.status = step.slot_becomes.value
    booking.status = step.target.value
    booking.updated_at = utcnow()  # real time, under the row lock: the event version grows
    if step is CANCEL and reason is not None:
        booking.cancellation_reason = check_text(
            reason, "reason", max_length=2000, allow_empty=True
        )
    _record(uow, booking, current.value, caller.user_id)
    await session.flush()
    payload = booking_payload(booking, professional)
    payload.update({"from": current.value, "by": acting_as(roles).value})
    if step is CANCEL:
        payload["reason"] = booking.cancellation_reason
    uow.emit(step.event, payload, **_aggregate(payload))
    return booking


def _aggregate(payload: dict[str, Any]) -> dict[str, Any]:
    """Consumers order a booking's events by its id and version."""
    return {"aggregate_id": payload["id"], "version": payload["version"]}


async def visible_booking(session: AsyncSession, caller: Caller | None, booking_id: str) -> Booking:
    """A booking the caller takes part in (admins: any); NOT_FOUND for anyone else."""
    caller = require_user(caller)
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise invisible(booking_id)
    professional = await session.get(Professional, booking.professional_id)
    if professional is None or not parties(caller, booking, professional):
        raise invisible(booking_id)
    return booking


async def booking_listing(
    session: AsyncSession,
    caller: Caller | None,
    role: BookingRole,
    status: BookingStatus | None = None,
    *,
    client_id: str | None = None,
) -> Select[Any]:
    """The caller's bookings as a client (or as the professional). `client_id` lists one
    client's: their own, or anyone's for an admin."""
    caller = require_user(caller)
    conditions: list[ColumnElement[bool]] = []
    if role is BookingRole.PROFESSIONAL:
        conditions.append(Booking.professional_id == (await own_professional(session, caller)).id)
    else:
        client = caller.user_id if client_id is None else client_id
        if client != caller.user_id and not caller.is_admin:
            raise NotFound("no bookings to show")
        conditions.append(Booking.client_id == client)
    if status is not None:
        conditions.append(Booking.status == status.value)
    return select(Booking).where(*conditions)
