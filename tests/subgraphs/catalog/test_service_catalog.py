"""Categories, products and inventory through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from subgraphs.catalog.domain import CategoryPatch, Money, ProductInput, ProductPatch
from subgraphs.catalog.models import Product
from subgraphs.catalog.service import categories, products
from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from tests.subgraphs.catalog.conftest import CatalogDb, Published
from tests.subgraphs.catalog.factories import (
    ADMIN,
    ALICE,
    ANONYMOUS,
    make_category,
    make_product,
)


async def test_category_tree_and_slug_rules(catalog_db: CatalogDb) -> None:
    root = await make_category(catalog_db, "electronics")
    child = await make_category(catalog_db, "phones", root.id)
    leaf = await make_category(catalog_db, "android", child.id)
    async with catalog_db.sessions() as session:
        assert [c.slug for c in await categories.list_categories(session)] == ["electronics"]
        assert [c.slug for c in await categories.list_categories(session, root.id)] == ["phones"]
        assert set(await categories.subtree_ids(session, root.id)) == {root.id, child.id, leaf.id}
        with pytest.raises(Conflict):
            await categories.create_category(
                session, ADMIN, categories.CategoryInput(name="Again", slug="phones")
            )
        with pytest.raises(BadUserInput):
            await categories.create_category(
                session, ADMIN, categories.CategoryInput(name="Bad", slug="Not A Slug")
            )
        with pytest.raises(BadUserInput, match="below itself"):
            await categories.update_category(
                session, ADMIN, root.id, CategoryPatch(parent_id=leaf.id)
            )
        with pytest.raises(Forbidden):
            await categories.create_category(
                session, ALICE, categories.CategoryInput(name="Mine", slug="mine")
            )
        moved = await categories.update_category(
            session, ADMIN, leaf.id, CategoryPatch(clear_parent=True, name="Android phones")
        )
        assert moved.parent_id is None and moved.name == "Android phones"


async def test_category_delete_refuses_non_empty(catalog_db: CatalogDb) -> None:
    root = await make_category(catalog_db, "home")
    child = await make_category(catalog_db, "kitchen", root.id)
    await make_product(catalog_db, "PAN-1", category_id=child.id)
    async with catalog_db.sessions() as session:
        with pytest.raises(Conflict, match="subcategories"):
            await categories.delete_category(session, ADMIN, root.id)
        with pytest.raises(Conflict, match="product"):
            await categories.delete_category(session, ADMIN, child.id)
        empty = await make_category(catalog_db, "garden")
        assert await categories.delete_category(session, ADMIN, empty.id) == empty.id
        with pytest.raises(NotFound):
            await categories.get_category(session, empty.id)


async def test_product_crud_and_events(catalog_db: CatalogDb, published: Published) -> None:
    category = await make_category(catalog_db, "books")
    async with catalog_db.sessions() as session:
        product = await products.create_product(
            session,
            ADMIN,
            ProductInput(
                sku="BOOK-1",
                name="Dune",
                price=Money(1999, "EUR"),
                category_id=category.id,
                stock=3,
                image_ids=("media-1", "media-2"),
            ),
            published,
        )
        product_id = product.id  # the refused calls below roll back and expire the session
        assert published.of("product.created")[0]["sku"] == "BOOK-1"
        with pytest.raises(Conflict):
            await products.create_product(
                session, ADMIN, ProductInput(sku="BOOK-1", name="x", price=Money(1, "EUR")),
                published,
            )  # fmt: skip
        for bad in (
            ProductInput(sku="has space", name="x", price=Money(1, "EUR")),
            ProductInput(sku="OK-1", name=" ", price=Money(1, "EUR")),
            ProductInput(sku="OK-1", name="x", price=Money(-1, "EUR")),
            ProductInput(sku="OK-1", name="x", price=Money(1, "euro")),
            ProductInput(sku="OK-1", name="x", price=Money(1, "EUR"), stock=-1),
            ProductInput(sku="OK-1", name="x", price=Money(1, "EUR"), category_id="nope"),
        ):
            with pytest.raises(BadUserInput):
                await products.create_product(session, ADMIN, bad, published)
        with pytest.raises(Forbidden):
            await products.create_product(
                session, ALICE, ProductInput(sku="A-1", name="x", price=Money(1, "EUR")), published
            )
        with pytest.raises(Unauthenticated):
            await products.create_product(
                session, ANONYMOUS, ProductInput(sku="A-1", name="x", price=Money(1, "EUR")),
                published,
            )  # fmt: skip
        updated = await products.update_product(
            session,
            ADMIN,
            product_id,
            ProductPatch(price=Money(2499, "EUR"), image_ids=("media-3",), clear_category=True),
            published,
        )
        assert (updated.price_amount, updated.category_id) == (2499, None)
        change = published.of("product.updated")[-1]
        assert change["price"] == {"amount": 2499, "currency": "EUR"}
        assert set(change["changed"]) == {"price", "images", "category"}
        assert await products.delete_product(session, ADMIN, product_id, published) == product_id
        (deleted,) = published.of("product.deleted")
        assert deleted == {"id": product_id, "sku": "BOOK-1", "version": change["version"]}
    # the product is gone, and nothing was written by the refused calls
    async with catalog_db.sessions() as session:
        assert await session.get(Product, product_id) is None
        assert await products.product_by_sku(session, "OK-1") is None
        assert await products.product_by_sku(session, "A-1") is None


async def test_adjust_inventory_is_atomic_and_signals_low_stock(
    catalog_db: CatalogDb, published: Published
) -> None:
    product = await make_product(catalog_db, "INV-1", stock=5, threshold=2)
    async with catalog_db.sessions() as session:
        after = await products.adjust_inventory(session, ADMIN, product.id, -2, published)
        assert after.stock == 3 and published.of("inventory.low") == []
        after = await products.adjust_inventory(session, ADMIN, product.id, -1, published)
        assert after.stock == 2
        assert published.of("inventory.low") == [
            {"productId": product.id, "sku": "INV-1", "stock": 2, "threshold": 2}
        ]
        with pytest.raises(BadUserInput, match="insufficient stock"):
            await products.adjust_inventory(session, ADMIN, product.id, -3, published)
        with pytest.raises(BadUserInput):
            await products.adjust_inventory(session, ADMIN, product.id, 0, published)
        with pytest.raises(Forbidden):
            await products.adjust_inventory(session, ALICE, product.id, 5, published)
        assert (
            await products.adjust_inventory(session, ADMIN, product.id, 8, published)
        ).stock == 10
        assert len(published.of("inventory.low")) == 1
