"""No double booking, on PostgreSQL and SQLite: concurrent writers cannot corrupt a calendar.

Storms of concurrent calls, each in its own unit of work on its own connection. The calls
alternate between two engines on one database, as two processes serving it would: an
in-process lock could not order them, only the database can. Then forced interleavings: a
racer with no patience for locks is sent between a write's checks and its first write; it
must find the write's lock (and fail at once), and once the write is done it must see it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from db import Database
from db.base import as_utc
from subgraphs.bookings.domain import CANCEL, CONFIRM, BookingStatus, Period
from subgraphs.bookings.models import Booking, BookingStatusChange, Slot
from subgraphs.bookings.service import bookings
from subgraphs.bookings.service import slots as slot_service
from subgraphs.bookings.service.unit import Unit
from subgraphs.common.auth import Caller
from subgraphs.common.errors import Conflict, MosaicError, NotFound
from subgraphs.common.unit_of_work import unit_of_work
from tests.subgraphs.bookings.conftest import ALICE, BOB, PRO, BookingsDb, client, period
from tests.utils.races import impatient_sessions, run_before_first_write

T = TypeVar("T")
Work = Callable[[Unit], Awaitable[Any]]


@pytest.fixture
async def engines(bookings_db: BookingsDb, database_url: str) -> AsyncIterator[list[Database]]:
    """Two engines on one database (two processes serving it)."""
    other = Database.from_url(database_url)
    try:
        yield [bookings_db.db, other]
    finally:
        await other.dispose()


async def storm(
    db: BookingsDb, engines: list[Database], calls: list[tuple[Caller, Work]]
) -> list[Any]:
    """Every call at once, each in its own unit of work on the next engine in turn; expected
    failures (MosaicError) are returned, anything else propagates."""

    async def one(index: int, caller: Caller, work: Work) -> Any:
        try:
            async with unit_of_work(engines[index % len(engines)], caller, db.published) as uow:
                return await work(uow)
        except MosaicError as error:
            return error

    return list(
        await asyncio.gather(*(one(n, caller, work) for n, (caller, work) in enumerate(calls)))
    )


def book(slot_id: str) -> Work:
    return lambda uow: bookings.book_slot(uow, slot_id, "storm")


async def active_bookings(db: BookingsDb, slot_id: str) -> list[Booking]:
    async with db.db.sessions() as session:
        rows = await session.scalars(
            select(Booking).where(
                Booking.slot_id == slot_id, Booking.status != BookingStatus.CANCELLED.value
            )
        )
        return list(rows)


async def slot_status(db: BookingsDb, slot_id: str) -> str:
    async with db.db.sessions() as session:
        return str(await session.scalar(select(Slot.status).where(Slot.id == slot_id)))


async def test_twenty_concurrent_bookings_of_one_slot_make_exactly_one(
    bookings_db: BookingsDb, engines: list[Database]
) -> None:
    await bookings_db.professional(PRO)
    for round_ in range(3):
        slot = await bookings_db.slot(PRO, days=round_ + 1)
        outcomes = await storm(
            bookings_db, engines, [(client(n), book(slot.id)) for n in range(20)]
        )
        won = [o for o in outcomes if isinstance(o, Booking)]
        lost = [o for o in outcomes if not isinstance(o, Booking)]
        assert len(won) == 1, outcomes
        assert len(lost) == 19
        assert all(
            isinstance(o, Conflict) and o.message == "the slot is already booked" for o in lost
        ), lost
        (stored,) = await active_bookings(bookings_db, slot.id)
        assert stored.id == won[0].id and stored.status == "PENDING"
        assert await slot_status(bookings_db, slot.id) == "HELD"
    requested = bookings_db.published.of("booking.requested")
    assert len(requested) == 3  # one event per booking made, none for the refused calls
    async with bookings_db.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 3
        assert await session.scalar(select(func.count()).select_from(BookingStatusChange)) == 3


async def test_bookings_racing_a_cancellation_never_hold_a_slot_twice(
    bookings_db: BookingsDb, engines: list[Database]
) -> None:
    await bookings_db.professional(PRO)
    for round_ in range(3):
        slot = await bookings_db.slot(PRO, days=round_ + 1)
        first = await bookings_db.book(ALICE, slot)

        async def cancel(uow: Unit, booking_id: str = first.id) -> Booking:
            return await bookings.transition(uow, booking_id, CANCEL)

        calls = [(client(n), book(slot.id)) for n in range(5)]
        calls += [(ALICE, cancel)] + [(client(n), book(slot.id)) for n in range(5, 10)]
        outcomes = await storm(bookings_db, engines, calls)
        assert isinstance(outcomes[5], Booking) and outcomes[5].status == "CANCELLED"
        rebooked = [o for o in outcomes if isinstance(o, Booking) and o.status == "PENDING"]
        assert len(rebooked) <= 1, rebooked  # at most one booker came after the cancellation
        assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, MosaicError))
        active = await active_bookings(bookings_db, slot.id)
        assert [b.id for b in active] == [b.id for b in rebooked]
        assert await slot_status(bookings_db, slot.id) == ("HELD" if active else "OPEN")


async def test_concurrent_confirms_and_cancels_form_one_chain(
    bookings_db: BookingsDb, engines: list[Database]
) -> None:
    await bookings_db.professional(PRO)
    placed = [
        await bookings_db.book(client(n), await bookings_db.slot(PRO, days=n + 1)) for n in range(4)
    ]

    def move(booking: Booking, step: Any) -> tuple[Caller, Work]:
        who = PRO if step is CONFIRM else Caller(booking.client_id, frozenset({"USER"}))
        return who, lambda uow: bookings.transition(uow, booking.id, step)

    calls = [move(b, s) for b in placed for s in (CONFIRM, CANCEL) * 3]
    outcomes = await storm(bookings_db, engines, calls)
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, MosaicError)), outcomes
    steps = 0
    async with bookings_db.db.sessions() as session:
        for booking in placed:
            chain = (
                await session.execute(
                    select(BookingStatusChange.from_status, BookingStatusChange.to_status)
                    .where(BookingStatusChange.booking_id == booking.id)
                    .order_by(BookingStatusChange.id)
                )
            ).all()
            assert chain[0] == (None, "PENDING")
            for (_, before), (after, _) in itertools.pairwise(chain):
                assert before == after, chain  # no skipped or repeated step
            steps += len(chain) - 1
            final = chain[-1][1]
            assert final in ("CANCELLED", "CONFIRMED") and len(chain) <= 3
            status = await session.scalar(select(Slot.status).where(Slot.id == booking.slot_id))
            assert status == {"CANCELLED": "OPEN", "CONFIRMED": "BOOKED"}[final]
    assert len([o for o in outcomes if not isinstance(o, MosaicError)]) == steps


async def test_concurrent_overlapping_slot_offers_keep_one(
    bookings_db: BookingsDb, engines: list[Database]
) -> None:
    await bookings_db.professional(PRO)
    base = period(days=2, hour=10)

    def offer(minutes: int) -> tuple[Caller, Work]:
        shift = timedelta(minutes=minutes)
        wanted = Period(base.starts_at + shift, base.ends_at + shift)
        return PRO, lambda uow: slot_service.create_slots(uow, [wanted])

    outcomes = await storm(bookings_db, engines, [offer(5 * n) for n in range(10)])
    made = [o for o in outcomes if not isinstance(o, MosaicError)]
    assert len(made) == 1, outcomes
    assert all(
        isinstance(o, Conflict) and "overlaps the existing slot" in o.message
        for o in outcomes
        if isinstance(o, MosaicError)
    )
    async with bookings_db.db.sessions() as session:
        rows = (await session.scalars(select(Slot))).all()
    assert len(rows) == 1


async def test_the_database_refuses_a_second_active_booking_of_a_slot(
    bookings_db: BookingsDb,
) -> None:
    """The unique index under the slot lock: even a writer that skips the service cannot
    store two bookings of one slot that are not cancelled."""
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    first = await bookings_db.book(ALICE, slot)
    row = {
        "id": "bypass-1",
        "slot_id": slot.id,
        "professional_id": first.professional_id,
        "client_id": BOB.user_id,
        "status": "PENDING",
        "notes": "",
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "price_amount": 1,
        "price_currency": "EUR",
        "created_at": slot.created_at,
        "updated_at": slot.created_at,
    }
    with pytest.raises(IntegrityError):
        async with bookings_db.db.transaction() as session:
            await session.execute(insert(Booking).values(**row))
    async with bookings_db.db.transaction() as session:  # a cancelled one may sit beside it
        await session.execute(insert(Booking).values(**{**row, "status": "CANCELLED"}))


# -- forced: a racer arrives between a write's checks and its first write ----------------------


async def forced(
    db: BookingsDb,
    database_url: str,
    write: tuple[Caller, Work],
    racer: tuple[Caller, Work],
) -> tuple[Any, Any, Any]:
    """The write, with an impatient racer sent between its checks and its first write; then
    the racer again once the write is done. Returns (first racer, write, second racer)."""
    attempts: list[Any] = []

    async def attempt(database: Database, caller: Caller, work: Work) -> Any:
        try:
            async with unit_of_work(database, caller, db.published) as uow:
                return await work(uow)
        except (DBAPIError, MosaicError) as error:
            return error

    async with impatient_sessions(database_url) as impatient:
        impatient_db = Database(impatient.kw["bind"], impatient)

        async def race() -> None:
            attempts.append(await attempt(impatient_db, *racer))

        async def watched(uow: Unit) -> Any:
            run_before_first_write(uow.session, race)
            return await write[1](uow)

        written = await attempt(db.db, write[0], watched)
    assert len(attempts) == 1, "the write never reached its first write"
    again = await attempt(db.db, *racer)
    return attempts[0], written, again


async def test_forced_second_booking_waits_for_the_first(
    bookings_db: BookingsDb, database_url: str
) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    first, written, again = await forced(
        bookings_db, database_url, (ALICE, book(slot.id)), (BOB, book(slot.id))
    )
    assert isinstance(first, DBAPIError), first  # it had to wait: refused by its impatience
    assert isinstance(written, Booking) and written.client_id == ALICE.user_id
    assert isinstance(again, Conflict) and again.message == "the slot is already booked"
    assert [b.id for b in await active_bookings(bookings_db, slot.id)] == [written.id]


async def test_forced_booking_racing_a_cancellation(
    bookings_db: BookingsDb, database_url: str
) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    held = await bookings_db.book(ALICE, slot)
    first, written, again = await forced(
        bookings_db,
        database_url,
        (ALICE, lambda uow: bookings.transition(uow, held.id, CANCEL)),
        (BOB, book(slot.id)),
    )
    assert isinstance(first, DBAPIError), first  # the slot was locked by the cancellation
    assert isinstance(written, Booking) and written.status == "CANCELLED"
    assert isinstance(again, Booking) and again.client_id == BOB.user_id  # the slot was freed
    assert await slot_status(bookings_db, slot.id) == "HELD"


async def test_forced_overlapping_offers(bookings_db: BookingsDb, database_url: str) -> None:
    await bookings_db.professional(PRO)
    nine = period(hour=9)
    later = Period(nine.starts_at + timedelta(minutes=20), nine.ends_at + timedelta(minutes=20))
    first, written, again = await forced(
        bookings_db,
        database_url,
        (PRO, lambda uow: slot_service.create_slots(uow, [nine])),
        (PRO, lambda uow: slot_service.create_slots(uow, [later])),
    )
    assert isinstance(first, DBAPIError), first
    assert isinstance(written, list) and as_utc(written[0].starts_at) == nine.starts_at
    assert isinstance(again, Conflict) and "overlaps the existing slot" in again.message


async def test_forced_booking_racing_the_slots_deletion(
    bookings_db: BookingsDb, database_url: str
) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    first, written, again = await forced(
        bookings_db,
        database_url,
        (PRO, lambda uow: slot_service.delete_slot(uow, slot.id)),
        (BOB, book(slot.id)),
    )
    assert isinstance(first, DBAPIError), first  # the deletion held the slot's lock
    assert written == slot.id
    assert isinstance(again, NotFound) and again.message == f"no slot with id {slot.id!r}"
    async with bookings_db.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 0
