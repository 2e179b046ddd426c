"""Thin Query and Mutation fields: read arguments, call the service, shape the result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from subgraphs.bookings import domain
from subgraphs.bookings.inputs import ProfessionalFilter, RegisterProfessionalInput, SlotInput
from subgraphs.bookings.models import Professional as ProfessionalRow
from subgraphs.bookings.models import Slot as SlotRow
from subgraphs.bookings.service import bookings, professionals, stats
from subgraphs.bookings.service import slots as slot_service
from subgraphs.bookings.service.unit import Unit
from subgraphs.bookings.types import (
    Booking,
    BookingRole,
    BookingsInfo,
    BookingStats,
    BookingStatus,
    Professional,
    Slot,
    booking_connection,
)
from subgraphs.common.keyset import column_ordering, paginate_ordered
from subgraphs.common.pagination import Connection, to_connection
from subgraphs.common.unit_of_work import unit_of_work

T = TypeVar("T")

_BY_NAME = column_ordering("PROFESSIONALS", ProfessionalRow.display_name, ProfessionalRow.id)
_BY_START = column_ordering("SLOTS", SlotRow.starts_at, SlotRow.id)


async def write(info: BookingsInfo, work: Callable[[Unit], Awaitable[T]]) -> T:
    """Run `work` as one unit of work of the caller: its events are written to the outbox in
    its transaction and published after the commit."""
    caller = await info.context.caller()
    async with unit_of_work(info.context.db, caller, info.context.events) as uow:
        return await work(uow)


@strawberry.type
class Query:
    @strawberry.field(description="Professionals by name, filtered; a Relay connection.")
    async def professionals(
        self,
        info: BookingsInfo,
        filter: ProfessionalFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Professional]:
        where = filter.to_domain() if filter else domain.ProfessionalFilter()
        async with info.context.db.sessions() as session:
            statement = professionals.professional_listing(where)
            page = await paginate_ordered(session, statement, _BY_NAME, first=first, after=after)
        return to_connection(page, Professional.from_row)

    @strawberry.field
    async def professional(self, info: BookingsInfo, id: strawberry.ID) -> Professional | None:
        row = await info.context.loaders.professional_by_id.load(str(id))
        return None if row is None else Professional.from_row(row)

    @strawberry.field(
        description="A professional's OPEN slots starting in [from, to) (UTC; from defaults to "
        "now, to to 30 days after from), soonest first."
    )
    async def available_slots(
        self,
        info: BookingsInfo,
        professional_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Slot]:
        statement = slot_service.available_slots(str(professional_id), from_, to)
        async with info.context.db.sessions() as session:
            page = await paginate_ordered(session, statement, _BY_START, first=first, after=after)
        return to_connection(page, Slot.from_row)

    @strawberry.field(description="A booking you take part in (admins: any).")
    async def booking(self, info: BookingsInfo, id: strawberry.ID) -> Booking:
        caller = await info.context.caller()
        async with info.context.db.sessions() as session:
            return Booking.from_row(await bookings.visible_booking(session, caller, str(id)))

    @strawberry.field(
        description="Your bookings as a client (default) or as the professional, latest "
        "session first."
    )
    async def bookings(
        self,
        info: BookingsInfo,
        role: BookingRole = BookingRole.CLIENT,  # type: ignore[valid-type]
        status: BookingStatus | None = None,  # type: ignore[valid-type]
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Booking]:
        return await booking_connection(
            info,
            domain.BookingRole(role),
            None if status is None else domain.BookingStatus(status),
            first,
            after,
        )

    @strawberry.field(
        description="Revenue of completed bookings, counts by status and the no-show rate: "
        "your own as a professional; admins see all, or one professional's."
    )
    async def booking_stats(
        self, info: BookingsInfo, professional_id: strawberry.ID | None = None
    ) -> BookingStats:
        caller = await info.context.caller()
        wanted = None if professional_id is None else str(professional_id)
        async with info.context.db.sessions() as session:
            return BookingStats(data=await stats.booking_stats(session, caller, wanted))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Make your professional profile (one per user).")
    async def register_professional(
        self, info: BookingsInfo, input: RegisterProfessionalInput
    ) -> Professional:
        data = input.to_domain()
        row = await write(info, lambda uow: professionals.register_professional(uow, data))
        return Professional.from_row(row)

    @strawberry.mutation(
        description="Offer periods (at most 100, in the future, 5 minutes to 12 hours each) as "
        "OPEN slots of your profile (admins: any professional's). Overlapping slots are refused."
    )
    async def create_slots(
        self,
        info: BookingsInfo,
        slots: list[SlotInput],
        professional_id: strawberry.ID | None = None,
    ) -> list[Slot]:
        periods = [s.to_domain() for s in slots]
        owner = None if professional_id is None else str(professional_id)
        rows = await write(
            info, lambda uow: slot_service.create_slots(uow, periods, professional_id=owner)
        )
        return [Slot.from_row(row) for row in rows]

    @strawberry.mutation(description="Remove an OPEN slot of yours. Returns its id.")
    async def delete_slot(self, info: BookingsInfo, id: strawberry.ID) -> strawberry.ID:
        return strawberry.ID(await write(info, lambda uow: slot_service.delete_slot(uow, str(id))))

    @strawberry.mutation(
        description="Book an OPEN slot: a PENDING booking that holds the slot until the "
        "professional confirms it. CONFLICT when someone else got it first."
    )
    async def book_slot(
        self, info: BookingsInfo, slot_id: strawberry.ID, notes: str = ""
    ) -> Booking:
        row = await write(info, lambda uow: bookings.book_slot(uow, str(slot_id), notes))
        return Booking.from_row(row)

    @strawberry.mutation(description="The professional (or an admin) confirms a PENDING booking.")
    async def confirm_booking(self, info: BookingsInfo, id: strawberry.ID) -> Booking:
        return await _step(info, str(id), domain.CONFIRM)

    @strawberry.mutation(
        description="Its client, its professional or an admin cancels a PENDING or CONFIRMED "
        "booking; the slot opens again."
    )
    async def cancel_booking(
        self, info: BookingsInfo, id: strawberry.ID, reason: str | None = None
    ) -> Booking:
        return await _step(info, str(id), domain.CANCEL, reason)

    @strawberry.mutation(
        description="The professional (or an admin) completes a CONFIRMED booking once the "
        "session has started."
    )
    async def complete_booking(self, info: BookingsInfo, id: strawberry.ID) -> Booking:
        return await _step(info, str(id), domain.COMPLETE)

    @strawberry.mutation(
        description="The professional (or an admin) marks a CONFIRMED booking whose session "
        "has started as a no-show."
    )
    async def mark_no_show(self, info: BookingsInfo, id: strawberry.ID) -> Booking:
        return await _step(info, str(id), domain.NO_SHOW)


async def _step(
    info: BookingsInfo, booking_id: str, step: domain.Transition, reason: str | None = None
) -> Booking:
    row = await write(info, lambda uow: bookings.transition(uow, booking_id, step, reason=reason))
    return Booking.from_row(row)
