"""Domain events of the catalog, through common's publisher: in-process bus and real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db import migrations
from subgraphs.catalog.app import build
from subgraphs.common.events import Event, EventBus, InProcessEventBus, RedisEventBus
from subgraphs.common.settings import Settings
from tests.subgraphs.catalog.conftest import MIGRATIONS, CatalogApi
from tests.subgraphs.catalog.test_api_orders import ADD, CHECKOUT, SET_STATUS
from tests.subgraphs.catalog.test_api_products import ADMIN, product
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient
from tests.utils.servers import RedisServer

TYPES = (
    "product.created",
    "product.updated",
    "product.deleted",
    "order.created",
    "order.status_changed",
    "inventory.low",
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/catalog.db"  # the bus is under test, not the DB


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        yield InProcessEventBus()
        return
    server: RedisServer = request.getfixturevalue("redis")
    redis_bus = RedisEventBus(server.url(), prefix=f"test-{id(request)}:")
    try:
        yield redis_bus
    finally:
        await redis_bus.close()


@pytest.fixture
async def api(settings: Settings, database_url: str, bus: EventBus) -> AsyncIterator[CatalogApi]:
    await migrations.upgrade(database_url, MIGRATIONS, "catalog")
    app = build(settings, events=bus)
    async with serve(app) as base_url:
        client = GraphQLClient(base_url)
        try:
            yield CatalogApi(app=app, client=client, settings=settings, events=bus)
        finally:
            await client.aclose()


async def take(stream: AsyncIterator[Event], count: int) -> list[Event]:
    return [await asyncio.wait_for(anext(stream), 10) for _ in range(count)]


async def test_every_catalog_event_is_published(api: CatalogApi) -> None:
    async with api.events.subscribe(TYPES) as stream:
        lamp = await product(api, "LAMP", price=4000, stock=3, lowStockThreshold=1)
        created = await take(stream, 1)
        update = """mutation ($id: ID!) { updateProduct(id: $id, input: {name: "Desk lamp"}) {
          name } }"""
        await api.ok(update, {"id": lamp["id"]}, as_user=ADMIN, admin=True)
        updated = await take(stream, 1)

        await api.ok(ADD, {"id": lamp["id"], "q": 2}, as_user="alice")
        order = (await api.ok(CHECKOUT, {"key": "e-1"}, as_user="alice"))["checkout"]
        checkout_events = await take(stream, 2)  # stock 3 -> 1 reaches the threshold
        await api.ok(CHECKOUT, {"key": "e-1"}, as_user="alice")  # a replay publishes nothing

        await api.ok(SET_STATUS, {"id": order["id"], "s": "PROCESSING"}, as_user=ADMIN, admin=True)
        changed = await take(stream, 1)
        delete = "mutation ($id: ID!) { deleteProduct(id: $id) }"
        await api.ok(delete, {"id": lamp["id"]}, as_user=ADMIN, admin=True)
        deleted = await take(stream, 1)
        with pytest.raises(TimeoutError):  # and nothing else was published
            await asyncio.wait_for(anext(stream), 0.5)

    (event,) = created
    assert (event.type, event.actor_id) == ("product.created", ADMIN)
    assert event.payload["sku"] == "LAMP" and event.payload["price"] == {
        "amount": 4000, "currency": "USD"
    }  # fmt: skip
    assert event.id and event.occurred_at.tzinfo is not None
    assert updated[0].type == "product.updated" and updated[0].payload["name"] == "Desk lamp"
    assert updated[0].payload["changed"] == ["name"]

    by_type = {e.type: e for e in checkout_events}
    assert set(by_type) == {"inventory.low", "order.created"}
    assert by_type["inventory.low"].payload == {
        "productId": lamp["id"], "sku": "LAMP", "stock": 1, "threshold": 1
    }  # fmt: skip
    placed = by_type["order.created"]
    assert placed.actor_id == "alice" and placed.payload["id"] == order["id"]
    assert placed.payload["total"] == {"amount": 8000, "currency": "USD"}
    assert placed.payload["items"] == [{
        "productId": lamp["id"], "sku": "LAMP", "quantity": 2,
        "unitPrice": {"amount": 4000, "currency": "USD"},
    }]  # fmt: skip

    assert changed[0].type == "order.status_changed"
    assert (changed[0].payload["from"], changed[0].payload["to"]) == ("PENDING", "PROCESSING")
    assert changed[0].payload["buyerId"] == "alice" and changed[0].actor_id == ADMIN
    assert deleted[0].type == "product.deleted"
    assert deleted[0].payload["id"] == lamp["id"] and deleted[0].payload["sku"] == "LAMP"
    assert deleted[0].payload["version"] >= updated[-1].payload["version"]
    assert updated[0].payload["version"] > event.payload["version"]


async def test_refused_changes_publish_nothing(api: CatalogApi) -> None:
    async with api.events.subscribe(TYPES) as stream:
        pen = await product(api, "PEN", stock=1)
        await take(stream, 1)
        await api.ok(ADD, {"id": pen["id"], "q": 2}, as_user="bob")
        assert (await api.run(CHECKOUT, {"key": None}, as_user="bob")).codes == ["CONFLICT"]
        update = 'mutation ($id: ID!) { updateProduct(id: $id, input: {name: "x"}) { name } }'
        assert (await api.run(update, {"id": pen["id"]}, as_user="bob")).codes == ["FORBIDDEN"]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(stream), 0.5)
