"""Concurrent checkouts: stock never goes below zero, idempotency keys give one order."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from subgraphs.catalog.domain import Actor
from subgraphs.catalog.models import Order, Product
from subgraphs.catalog.service import carts, orders
from subgraphs.common.errors import Conflict
from tests.subgraphs.catalog.conftest import CatalogDb, Published
from tests.subgraphs.catalog.factories import make_product


async def test_fifty_concurrent_checkouts_on_stock_of_ten(
    catalog_db: CatalogDb, published: Published
) -> None:
    product = await make_product(catalog_db, "HOT", price=500, stock=10, threshold=0)
    buyers = [Actor(f"buyer-{n}") for n in range(50)]
    for buyer in buyers:
        async with catalog_db.sessions() as session:
            await carts.add_to_cart(session, buyer, product.id, 1)

    async def attempt(buyer: Actor) -> str | Exception:
        async with catalog_db.sessions() as session:
            try:
                return (await orders.checkout(session, buyer, f"key-{buyer.user_id}", published)).id
            except Conflict as error:
                return error

    results = await asyncio.gather(*(attempt(buyer) for buyer in buyers))
    succeeded = [r for r in results if isinstance(r, str)]
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(succeeded) == 10 and len(set(succeeded)) == 10
    assert len(failed) == 40
    assert all("insufficient stock for HOT: 0 left, 1 requested" in str(e) for e in failed)
    async with catalog_db.sessions() as session:
        assert await session.scalar(select(Product.stock).where(Product.id == product.id)) == 0
        assert await session.scalar(select(func.count()).select_from(Order)) == 10
    assert len(published.of("order.created")) == 10
    assert len(published.of("inventory.low")) == 1  # only the checkout that reached 0


async def test_simultaneous_checkouts_with_one_key_make_one_order(
    catalog_db: CatalogDb, published: Published
) -> None:
    product = await make_product(catalog_db, "KEYED", price=500, stock=10)
    buyer = Actor("buyer-keyed")
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, buyer, product.id, 3)

    async def attempt() -> str:
        async with catalog_db.sessions() as session:
            return (await orders.checkout(session, buyer, "one-key", published)).id

    ids = await asyncio.gather(*(attempt() for _ in range(5)))
    assert len(set(ids)) == 1
    async with catalog_db.sessions() as session:
        assert await session.scalar(select(Product.stock).where(Product.id == product.id)) == 7
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
    assert len(published.of("order.created")) == 1
