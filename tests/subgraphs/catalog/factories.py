"""Small builders for catalog tests (through the service, as a client would)."""

from __future__ import annotations

from subgraphs.catalog.domain import Actor, CategoryInput, Money, ProductInput
from subgraphs.catalog.models import Category, Product
from subgraphs.catalog.service import categories, products
from tests.subgraphs.catalog.conftest import CatalogDb, Published

ADMIN = Actor("admin-1", is_admin=True)
ALICE = Actor("user-alice")
BOB = Actor("user-bob")
ANONYMOUS = Actor(None)


async def make_category(db: CatalogDb, slug: str, parent_id: str | None = None) -> Category:
    async with db.sessions() as session:
        return await categories.create_category(
            session, ADMIN, CategoryInput(name=slug.title(), slug=slug, parent_id=parent_id)
        )


async def make_product(
    db: CatalogDb,
    sku: str,
    *,
    price: int = 1000,
    stock: int = 10,
    category_id: str | None = None,
    name: str | None = None,
    currency: str = "USD",
    active: bool = True,
    threshold: int = 2,
) -> Product:
    async with db.sessions() as session:
        return await products.create_product(
            session,
            ADMIN,
            ProductInput(
                sku=sku,
                name=name or f"Product {sku}",
                price=Money(price, currency),
                stock=stock,
                category_id=category_id,
                active=active,
                low_stock_threshold=threshold,
            ),
            Published(),
        )
