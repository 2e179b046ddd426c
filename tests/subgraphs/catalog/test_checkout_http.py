"""50 buyers check out at once over HTTP against PostgreSQL: exactly the stock is sold."""

from __future__ import annotations

import asyncio

import pytest

from tests.subgraphs.catalog.conftest import CatalogApi
from tests.subgraphs.catalog.test_api_orders import ADD, CHECKOUT
from tests.subgraphs.catalog.test_api_products import product


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url  # row locks are what this test is about


@pytest.mark.postgres
async def test_fifty_concurrent_checkouts_sell_exactly_ten(catalog: CatalogApi) -> None:
    hot = await product(catalog, "HOT", price=500, stock=10, lowStockThreshold=0)
    buyers = [f"buyer-{n}" for n in range(50)]
    tokens = {buyer: catalog.token(buyer) for buyer in buyers}
    filled = await asyncio.gather(
        *(catalog.client.execute(ADD, {"id": hot["id"], "q": 1}, token=t) for t in tokens.values())
    )
    assert all(not r.errors for r in filled)

    results = await asyncio.gather(
        *(
            catalog.client.execute(CHECKOUT, {"key": f"k-{buyer}"}, token=tokens[buyer])
            for buyer in buyers
        )
    )
    won = [r for r in results if not r.errors]
    lost = [r for r in results if r.errors]
    assert len(won) == 10 and len({r.data["checkout"]["id"] for r in won}) == 10
    assert len(lost) == 40
    assert all(r.codes == ["CONFLICT"] for r in lost)
    assert all("insufficient stock for HOT" in r.errors[0]["message"] for r in lost)
    stock = await catalog.ok('{ product(sku: "HOT") { stock } }')
    assert stock == {"product": {"stock": 0}}
    orders = await catalog.ok("{ salesStats { orderCount } }", as_user="admin", admin=True)
    assert orders["salesStats"]["orderCount"] == 10

    # the winners' carts are empty, the losers' carts are intact
    winner_ids = {r.data["checkout"]["buyer"]["id"] for r in won}
    for buyer in buyers[:10]:
        cart = await catalog.ok("{ cart { itemCount } }", as_user=buyer)
        assert cart["cart"]["itemCount"] == (0 if buyer in winner_ids else 1)


@pytest.mark.postgres
async def test_same_key_at_once_gives_one_order(catalog: CatalogApi) -> None:
    pen = await product(catalog, "PEN", price=100, stock=10)
    await catalog.ok(ADD, {"id": pen["id"], "q": 2}, as_user="alice")
    token = catalog.token("alice")
    results = await asyncio.gather(
        *(catalog.client.execute(CHECKOUT, {"key": "once"}, token=token) for _ in range(8))
    )
    assert all(not r.errors for r in results)
    assert len({r.data["checkout"]["id"] for r in results}) == 1
    assert (await catalog.ok('{ product(sku: "PEN") { stock } }'))["product"]["stock"] == 8
