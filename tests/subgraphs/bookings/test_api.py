"""The bookings subgraph over real HTTP (SQLite and PostgreSQL): every query and mutation,
error codes, Relay connections, federation entities and the events on the bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import parse
from sqlalchemy import event

from subgraphs.bookings.domain import utcnow
from subgraphs.common.events import Event
from tests.subgraphs.bookings.conftest import BookingsApi

REGISTER = """
mutation ($input: RegisterProfessionalInput!) {
  registerProfessional(input: $input) { id displayName specialization bio timeZone
    hourlyRate { amount currency } user { id } }
}"""
CREATE = """
mutation ($slots: [SlotInput!]!, $pro: ID) {
  createSlots(slots: $slots, professionalId: $pro) { id startsAt endsAt status
    price { amount currency } professional { displayName } }
}"""
BOOK = """
mutation ($slot: ID!, $notes: String! = "") {
  bookSlot(slotId: $slot, notes: $notes) { id status notes price { amount currency }
    startsAt slot { id status } professional { id } client { id } }
}"""
CONFIRM = "mutation ($id: ID!) { confirmBooking(id: $id) { id status slot { status } } }"
CANCEL = """mutation ($id: ID!, $reason: String) { cancelBooking(id: $id, reason: $reason)
  { id status cancellationReason slot { status } } }"""
COMPLETE = "mutation ($id: ID!) { completeBooking(id: $id) { id status } }"
NO_SHOW = "mutation ($id: ID!) { markNoShow(id: $id) { id status } }"
AVAILABLE = """
query ($pro: ID!, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  availableSlots(professionalId: $pro, from: $from, to: $to, first: $first, after: $after) {
    edges { cursor node { id startsAt } } pageInfo { hasNextPage endCursor } }
}"""
MY_BOOKINGS = """
query ($role: BookingRole! = CLIENT, $status: BookingStatus, $first: Int, $after: String) {
  bookings(role: $role, status: $status, first: $first, after: $after) {
    edges { node { id status startsAt client { id } } } pageInfo { hasNextPage endCursor } }
}"""


def at(days: int, hour: int = 9, minutes: int = 0) -> datetime:
    day = utcnow().replace(hour=hour, minute=minutes, second=0, microsecond=0)
    return day + timedelta(days=days)


def slot_input(days: int, hour: int = 9, length: int = 50) -> dict[str, str]:
    start = at(days, hour)
    return {
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(minutes=length)).isoformat(),
    }


async def register(api: BookingsApi, user: str, **change: Any) -> dict[str, Any]:
    data = {
        "displayName": f"Dr. {user.title()}",
        "specialization": "Psychology",
        "hourlyRate": {"amount": 9000, "currency": "USD"},
        "timeZone": "Europe/Berlin",
        "bio": "Talk therapy.",
        **change,
    }
    return dict((await api.ok(REGISTER, {"input": data}, as_user=user))["registerProfessional"])


async def offer(api: BookingsApi, user: str, *slots: dict[str, str]) -> list[dict[str, Any]]:
    return list((await api.ok(CREATE, {"slots": list(slots)}, as_user=user))["createSlots"])


async def test_register_offer_book_confirm_complete(api: BookingsApi) -> None:
    pro = await register(api, "pro")
    assert pro["hourlyRate"] == {"amount": 9000, "currency": "USD"}
    assert pro["user"] == {"id": "pro"} and pro["timeZone"] == "Europe/Berlin"
    (slot,) = await offer(api, "pro", slot_input(1, length=30))
    assert slot["status"] == "OPEN" and slot["price"] == {"amount": 4500, "currency": "USD"}
    assert datetime.fromisoformat(slot["startsAt"]) == at(1)
    assert slot["professional"] == {"displayName": "Dr. Pro"}

    booked = (await api.ok(BOOK, {"slot": slot["id"], "notes": "hi"}, as_user="alice"))["bookSlot"]
    assert booked["status"] == "PENDING" and booked["slot"]["status"] == "HELD"
    assert booked["client"] == {"id": "alice"} and booked["professional"]["id"] == pro["id"]
    assert booked["price"] == {"amount": 4500, "currency": "USD"} and booked["notes"] == "hi"

    refused = await api.run(CONFIRM, {"id": booked["id"]}, as_user="alice")
    assert refused.codes == ["FORBIDDEN"]
    assert "only the admin or professional may confirm" in refused.errors[0]["message"]
    confirmed = await api.ok(CONFIRM, {"id": booked["id"]}, as_user="pro")
    assert confirmed["confirmBooking"]["slot"] == {"status": "BOOKED"}
    early = await api.run(COMPLETE, {"id": booked["id"]}, as_user="pro")
    assert early.codes == ["BAD_USER_INPUT"] and "not started yet" in early.errors[0]["message"]
    again = await api.run(CONFIRM, {"id": booked["id"]}, as_user="pro")
    assert again.codes == ["CONFLICT"]
    assert again.errors[0]["message"] == "a CONFIRMED booking cannot be confirmed"

    history = await api.ok(
        "query ($id: ID!) { booking(id: $id) { statusHistory { from to by { id } } } }",
        {"id": booked["id"]},
        as_user="alice",
    )
    assert history["booking"]["statusHistory"] == [
        {"from": None, "to": "PENDING", "by": {"id": "alice"}},
        {"from": "PENDING", "to": "CONFIRMED", "by": {"id": "pro"}},
    ]


async def test_cancel_frees_the_slot_and_a_second_client_books_it(api: BookingsApi) -> None:
    pro = await register(api, "pro")
    (slot,) = await offer(api, "pro", slot_input(2))
    first = (await api.ok(BOOK, {"slot": slot["id"]}, as_user="alice"))["bookSlot"]
    taken = await api.run(BOOK, {"slot": slot["id"]}, as_user="bob")
    assert taken.codes == ["CONFLICT"] and taken.errors[0]["message"] == (
        "the slot is already booked"
    )
    assert (await api.ok(AVAILABLE, {"pro": pro["id"]}))["availableSlots"]["edges"] == []
    cancelled = await api.ok(CANCEL, {"id": first["id"], "reason": "moved"}, as_user="pro")
    assert cancelled["cancelBooking"] == {
        "id": first["id"],
        "status": "CANCELLED",
        "cancellationReason": "moved",
        "slot": {"status": "OPEN"},
    }
    open_again = (await api.ok(AVAILABLE, {"pro": pro["id"]}))["availableSlots"]["edges"]
    assert [e["node"]["id"] for e in open_again] == [slot["id"]]
    second = (await api.ok(BOOK, {"slot": slot["id"]}, as_user="bob"))["bookSlot"]
    assert second["status"] == "PENDING"
    gone = await api.run(
        "mutation ($id: ID!) { deleteSlot(id: $id) }", {"id": slot["id"]}, as_user="pro"
    )
    assert gone.codes == ["CONFLICT"]


async def test_error_codes(api: BookingsApi) -> None:
    await register(api, "pro")
    (slot,) = await offer(api, "pro", slot_input(1))
    anonymous = await api.run(BOOK, {"slot": slot["id"]})
    assert anonymous.codes == ["UNAUTHENTICATED"]
    missing = await api.run(BOOK, {"slot": "nope"}, as_user="alice")
    assert (
        missing.codes == ["NOT_FOUND"] and missing.errors[0]["message"] == "no slot with id 'nope'"
    )
    own = await api.run(BOOK, {"slot": slot["id"]}, as_user="pro")
    assert own.codes == ["BAD_USER_INPUT"]
    one_dollar = {
        "displayName": "X",
        "specialization": "Y",
        "timeZone": "UTC",
        "hourlyRate": {"amount": 100, "currency": "USD"},
    }
    twice = await api.run(REGISTER, {"input": one_dollar}, as_user="pro")
    assert twice.codes == ["CONFLICT"]
    nowhere = {**one_dollar, "timeZone": "Nowhere"}
    bad_zone = await api.run(REGISTER, {"input": nowhere}, as_user="al")
    assert (
        bad_zone.codes == ["BAD_USER_INPUT"]
        and "unknown time zone" in bad_zone.errors[0]["message"]
    )
    overlap = await api.run(CREATE, {"slots": [slot_input(1, length=20)]}, as_user="pro")
    assert overlap.codes == ["CONFLICT"] and overlap.errors[0]["extensions"]["slotId"] == slot["id"]
    naive = await api.run(
        CREATE,
        {"slots": [{"startsAt": "2031-01-01T09:00:00", "endsAt": "2031-01-01T10:00:00"}]},
        as_user="pro",
    )
    assert naive.codes == ["BAD_USER_INPUT"] and "UTC offset" in naive.errors[0]["message"]
    not_pro = await api.run(CREATE, {"slots": [slot_input(3)]}, as_user="alice")
    assert not_pro.codes == ["BAD_USER_INPUT"]
    stats = await api.run("{ bookingStats { total } }", as_user="alice")
    assert stats.codes == ["FORBIDDEN"]
    stranger = await api.run(
        "query ($id: ID!) { booking(id: $id) { id } }", {"id": "x"}, as_user="alice"
    )
    assert stranger.codes == ["NOT_FOUND"]
    bad_cursor = await api.run(MY_BOOKINGS, {"after": "garbage"}, as_user="alice")
    assert bad_cursor.codes == ["BAD_USER_INPUT"]


async def test_connections_page_and_filter(api: BookingsApi) -> None:
    pro = await register(api, "pro")
    await register(
        api,
        "nina",
        displayName="Nina Diet",
        specialization="Nutrition",
        bio="Meal plans for athletes",
    )
    await register(api, "sam", displayName="Sam Sleep", specialization="psychology")
    listed = await api.ok(
        "{ professionals(first: 2) { edges { node { displayName } } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    page = listed["professionals"]
    assert [e["node"]["displayName"] for e in page["edges"]] == ["Dr. Pro", "Nina Diet"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await api.ok(
        "query ($after: String) { professionals(after: $after) { edges { node { displayName } } "
        "pageInfo { hasNextPage } } }",
        {"after": page["pageInfo"]["endCursor"]},
    )
    assert [e["node"]["displayName"] for e in rest["professionals"]["edges"]] == ["Sam Sleep"]
    psych = await api.ok(
        '{ professionals(filter: {specialization: "PSYCHOLOGY"}) '
        "{ edges { node { displayName } } } }"
    )
    assert [e["node"]["displayName"] for e in psych["professionals"]["edges"]] == [
        "Dr. Pro",
        "Sam Sleep",
    ]
    text = await api.ok('{ professionals(filter: {text: "athlete"}) { edges { node { id } } } }')
    assert len(text["professionals"]["edges"]) == 1

    made = await offer(api, "pro", *(slot_input(day) for day in range(1, 6)))
    first = (await api.ok(AVAILABLE, {"pro": pro["id"], "first": 3}))["availableSlots"]
    assert [e["node"]["id"] for e in first["edges"]] == [s["id"] for s in made[:3]]
    second = await api.ok(AVAILABLE, {"pro": pro["id"], "after": first["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in second["availableSlots"]["edges"]] == [
        s["id"] for s in made[3:]
    ]
    window = await api.ok(
        AVAILABLE, {"pro": pro["id"], "from": at(2).isoformat(), "to": at(4).isoformat()}
    )
    assert [e["node"]["id"] for e in window["availableSlots"]["edges"]] == [
        s["id"] for s in made[1:3]
    ]

    for slot in made[:3]:
        await api.ok(BOOK, {"slot": slot["id"]}, as_user="alice")
    await api.ok(BOOK, {"slot": made[3]["id"]}, as_user="bob")
    mine = (await api.ok(MY_BOOKINGS, {"first": 2}, as_user="alice"))["bookings"]
    latest_first = [e["node"]["startsAt"] for e in mine["edges"]]
    assert latest_first == sorted(latest_first, reverse=True) and mine["pageInfo"]["hasNextPage"]
    more = await api.ok(MY_BOOKINGS, {"after": mine["pageInfo"]["endCursor"]}, as_user="alice")
    assert len(more["bookings"]["edges"]) == 1
    as_pro = await api.ok(MY_BOOKINGS, {"role": "PROFESSIONAL"}, as_user="pro")
    assert len(as_pro["bookings"]["edges"]) == 4
    pending = await api.ok(
        MY_BOOKINGS, {"role": "PROFESSIONAL", "status": "CONFIRMED"}, as_user="pro"
    )
    assert pending["bookings"]["edges"] == []


async def test_booking_stats(api: BookingsApi) -> None:
    pro = await register(api, "pro")
    (slot,) = await offer(api, "pro", slot_input(1))
    booked = (await api.ok(BOOK, {"slot": slot["id"]}, as_user="alice"))["bookSlot"]
    await api.ok(CONFIRM, {"id": booked["id"]}, as_user="pro")
    query = """query ($pro: ID) { bookingStats(professionalId: $pro) { professional { id }
      revenue { amount currency } total noShowRate countsByStatus { status count } } }"""
    own = (await api.ok(query, as_user="pro"))["bookingStats"]
    assert own["professional"] == {"id": pro["id"]} and own["total"] == 1
    assert own["revenue"] == [] and own["noShowRate"] is None
    assert {c["status"]: c["count"] for c in own["countsByStatus"]} == {
        "PENDING": 0,
        "CONFIRMED": 1,
        "COMPLETED": 0,
        "CANCELLED": 0,
        "NO_SHOW": 0,
    }
    everyone = (await api.ok(query, as_user="root", admin=True))["bookingStats"]
    assert everyone["professional"] is None and everyone["total"] == 1
    forbidden = await api.run(query, {"pro": "someone-else"}, as_user="pro")
    assert forbidden.codes == ["FORBIDDEN"]


async def test_no_show_over_http_is_for_started_sessions(api: BookingsApi) -> None:
    await register(api, "pro")
    (slot,) = await offer(api, "pro", slot_input(1))
    booked = (await api.ok(BOOK, {"slot": slot["id"]}, as_user="alice"))["bookSlot"]
    pending = await api.run(NO_SHOW, {"id": booked["id"]}, as_user="pro")
    assert pending.codes == ["CONFLICT"]  # a PENDING booking cannot be marked as a no-show
    await api.ok(CONFIRM, {"id": booked["id"]}, as_user="pro")
    early = await api.run(NO_SHOW, {"id": booked["id"]}, as_user="pro")
    assert early.codes == ["BAD_USER_INPUT"]
    by_client = await api.run(NO_SHOW, {"id": booked["id"]}, as_user="alice")
    assert by_client.codes == ["FORBIDDEN"]


ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id professionalProfile { displayName } bookings { edges { node { id } } } }
    ... on Professional { id displayName }
    ... on Slot { id slotStatus: status }
    ... on Booking { id status }
  }
}"""


@contextmanager
def sql_statements(api: BookingsApi) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = api.app.state.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_federation_entities_and_the_user_extension(api: BookingsApi) -> None:
    sdl = (await api.ok("{ _service { sdl } }"))["_service"]["sdl"]
    parse(sdl)
    for entity in ("Professional", "Slot", "Booking", "User"):
        assert f'type {entity} @key(fields: "id")' in sdl
    assert "type Money @shareable" in sdl

    pro = await register(api, "pro")
    (slot,) = await offer(api, "pro", slot_input(1))
    booked = (await api.ok(BOOK, {"slot": slot["id"]}, as_user="alice"))["bookSlot"]
    reps = [
        {"__typename": "User", "id": "alice"},
        {"__typename": "User", "id": "pro"},
        {"__typename": "Professional", "id": pro["id"]},
        {"__typename": "Slot", "id": slot["id"]},
        {"__typename": "Booking", "id": booked["id"]},
        {"__typename": "Professional", "id": "missing"},
    ]
    as_alice = (await api.ok(ENTITIES, {"representations": reps}, as_user="alice"))["_entities"]
    assert as_alice[0] == {
        "id": "alice",
        "professionalProfile": None,
        "bookings": {"edges": [{"node": {"id": booked["id"]}}]},
    }
    assert as_alice[1] == {
        "id": "pro",
        "professionalProfile": {"displayName": "Dr. Pro"},
        "bookings": None,
    }  # another user's bookings are private
    assert as_alice[2:] == [
        {"id": pro["id"], "displayName": "Dr. Pro"},
        {"id": slot["id"], "slotStatus": "HELD"},
        {"id": booked["id"], "status": "PENDING"},
        None,
    ]
    as_bob = (await api.ok(ENTITIES, {"representations": reps[4:5]}, as_user="bob"))["_entities"]
    assert as_bob == [None]  # a stranger cannot load the booking through federation

    many = [{"__typename": "Professional", "id": pro["id"]}] * 50
    with sql_statements(api) as statements:
        found = (await api.ok(ENTITIES, {"representations": many}))["_entities"]
    assert len(found) == 50 and len(statements) == 1, statements


async def take(stream: AsyncIterator[Event], count: int) -> list[Event]:
    return [await asyncio.wait_for(anext(stream), timeout=10) for _ in range(count)]


async def test_each_transition_publishes_its_event(api: BookingsApi) -> None:
    await register(api, "pro")
    slots = await offer(api, "pro", slot_input(1), slot_input(2))
    types = ["booking.requested", "booking.confirmed", "booking.cancelled", "booking.completed"]
    async with api.events.subscribe(types) as stream:
        first = (await api.ok(BOOK, {"slot": slots[0]["id"]}, as_user="alice"))["bookSlot"]
        await api.ok(CONFIRM, {"id": first["id"]}, as_user="pro")
        await api.ok(CANCEL, {"id": first["id"]}, as_user="alice")
        refused = await api.run(CANCEL, {"id": first["id"]}, as_user="alice")
        assert refused.codes == ["CONFLICT"]  # and no event for it
        second = (await api.ok(BOOK, {"slot": slots[1]["id"]}, as_user="bob"))["bookSlot"]
        received = await take(stream, 4)
    assert [(e.type, e.payload["id"], e.actor_id) for e in received] == [
        ("booking.requested", first["id"], "alice"),
        ("booking.confirmed", first["id"], "pro"),
        ("booking.cancelled", first["id"], "alice"),
        ("booking.requested", second["id"], "bob"),
    ]
    cancelled = received[2].payload
    assert cancelled["by"] == "CLIENT" and cancelled["professionalUserId"] == "pro"
    assert cancelled["startsAt"] == at(1).astimezone(UTC).isoformat()


async def test_twenty_clients_book_one_slot_at_once_over_http(api: BookingsApi) -> None:
    await register(api, "pro")
    (slot,) = await offer(api, "pro", slot_input(1))
    race = "mutation ($slot: ID!) { bookSlot(slotId: $slot) { id client { id } } }"
    tokens = [api.token(f"racer-{n}") for n in range(20)]
    results = await asyncio.gather(
        *(api.client.execute(race, {"slot": slot["id"]}, token=token) for token in tokens)
    )
    won = [r for r in results if not r.errors]
    lost = [r for r in results if r.errors]
    assert len(won) == 1 and len(lost) == 19, [r.errors for r in results]
    assert all(r.codes == ["CONFLICT"] for r in lost)
    winner = won[0].data["bookSlot"]
    listed = await api.ok(MY_BOOKINGS, {"role": "PROFESSIONAL"}, as_user="pro")
    assert [e["node"]["id"] for e in listed["bookings"]["edges"]] == [winner["id"]]
    assert [e["node"]["client"] for e in listed["bookings"]["edges"]] == [winner["client"]]
