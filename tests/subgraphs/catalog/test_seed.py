"""`mosaic seed` for the catalog: a category tree with products, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from db import Database
from subgraphs.catalog.models import Category, Order, Product
from subgraphs.catalog.seed import CATEGORIES, PRODUCTS, seed
from subgraphs.catalog.service.carts import read_cart
from subgraphs.common.demo import DEMO_USER_IDS
from subgraphs.common.settings import Settings
from tests.subgraphs.catalog.conftest import CatalogDb


async def test_seed_writes_the_tree_once(catalog_db: CatalogDb, settings: Settings) -> None:
    db = Database(catalog_db.engine, catalog_db.sessions)
    first = await seed(db, settings)
    assert first == len(CATEGORIES) + len(PRODUCTS) + 3
    assert await seed(db, settings) == 0
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Product)) == len(PRODUCTS)
        phones = await session.scalar(select(Category).where(Category.slug == "phones"))
        assert phones is not None
        parent = await session.get(Category, phones.parent_id)
        assert parent is not None and parent.slug == "electronics"
        cart = await read_cart(session, DEMO_USER_IDS["alice"])
        assert cart.item_count == 3 and cart.subtotal.amount == 2 * 3900 + 29900
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
        book = await session.scalar(select(Product).where(Product.sku == "BOK-001"))
        assert book is not None and book.stock == 99  # the seeded order took one
