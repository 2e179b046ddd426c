"""Bookings through the router, beside users, tasks and catalog (the `federation` fixture
serves every subgraph of supergraph.yaml on its own seeded database): the federated
`User.bookings` and `User.professionalProfile`, a booking's life, and 20 clients racing for
one slot through the router."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token

# The fixture of the users/tasks e2e test: every subgraph of supergraph.yaml, seeded, routed.
from tests.e2e.test_federated_me import Federation, federation  # noqa: F401
from tests.e2e.test_shop_through_router import sign_in
from tests.utils.graphql import GraphQLClient

PRIYA_SLOTS = """{ professionals(filter: {text: "priya"}) { edges { node { id displayName
  user { name } } } } }"""
AVAILABLE = """query ($pro: ID!) { availableSlots(professionalId: $pro, first: 3) {
  edges { node { id startsAt price { amount currency } } } } }"""
# The racers are minted users that the users subgraph does not know: ask for ids only.
RACE = "mutation ($slot: ID!) { bookSlot(slotId: $slot) { id status client { id } } }"
BOOK = """mutation ($slot: ID!) { bookSlot(slotId: $slot, notes: "from the router") {
  id status client { name } professional { displayName user { name } } } }"""


def tokens_for(tmp_path: Path, user_ids: list[str]) -> list[str]:
    """Access tokens signed by the dev key of the fixture's data dir (what login issues)."""
    settings = Settings(_env_file=None, env="dev", data_dir=tmp_path / "data")  # type: ignore[call-arg]
    key = dev_signing_key(settings.data_dir)
    return [mint_access_token(settings, key, user_id, ["USER"]) for user_id in user_ids]


async def priya(client: GraphQLClient) -> dict[str, Any]:
    listed = await client.execute(PRIYA_SLOTS)
    assert listed.errors == [], listed.errors
    (edge,) = listed.data["professionals"]["edges"]
    return dict(edge["node"])


async def test_me_with_bookings_and_professional_profiles(federation: Federation) -> None:  # noqa: F811
    client = GraphQLClient(federation.router_url)
    try:
        alice = await client.execute(
            """{ me { name professionalProfile { displayName }
              bookings(first: 10) { edges { node { status notes price { amount currency }
                professional { displayName user { name } } client { name } } } } } }""",
            token=await sign_in(client, "alice@mosaic.dev"),
        )
        pro = await client.execute(
            "{ me { name professionalProfile { displayName specialization hourlyRate "
            "{ amount currency } timeZone user { email } } } "
            "bookings(role: PROFESSIONAL, status: PENDING) { edges { node { client { name } "
            "notes } } } bookingStats { revenue { amount } total noShowRate } }",
            token=await sign_in(client, "pro@mosaic.dev"),
        )
        anonymous = await client.execute("{ professionals { edges { node { user { name } } } } }")
    finally:
        await client.aclose()
    assert alice.errors == [], alice.errors
    me = alice.data["me"]
    assert me["name"] == "Alice Doe" and me["professionalProfile"] is None
    nodes = [edge["node"] for edge in me["bookings"]["edges"]]
    assert {(n["status"], n["professional"]["displayName"]) for n in nodes} == {
        ("CONFIRMED", "Dr. Priya Pro"),
        ("CANCELLED", "Dr. Priya Pro"),
        ("CONFIRMED", "Bob Stone"),
        ("COMPLETED", "Dr. Priya Pro"),
    }
    # bookings -> users for the names of both sides
    assert {n["professional"]["user"]["name"] for n in nodes} == {"Priya Pro", "Bob Stone"}
    assert {n["client"]["name"] for n in nodes} == {"Alice Doe"}

    assert pro.errors == [], pro.errors
    profile = pro.data["me"]["professionalProfile"]
    assert profile == {
        "displayName": "Dr. Priya Pro",
        "specialization": "Psychotherapy",
        "hourlyRate": {"amount": 12000, "currency": "USD"},
        "timeZone": "Europe/Berlin",
        "user": {"email": "pro@mosaic.dev"},  # her own email, through users
    }
    pending = pro.data["bookings"]["edges"]
    assert [e["node"]["client"]["name"] for e in pending] == ["Bob Stone"]
    stats = pro.data["bookingStats"]
    assert stats == {"revenue": [{"amount": 10000}], "total": 5, "noShowRate": 0.5}
    assert anonymous.errors == [], anonymous.errors
    names = {e["node"]["user"]["name"] for e in anonymous.data["professionals"]["edges"]}
    assert names == {"Priya Pro", "Bob Stone"}


async def test_a_booking_through_the_router(federation: Federation) -> None:  # noqa: F811
    client = GraphQLClient(federation.router_url)
    try:
        pro = await priya(client)
        slots = (await client.execute(AVAILABLE, {"pro": pro["id"]})).data["availableSlots"]
        slot = slots["edges"][0]["node"]
        bob = await sign_in(client, "bob@mosaic.dev")
        booked = await client.execute(BOOK, {"slot": slot["id"]}, token=bob)
        priya_token = await sign_in(client, "pro@mosaic.dev")
        confirm = "mutation ($id: ID!) { confirmBooking(id: $id) { status slot { status } } }"
        by_client = await client.execute(confirm, {"id": booked.data["bookSlot"]["id"]}, token=bob)
        confirmed = await client.execute(
            confirm, {"id": booked.data["bookSlot"]["id"]}, token=priya_token
        )
        anonymous = await client.execute(BOOK, {"slot": slot["id"]})
    finally:
        await client.aclose()
    assert booked.errors == [], booked.errors
    assert booked.data["bookSlot"] == {
        "id": booked.data["bookSlot"]["id"],
        "status": "PENDING",
        "client": {"name": "Bob Stone"},
        "professional": {"displayName": "Dr. Priya Pro", "user": {"name": "Priya Pro"}},
    }
    assert slot["price"] == {"amount": 10000, "currency": "USD"}  # 50 minutes at 120.00/h
    assert by_client.codes == ["FORBIDDEN"]
    assert confirmed.errors == [] and confirmed.data["confirmBooking"] == {
        "status": "CONFIRMED",
        "slot": {"status": "BOOKED"},
    }
    assert anonymous.codes == ["UNAUTHENTICATED"]


async def test_twenty_clients_racing_for_one_slot_through_the_router(
    federation: Federation,  # noqa: F811
    tmp_path: Path,
) -> None:
    client = GraphQLClient(federation.router_url)
    try:
        pro = await priya(client)
        slots = (await client.execute(AVAILABLE, {"pro": pro["id"]})).data["availableSlots"]
        slot_id = slots["edges"][1]["node"]["id"]
        tokens = tokens_for(tmp_path, [f"racer-{n}" for n in range(20)])
        results = await asyncio.gather(
            *(client.execute(RACE, {"slot": slot_id}, token=token) for token in tokens)
        )
        after = await client.execute(AVAILABLE, {"pro": pro["id"]})
    finally:
        await client.aclose()
    won = [r for r in results if not r.errors]
    lost = [r for r in results if r.errors]
    assert len(won) == 1, [r.errors for r in results]
    assert won[0].data["bookSlot"]["status"] == "PENDING"
    assert won[0].data["bookSlot"]["client"]["id"].startswith("racer-")
    assert len(lost) == 19
    assert all(r.codes == ["CONFLICT"] for r in lost), [r.errors for r in lost]
    assert all(r.errors[0]["message"] == "the slot is already booked" for r in lost)
    remaining = [e["node"]["id"] for e in after.data["availableSlots"]["edges"]]
    assert slot_id not in remaining
