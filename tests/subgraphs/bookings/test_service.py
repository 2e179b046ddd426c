"""The bookings service on SQLite and PostgreSQL: registration, slots, bookings and who may
move them, events, listings and statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db.base import as_utc
from subgraphs.bookings.domain import (
    CANCEL,
    COMPLETE,
    CONFIRM,
    NO_SHOW,
    BookingRole,
    BookingStatus,
    Money,
    Period,
    ProfessionalFilter,
    ProfessionalInput,
    Transition,
    utcnow,
)
from subgraphs.bookings.models import Booking, BookingStatusChange, Slot
from subgraphs.bookings.service import bookings, professionals, stats
from subgraphs.bookings.service import slots as slot_service
from subgraphs.common.auth import Caller
from subgraphs.common.errors import (
    BadUserInput,
    Conflict,
    Forbidden,
    MosaicError,
    NotFound,
    Unauthenticated,
)
from subgraphs.common.outbox import OUTBOX, OutboxRelay
from subgraphs.common.unit_of_work import unit_of_work
from tests.subgraphs.bookings.conftest import (
    ADMIN,
    ALICE,
    BOB,
    OTHER_PRO,
    PRO,
    BookingsDb,
    period,
)


async def step(
    db: BookingsDb,
    caller: Caller,
    booking: Booking,
    move: Transition,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    async with db.write(caller, now=now) as uow:
        return await bookings.transition(uow, booking.id, move, reason=reason)


async def history(db: BookingsDb, booking_id: str) -> list[tuple[str | None, str, str | None]]:
    async with db.db.sessions() as session:
        rows = await session.execute(
            select(
                BookingStatusChange.from_status,
                BookingStatusChange.to_status,
                BookingStatusChange.by_id,
            )
            .where(BookingStatusChange.booking_id == booking_id)
            .order_by(BookingStatusChange.id)
        )
        return [(a, b, c) for a, b, c in rows.all()]


async def slot_status(db: BookingsDb, slot_id: str) -> str:
    slot = await db.get(Slot, slot_id)
    return str(slot.status)


# -- professionals ----------------------------------------------------------------------------


async def test_register_professional_once_per_user(bookings_db: BookingsDb) -> None:
    row = await bookings_db.professional(PRO, rate=9000, specialization="Physiotherapy")
    assert (row.user_id, row.hourly_rate_amount, row.hourly_rate_currency) == (
        "user-pro",
        9000,
        "EUR",
    )
    with pytest.raises(Conflict, match="registered as a professional already"):
        await bookings_db.professional(PRO)
    (event,) = bookings_db.published.of("professional.registered")
    assert event["userId"] == "user-pro" and event["hourlyRate"] == {
        "amount": 9000,
        "currency": "EUR",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"hourly_rate": Money(0, "EUR")}, "hourlyRate must be between 1"),
        ({"hourly_rate": Money(100, "euro")}, "three-letter ISO 4217"),
        ({"display_name": "   "}, "displayName must not be empty"),
        ({"specialization": "x" * 101}, "at most 100 characters"),
    ],
)
async def test_register_refuses_bad_input(
    bookings_db: BookingsDb, change: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "display_name": "Dr. X",
        "specialization": "Psychology",
        "hourly_rate": Money(5000, "EUR"),
        "time_zone": "Europe/Berlin",
    }
    data = ProfessionalInput(**{**fields, **change})  # type: ignore[arg-type]
    with pytest.raises(BadUserInput, match=message):
        async with bookings_db.write(PRO) as uow:
            await professionals.register_professional(uow, data)
    with pytest.raises(Unauthenticated):
        async with bookings_db.write(None) as uow:
            await professionals.register_professional(uow, data)


async def test_directory_filters_by_specialization_and_text(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO, specialization="Psychology", name="Dr. Ada")
    await bookings_db.professional(OTHER_PRO, specialization="Nutrition", bio="Vegan_100% plans")
    await bookings_db.professional(BOB, specialization="psychology", name="Bob Sleep")

    async def names(where: ProfessionalFilter) -> list[str]:
        statement = professionals.professional_listing(where)
        async with bookings_db.db.sessions() as session:
            rows = await session.scalars(statement.order_by("display_name"))
            return [row.display_name for row in rows]

    assert await names(ProfessionalFilter(specialization="PSYCHOLOGY")) == ["Bob Sleep", "Dr. Ada"]
    assert await names(ProfessionalFilter(text="sleep")) == ["Bob Sleep"]
    assert await names(ProfessionalFilter(text="_100%")) == ["Dr. user-other-pro"]
    assert await names(ProfessionalFilter(text="1_0")) == []  # _ is not a wildcard
    assert len(await names(ProfessionalFilter())) == 3


# -- slots ------------------------------------------------------------------------------------


async def test_create_slots_refuses_overlaps_within_and_with_existing(
    bookings_db: BookingsDb,
) -> None:
    await bookings_db.professional(PRO)
    await bookings_db.professional(OTHER_PRO)
    made = await bookings_db.slots(PRO, period(hour=9), period(hour=10), period(hour=11))
    assert [as_utc(s.starts_at).hour for s in made] == [9, 10, 11]
    assert {s.status for s in made} == {"OPEN"}

    nine = period(hour=9)
    shifted = Period(nine.starts_at + timedelta(minutes=30), nine.ends_at + timedelta(minutes=30))
    with pytest.raises(Conflict, match="overlaps the existing slot") as refused:
        await bookings_db.slots(PRO, period(hour=15), shifted)
    assert refused.value.extensions["slotId"] == made[0].id
    with pytest.raises(BadUserInput, match="overlap"):
        await bookings_db.slots(PRO, period(hour=16), period(hour=16, minutes=30))
    # back to back is not an overlap; another professional's calendar is theirs
    touching = Period(made[2].ends_at, made[2].ends_at + timedelta(minutes=20))
    await bookings_db.slots(PRO, touching)
    await bookings_db.slots(OTHER_PRO, period(hour=9))
    async with bookings_db.db.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Slot))
    assert count == 5  # the refused calls made nothing, not even their valid slots


@pytest.mark.parametrize(
    ("starts", "length", "message"),
    [
        (timedelta(hours=-1), timedelta(minutes=50), "must start in the future"),
        (timedelta(days=1), timedelta(minutes=-5), "must end after it starts"),
        (timedelta(days=1), timedelta(minutes=2), "between 5 minutes and 12 hours"),
        (timedelta(days=1), timedelta(hours=13), "between 5 minutes and 12 hours"),
        (timedelta(days=400), timedelta(hours=1), "at most a year ahead"),
    ],
)
async def test_create_slots_refuses_bad_periods(
    bookings_db: BookingsDb, starts: timedelta, length: timedelta, message: str
) -> None:
    await bookings_db.professional(PRO)
    at = utcnow() + starts
    with pytest.raises(BadUserInput, match=message):
        await bookings_db.slots(PRO, Period(at, at + length))


async def test_create_slots_needs_a_profile_and_the_owner(bookings_db: BookingsDb) -> None:
    with pytest.raises(BadUserInput, match="no professional profile"):
        await bookings_db.slots(ALICE, period())
    naive = datetime(2030, 1, 1, 9)
    with pytest.raises(BadUserInput, match="UTC offset"):
        await bookings_db.professional(PRO)
        await bookings_db.slots(PRO, Period(naive, naive + timedelta(hours=1)))
    mine = await bookings_db.professional(OTHER_PRO)
    with pytest.raises(Forbidden):
        async with bookings_db.write(ALICE) as uow:
            await slot_service.create_slots(uow, [period()], professional_id=mine.id)
    async with bookings_db.write(ADMIN) as uow:  # admins manage anyone's calendar
        (made,) = await slot_service.create_slots(uow, [period()], professional_id=mine.id)
    assert made.professional_id == mine.id
    with pytest.raises(NotFound):
        async with bookings_db.write(ADMIN) as uow:
            await slot_service.create_slots(uow, [period()], professional_id="nope")


async def test_times_with_offsets_are_stored_in_utc(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO)
    berlin = period(hour=9).starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    (made,) = await bookings_db.slots(PRO, Period(berlin, berlin + timedelta(hours=1)))
    stored = await bookings_db.get(Slot, made.id)
    assert as_utc(stored.starts_at) == berlin.astimezone(UTC)
    assert as_utc(stored.starts_at).hour == 9


async def test_delete_slot_only_when_open_and_by_its_owner(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    booking = await bookings_db.book(ALICE, slot)
    with pytest.raises(Conflict, match="the slot is HELD"):
        async with bookings_db.write(PRO) as uow:
            await slot_service.delete_slot(uow, slot.id)
    with pytest.raises(Forbidden):
        async with bookings_db.write(ALICE) as uow:
            await slot_service.delete_slot(uow, slot.id)
    await step(bookings_db, ALICE, booking, CANCEL)
    async with bookings_db.write(PRO) as uow:
        assert await slot_service.delete_slot(uow, slot.id) == slot.id
    kept = await bookings_db.get(Booking, booking.id)
    assert kept.slot_id is None and kept.status == "CANCELLED"  # history keeps its period
    assert as_utc(kept.starts_at) == as_utc(slot.starts_at)
    with pytest.raises(NotFound):
        async with bookings_db.write(PRO) as uow:
            await slot_service.delete_slot(uow, slot.id)


async def test_available_slots_are_open_future_and_in_the_window(bookings_db: BookingsDb) -> None:
    pro = await bookings_db.professional(PRO)
    made = await bookings_db.slots(
        PRO, period(days=1), period(days=2), period(days=3), period(days=31)
    )
    await bookings_db.book(ALICE, made[1])

    async def starts(begin: datetime | None, end: datetime | None) -> list[str]:
        statement = slot_service.available_slots(pro.id, begin, end)
        async with bookings_db.db.sessions() as session:
            rows = await session.scalars(statement.order_by(Slot.starts_at))
            return [row.id for row in rows]

    assert await starts(None, None) == [made[0].id, made[2].id]  # 30 days by default
    assert await starts(made[2].starts_at, None) == [made[2].id, made[3].id]
    assert await starts(None, made[2].starts_at) == [made[0].id]  # `to` is exclusive
    with pytest.raises(BadUserInput, match="`to` must be after `from`"):
        await starts(made[2].starts_at, made[0].starts_at)


# -- bookings ---------------------------------------------------------------------------------


async def test_book_slot_holds_it_with_the_price_of_its_length(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO, rate=6000)
    (slot,) = await bookings_db.slots(PRO, period(minutes=50))
    booking = await bookings_db.book(ALICE, slot, "  first visit  ")
    assert booking.status == "PENDING" and booking.notes == "first visit"
    assert (booking.price_amount, booking.price_currency) == (5000, "EUR")  # 50/60 of 60.00
    assert await slot_status(bookings_db, slot.id) == "HELD"
    assert await history(bookings_db, booking.id) == [(None, "PENDING", "user-alice")]
    (event,) = bookings_db.published.of("booking.requested")
    assert event["clientId"] == "user-alice" and event["professionalUserId"] == "user-pro"
    assert event["price"] == {"amount": 5000, "currency": "EUR"} and event["notes"] == "first visit"


async def test_book_slot_refusals(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    with pytest.raises(BadUserInput, match="cannot book your own slot"):
        await bookings_db.book(PRO, slot)
    with pytest.raises(Unauthenticated):
        await bookings_db.book(None, slot)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="no slot"):
        async with bookings_db.write(ALICE) as uow:
            await bookings.book_slot(uow, "missing")
    with pytest.raises(BadUserInput, match="notes must be at most"):
        await bookings_db.book(ALICE, slot, "x" * 2001)
    with pytest.raises(BadUserInput, match="has started already"):
        async with bookings_db.write(ALICE, now=slot.starts_at + timedelta(minutes=1)) as uow:
            await bookings.book_slot(uow, slot.id)
    await bookings_db.book(ALICE, slot)
    with pytest.raises(Conflict, match="already booked"):
        await bookings_db.book(BOB, slot)
    assert bookings_db.published.types() == ["booking.requested"]


async def test_the_whole_life_of_a_booking(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    booking = await bookings_db.book(ALICE, slot)
    confirmed = await step(bookings_db, PRO, booking, CONFIRM)
    assert confirmed.status == "CONFIRMED"
    assert await slot_status(bookings_db, slot.id) == "BOOKED"
    with pytest.raises(BadUserInput, match="has not started yet"):
        await step(bookings_db, PRO, booking, COMPLETE)
    later = as_utc(slot.starts_at) + timedelta(minutes=55)
    done = await step(bookings_db, PRO, booking, COMPLETE, now=later)
    assert done.status == "COMPLETED"
    with pytest.raises(Conflict, match="a COMPLETED booking cannot be cancelled"):
        await step(bookings_db, ALICE, booking, CANCEL)
    assert await slot_status(bookings_db, slot.id) == "BOOKED"
    assert await history(bookings_db, booking.id) == [
        (None, "PENDING", "user-alice"),
        ("PENDING", "CONFIRMED", "user-pro"),
        ("CONFIRMED", "COMPLETED", "user-pro"),
    ]
    assert bookings_db.published.types() == [
        "booking.requested",
        "booking.confirmed",
        "booking.completed",
    ]
    completed = bookings_db.published.of("booking.completed")[0]
    assert completed["from"] == "CONFIRMED" and completed["by"] == "PROFESSIONAL"
    versions = [e["version"] for e in bookings_db.published.of("booking.")]
    assert versions == sorted(set(versions))  # each event of the booking is newer


async def test_a_cancelled_booking_frees_its_slot(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    first = await bookings_db.book(ALICE, slot)
    await step(bookings_db, PRO, first, CONFIRM)
    cancelled = await step(bookings_db, ALICE, first, CANCEL, reason=" flu ")
    assert cancelled.status == "CANCELLED" and cancelled.cancellation_reason == "flu"
    assert await slot_status(bookings_db, slot.id) == "OPEN"
    second = await bookings_db.book(BOB, slot)  # the unique index allows it: one active
    assert second.status == "PENDING" and second.id != first.id
    with pytest.raises(Conflict, match="a CANCELLED booking cannot be confirmed"):
        await step(bookings_db, PRO, first, CONFIRM)
    event = bookings_db.published.of("booking.cancelled")[0]
    assert event["reason"] == "flu" and event["by"] == "CLIENT" and event["from"] == "CONFIRMED"


# Who may make each move: CLIENT = the booking's client, PRO = its professional.
RULES = [
    (CONFIRM, {"PRO", "ADMIN"}),
    (CANCEL, {"CLIENT", "PRO", "ADMIN"}),
    (COMPLETE, {"PRO", "ADMIN"}),
    (NO_SHOW, {"PRO", "ADMIN"}),
]
ACTORS = {"CLIENT": ALICE, "PRO": PRO, "ADMIN": ADMIN, "STRANGER": BOB, "OTHER_PRO": OTHER_PRO}


@pytest.mark.parametrize(("move", "allowed"), RULES, ids=[m.verb for m, _ in RULES])
async def test_each_transition_checks_who_may_make_it(
    bookings_db: BookingsDb, move: Transition, allowed: set[str]
) -> None:
    await bookings_db.professional(PRO)
    await bookings_db.professional(OTHER_PRO)
    for name, actor in ACTORS.items():
        slot = await bookings_db.slot(PRO, days=1 + len(name))
        booking = await bookings_db.book(ALICE, slot)
        if move is not CONFIRM:
            await step(bookings_db, PRO, booking, CONFIRM)
        later = as_utc(slot.starts_at) + timedelta(minutes=1)
        try:
            moved = await step(bookings_db, actor, booking, move, now=later)
        except MosaicError as error:
            outcome: object = type(error)
        else:
            outcome = moved.status
        if name in allowed:
            assert outcome == move.target.value, (name, outcome)
        elif name in ("STRANGER", "OTHER_PRO"):
            assert outcome is NotFound, (name, outcome)  # strangers learn nothing
        else:
            assert outcome is Forbidden, (name, outcome)


async def test_no_show_counts_in_the_statistics(bookings_db: BookingsDb) -> None:
    pro = await bookings_db.professional(PRO, rate=6000)
    await bookings_db.professional(OTHER_PRO, rate=3000)
    made = await bookings_db.slots(PRO, period(days=1), period(days=2), period(days=3))
    (theirs,) = await bookings_db.slots(OTHER_PRO, period(days=1))
    late = as_utc(made[-1].starts_at) + timedelta(hours=1)
    outcomes = [COMPLETE, NO_SHOW, CANCEL]
    for slot, outcome in zip(made, outcomes, strict=True):
        booking = await bookings_db.book(ALICE, slot)
        await step(bookings_db, PRO, booking, CONFIRM)
        await step(bookings_db, PRO, booking, outcome, now=late)
    other = await bookings_db.book(BOB, theirs)
    await step(bookings_db, OTHER_PRO, other, CONFIRM)
    await step(bookings_db, OTHER_PRO, other, COMPLETE, now=late)
    pending = await bookings_db.book(BOB, await bookings_db.slot(PRO, days=5))

    async with bookings_db.db.sessions() as session:
        own = await stats.booking_stats(session, PRO)
        everyone = await stats.booking_stats(session, ADMIN)
        one = await stats.booking_stats(session, ADMIN, pro.id)
        with pytest.raises(Forbidden, match="only professionals and admins"):
            await stats.booking_stats(session, ALICE)
        with pytest.raises(Forbidden, match="another professional"):
            await stats.booking_stats(session, OTHER_PRO, pro.id)
        with pytest.raises(NotFound):
            await stats.booking_stats(session, ADMIN, "missing")
    assert own == one and own.professional_id == pro.id
    assert own.revenue == (Money(5000, "EUR"),)
    assert dict(own.by_status) == {
        BookingStatus.PENDING: 1,
        BookingStatus.CONFIRMED: 0,
        BookingStatus.COMPLETED: 1,
        BookingStatus.CANCELLED: 1,
        BookingStatus.NO_SHOW: 1,
    }
    assert own.total == 4 and own.no_show_rate == 0.5
    assert everyone.revenue == (Money(7500, "EUR"),) and everyone.total == 5
    assert everyone.no_show_rate == pytest.approx(1 / 3)
    assert pending.status == "PENDING"


async def test_listing_by_role_and_status(bookings_db: BookingsDb) -> None:
    await bookings_db.professional(PRO)
    made = await bookings_db.slots(PRO, period(days=1), period(days=2), period(days=3))
    ids = [
        (await bookings_db.book(c, s)).id for c, s in zip([ALICE, ALICE, BOB], made, strict=True)
    ]

    async def listed(caller: Caller, role: BookingRole, **kw: object) -> list[str]:
        async with bookings_db.db.sessions() as session:
            statement = await bookings.booking_listing(session, caller, role, **kw)  # type: ignore[arg-type]
            rows = await session.scalars(statement.order_by(Booking.starts_at))
            return [row.id for row in rows]

    assert await listed(ALICE, BookingRole.CLIENT) == ids[:2]
    assert await listed(PRO, BookingRole.PROFESSIONAL) == ids
    assert await listed(PRO, BookingRole.CLIENT) == []
    assert await listed(ADMIN, BookingRole.CLIENT, client_id=BOB.user_id) == ids[2:]
    assert await listed(ALICE, BookingRole.CLIENT, status=BookingStatus.CONFIRMED) == []
    with pytest.raises(NotFound):
        await listed(ALICE, BookingRole.CLIENT, client_id=BOB.user_id)
    with pytest.raises(BadUserInput, match="no professional profile"):
        await listed(ALICE, BookingRole.PROFESSIONAL)
    async with bookings_db.db.sessions() as session:
        seen = await bookings.visible_booking(session, PRO, ids[2])
        assert seen.client_id == BOB.user_id
        with pytest.raises(NotFound):
            await bookings.visible_booking(session, ALICE, ids[2])
        with pytest.raises(Unauthenticated):
            await bookings.visible_booking(session, None, ids[2])


async def test_a_failed_write_publishes_nothing_and_writes_nothing(
    bookings_db: BookingsDb,
) -> None:
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    before = list(bookings_db.published.events)
    with pytest.raises(RuntimeError):
        async with bookings_db.write(ALICE) as uow:
            await bookings.book_slot(uow, slot.id)
            raise RuntimeError("crash after the booking, before the commit")
    assert bookings_db.published.events == before
    assert await slot_status(bookings_db, slot.id) == "OPEN"
    async with bookings_db.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 0


async def test_events_wait_in_the_outbox_until_a_relay_publishes_them(
    bookings_db: BookingsDb,
) -> None:
    """A write that cannot publish (no bus: a crash right after the commit) keeps its event
    in the outbox, written in its own transaction; the relay publishes it, with its id."""
    await bookings_db.professional(PRO)
    slot = await bookings_db.slot(PRO)
    async with unit_of_work(bookings_db.db, ALICE, None) as uow:
        booking = await bookings.book_slot(uow, slot.id)
    async with bookings_db.db.sessions() as session:
        (row,) = (
            await session.execute(select(OUTBOX).where(OUTBOX.c.type == "booking.requested"))
        ).all()
    assert row.aggregate_id == booking.id and row.published_at is None
    assert row.actor_id == ALICE.user_id and row.payload["clientId"] == ALICE.user_id
    assert row.aggregate_version == row.payload["version"]
    assert await OutboxRelay(bookings_db.db, bookings_db.published).drain() == 1
    (event,) = [e for e in bookings_db.published.events if e.type == "booking.requested"]
    assert event.id == row.id and event.aggregate_id == booking.id
