"""A notification's `subject` resolved through the router by the subgraph that owns it (the
`federation` fixture: every subgraph of supergraph.yaml, seeded, on the shared dev event log,
with the notifications worker's consumer and the media worker running): real mutations through
the router change an order, confirm a booking and upload an image; their events become Alice's
notifications, whose subjects the router fetches from catalog, bookings and media. The order
change's x-request-id reaches the worker's log as the event's correlation id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest

from db import Database
from subgraphs.common.events import event_bus_from_settings
from subgraphs.media import worker as media_worker
from subgraphs.notifications import NAME
from subgraphs.notifications.worker import consume
from tests.e2e.test_bookings_through_router import AVAILABLE, priya
from tests.e2e.test_federated_me import Federation, federation  # noqa: F401
from tests.e2e.test_media_through_router import upload_png
from tests.e2e.test_shop_through_router import sign_in
from tests.utils.graphql import GraphQLClient

REQUEST_ID = "e2e-order-change-4711"
MINE = """{ notifications(first: 20) { edges { node { type subject {
  __typename
  ... on Order { id number orderStatus: status }
  ... on Booking { id bookingStatus: status professional { displayName } }
  ... on Media { id width mediaStatus: status }
} } } } }"""


async def ok(client: GraphQLClient, query: str, variables: Any = None, *, token: str) -> Any:
    result = await client.execute(query, variables, token=token)
    assert result.errors == [], result.errors
    return result.data


async def alices_notifications(
    client: GraphQLClient, token: str, wanted: set[tuple[str, str]]
) -> list[Any]:
    """Alice's notifications once each (type, subject id) of `wanted` is there (polled, with a
    deadline; the seed's own events become notifications too)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + 90
    while True:
        nodes = [e["node"] for e in (await ok(client, MINE, token=token))["notifications"]["edges"]]
        if wanted <= {(n["type"], (n["subject"] or {}).get("id")) for n in nodes}:
            return nodes
        assert loop.time() < until, f"only {nodes} after 90 s"
        await asyncio.sleep(0.1)


async def test_subjects_are_resolved_by_their_owners_through_the_router(
    federation: Federation,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mosaic.notifications.worker")
    settings = federation.settings
    db = Database.from_url(settings.database_url_for(NAME))
    bus = event_bus_from_settings(settings)
    # The notifications consumer alone (no email or webhook sending); the media worker makes
    # the variants, so media.processed is published.
    workers = [
        asyncio.create_task(consume(db, bus, "subjects-test")),
        asyncio.create_task(media_worker.run(settings)),
    ]
    client = GraphQLClient(federation.router_url)
    try:
        alice = await sign_in(client, "alice@mosaic.dev")
        admin = await sign_in(client, "admin@mosaic.dev")
        pro = await sign_in(client, "pro@mosaic.dev")

        orders = await ok(client, "{ orders(first: 5) { edges { node { id status } } } }",
                          token=alice)  # fmt: skip
        order_id = next(
            e["node"]["id"] for e in orders["orders"]["edges"] if e["node"]["status"] == "PENDING"
        )
        # The client's request id travels router -> catalog -> event -> the worker's log.
        changed = await client.http.post(
            "/graphql",
            json={
                "query": "mutation ($id: ID!) { updateOrderStatus(id: $id, status: PROCESSING) "
                "{ status } }",
                "variables": {"id": order_id},
            },
            headers={"authorization": f"Bearer {admin}", "x-request-id": REQUEST_ID},
        )
        assert changed.json() == {"data": {"updateOrderStatus": {"status": "PROCESSING"}}}

        slots = await ok(client, AVAILABLE, {"pro": (await priya(client))["id"]}, token=alice)
        slot_id = slots["availableSlots"]["edges"][0]["node"]["id"]
        booked = await ok(client, "mutation ($s: ID!) { bookSlot(slotId: $s) { id } }",
                          {"s": slot_id}, token=alice)  # fmt: skip
        booking_id = booked["bookSlot"]["id"]
        await ok(client, "mutation ($id: ID!) { confirmBooking(id: $id) { status } }",
                 {"id": booking_id}, token=pro)  # fmt: skip

        media_id = await upload_png(federation.router_url, alice, (320, 200))

        wanted = {
            ("order.status_changed", order_id),
            ("booking.confirmed", booking_id),
            ("media.processed", media_id),
        }
        nodes = await alices_notifications(client, alice, wanted)
    finally:
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await client.aclose()
        await bus.close()
        await db.dispose()

    subjects = {
        n["type"]: n["subject"]
        for n in nodes
        if n["subject"] is not None and (n["type"], n["subject"]["id"]) in wanted
    }
    order = subjects["order.status_changed"]
    assert order["__typename"] == "Order"
    assert order["orderStatus"] == "PROCESSING" and order["number"]  # from catalog
    assert subjects["booking.confirmed"] == {
        "__typename": "Booking",
        "id": booking_id,
        "bookingStatus": "CONFIRMED",  # from bookings
        "professional": {"displayName": "Dr. Priya Pro"},
    }
    assert subjects["media.processed"] == {
        "__typename": "Media",
        "id": media_id,
        "width": 320,  # from media
        "mediaStatus": "READY",
    }
    worker_lines = [
        r.getMessage() for r in caplog.records if r.name == "mosaic.notifications.worker"
    ]
    assert any(
        "(order.status_changed)" in line and f"correlation_id={REQUEST_ID}" in line
        for line in worker_lines
    ), worker_lines
