"""Carts, checkout, cancellation, the status machine and sales stats, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from subgraphs.catalog.domain import Money, OrderStatus, ProductPatch
from subgraphs.catalog.models import Order, OrderStatusChange, Product
from subgraphs.catalog.service import carts, orders, products, stats
from subgraphs.catalog.service.base import MAX_AMOUNT
from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from tests.subgraphs.catalog.conftest import CatalogDb, Published
from tests.subgraphs.catalog.factories import ADMIN, ALICE, ANONYMOUS, BOB, make_product


async def stock_of(db: CatalogDb, product_id: str) -> int:
    async with db.sessions() as session:
        value = await session.scalar(select(Product.stock).where(Product.id == product_id))
        assert value is not None
        return value


async def test_cart_lines_totals_and_rules(catalog_db: CatalogDb) -> None:
    pen = await make_product(catalog_db, "PEN", price=250)
    ink = await make_product(catalog_db, "INK", price=1200)
    euro = await make_product(catalog_db, "EURO", price=100, currency="EUR")
    hidden = await make_product(catalog_db, "HIDDEN", active=False)
    async with catalog_db.sessions() as session:
        cart = await carts.add_to_cart(session, ALICE, pen.id, 2)
        cart = await carts.add_to_cart(session, ALICE, ink.id, 1)
        cart = await carts.add_to_cart(session, ALICE, pen.id, 1)
        assert [(line.product.sku, line.quantity) for line in cart.lines] == [
            ("PEN", 3),
            ("INK", 1),
        ]
        assert cart.lines[0].line_total.amount == 750
        assert (cart.subtotal.amount, cart.subtotal.currency, cart.item_count) == (1950, "USD", 4)
        with pytest.raises(BadUserInput, match="EUR"):
            await carts.add_to_cart(session, ALICE, euro.id, 1)
        with pytest.raises(BadUserInput):
            await carts.add_to_cart(session, ALICE, hidden.id, 1)
        with pytest.raises(BadUserInput):
            await carts.add_to_cart(session, ALICE, pen.id, 0)
        with pytest.raises(Unauthenticated):
            await carts.add_to_cart(session, ANONYMOUS, pen.id, 1)
        cart = await carts.update_cart_item(session, ALICE, pen.id, 5)
        assert cart.item_count == 6
        cart = await carts.remove_from_cart(session, ALICE, ink.id)
        assert [line.product.sku for line in cart.lines] == ["PEN"]
        with pytest.raises(NotFound):
            await carts.update_cart_item(session, ALICE, ink.id, 1)
        assert (await carts.cart_for(session, BOB)).item_count == 0  # Bob's cart is his own
        with pytest.raises(NotFound):
            await carts.cart_for(session, BOB, ALICE.user_id)
        assert (await carts.cart_for(session, ADMIN, ALICE.user_id)).item_count == 5
        cart = await carts.clear_cart(session, ALICE)
        assert cart.lines == () and cart.subtotal.amount == 0


async def test_amounts_stay_within_graphql_int(catalog_db: CatalogDb) -> None:
    gold = await make_product(catalog_db, "GOLD", price=MAX_AMOUNT)
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, ALICE, gold.id, 1)
        with pytest.raises(BadUserInput, match="subtotal would exceed"):
            await carts.add_to_cart(session, ALICE, gold.id, 1)
        assert (await carts.read_cart(session, ALICE.user_id)).item_count == 1
    with pytest.raises(BadUserInput):
        await make_product(catalog_db, "PLATINUM", price=MAX_AMOUNT + 1)


async def test_checkout_snapshots_prices_decrements_stock_and_clears_cart(
    catalog_db: CatalogDb, published: Published
) -> None:
    pen = await make_product(catalog_db, "PEN", price=250, stock=5, threshold=2)
    ink = await make_product(catalog_db, "INK", price=1200, stock=1, threshold=0)
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, ALICE, pen.id, 3)
        await carts.add_to_cart(session, ALICE, ink.id, 1)
        order = await orders.checkout(session, ALICE, "key-1", published)
    assert (order.status, order.total_amount, order.currency) == ("PENDING", 1950, "USD")
    assert (await stock_of(catalog_db, pen.id), await stock_of(catalog_db, ink.id)) == (2, 0)
    async with catalog_db.sessions() as session:
        assert (await carts.read_cart(session, ALICE.user_id)).lines == ()
        # the price changes later; the order keeps what the buyer paid
        await products.update_product(
            session, ADMIN, pen.id, ProductPatch(price=Money(999, "USD")),
            published,
        )  # fmt: skip
        lines = await orders.order_items(session, order.id)
        assert sorted((i.sku, i.unit_price_amount, i.quantity) for i in lines) == [
            ("INK", 1200, 1),
            ("PEN", 250, 3),
        ]
    created = published.of("order.created")
    assert len(created) == 1 and created[0]["total"] == {"amount": 1950, "currency": "USD"}
    low = {event["sku"] for event in published.of("inventory.low")}
    assert low == {"PEN", "INK"}  # 5 -> 2 reaches threshold 2; 1 -> 0 reaches threshold 0


async def test_checkout_idempotency_key_returns_first_order(
    catalog_db: CatalogDb, published: Published
) -> None:
    pen = await make_product(catalog_db, "PEN", price=250, stock=10)
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, ALICE, pen.id, 2)
        first = await orders.checkout(session, ALICE, "same-key", published)
        await carts.add_to_cart(session, ALICE, pen.id, 1)  # a new cart, same key again
        again = await orders.checkout(session, ALICE, "same-key", published)
    assert again.id == first.id
    assert await stock_of(catalog_db, pen.id) == 8  # charged once
    assert len(published.of("order.created")) == 1
    async with catalog_db.sessions() as session:
        assert (await carts.read_cart(session, ALICE.user_id)).item_count == 1  # left alone
        # the key is per buyer: Bob's identical key is a different order
        await carts.add_to_cart(session, BOB, pen.id, 1)
        bobs = await orders.checkout(session, BOB, "same-key", published)
        assert bobs.id != first.id


async def test_checkout_refusals_change_nothing(
    catalog_db: CatalogDb, published: Published
) -> None:
    pen = await make_product(catalog_db, "PEN", stock=2)
    ink = await make_product(catalog_db, "INK", stock=5)
    async with catalog_db.sessions() as session:
        with pytest.raises(BadUserInput, match="empty"):
            await orders.checkout(session, ALICE, None, published)
        await carts.add_to_cart(session, ALICE, ink.id, 2)
        await carts.add_to_cart(session, ALICE, pen.id, 3)
        with pytest.raises(Conflict, match="insufficient stock for PEN: 2 left, 3 requested"):
            await orders.checkout(session, ALICE, None, published)
        with pytest.raises(Unauthenticated):
            await orders.checkout(session, ANONYMOUS, None, published)
    # all or nothing: INK was not decremented, the cart is intact, no order exists
    assert (await stock_of(catalog_db, ink.id), await stock_of(catalog_db, pen.id)) == (5, 2)
    async with catalog_db.sessions() as session:
        assert (await carts.read_cart(session, ALICE.user_id)).item_count == 5
        assert await session.scalar(select(func.count()).select_from(Order)) == 0
    assert published.events == []


async def test_checkout_refuses_a_product_taken_off_sale(
    catalog_db: CatalogDb, published: Published
) -> None:
    pen = await make_product(catalog_db, "PEN", stock=5)
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, ALICE, pen.id, 1)
        await products.update_product(session, ADMIN, pen.id, ProductPatch(active=False), published)
        with pytest.raises(BadUserInput, match="no longer on sale"):
            await orders.checkout(session, ALICE, None, published)
    assert await stock_of(catalog_db, pen.id) == 5
    async with catalog_db.sessions() as session:
        assert (await carts.read_cart(session, ALICE.user_id)).item_count == 1
        await products.delete_product(session, ADMIN, pen.id, published)
        assert (await carts.read_cart(session, ALICE.user_id)).lines == ()  # the line went too


async def test_status_machine_history_and_cancel_restocks(
    catalog_db: CatalogDb, published: Published
) -> None:
    pen = await make_product(catalog_db, "PEN", stock=10)
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, ALICE, pen.id, 4)
        order = await orders.checkout(session, ALICE, None, published)
        order_id = order.id
        with pytest.raises(Forbidden):
            await orders.update_order_status(
                session, ALICE, order_id, OrderStatus.PROCESSING, published
            )
        with pytest.raises(BadUserInput, match="PENDING to SHIPPED"):
            await orders.update_order_status(
                session, ADMIN, order_id, OrderStatus.SHIPPED, published
            )
        with pytest.raises(NotFound):
            await orders.cancel_order(session, BOB, order_id, published)  # not Bob's
        await orders.update_order_status(
            session, ADMIN, order_id, OrderStatus.PROCESSING, published
        )
        assert await stock_of(catalog_db, pen.id) == 6
        cancelled = await orders.cancel_order(session, ALICE, order_id, published)
        assert cancelled.status == "CANCELLED"
        assert await stock_of(catalog_db, pen.id) == 10  # restocked
        with pytest.raises(BadUserInput):
            await orders.cancel_order(session, ALICE, order_id, published)  # twice: no restock
        assert await stock_of(catalog_db, pen.id) == 10
        history = list(
            await session.scalars(
                select(OrderStatusChange)
                .where(OrderStatusChange.order_id == order_id)
                .order_by(OrderStatusChange.id)
            )
        )
    assert [(h.from_status, h.to_status, h.by_id) for h in history] == [
        (None, "PENDING", ALICE.user_id),
        ("PENDING", "PROCESSING", ADMIN.user_id),
        ("PROCESSING", "CANCELLED", ALICE.user_id),
    ]
    changes = published.of("order.status_changed")
    assert [(c["from"], c["to"]) for c in changes] == [
        ("PENDING", "PROCESSING"),
        ("PROCESSING", "CANCELLED"),
    ]


async def test_shipped_orders_cannot_be_cancelled(
    catalog_db: CatalogDb, published: Published
) -> None:
    pen = await make_product(catalog_db, "PEN", stock=10)
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, ALICE, pen.id, 1)
        order_id = (await orders.checkout(session, ALICE, None, published)).id
        for status in (OrderStatus.PROCESSING, OrderStatus.SHIPPED):
            await orders.update_order_status(session, ADMIN, order_id, status, published)
        with pytest.raises(BadUserInput, match="SHIPPED to CANCELLED"):
            await orders.cancel_order(session, ALICE, order_id, published)
        done = await orders.update_order_status(
            session, ADMIN, order_id, OrderStatus.DELIVERED, published
        )
        assert done.status == "DELIVERED"
        with pytest.raises(BadUserInput):
            await orders.update_order_status(
                session, ADMIN, order_id, OrderStatus.PROCESSING, published
            )
    assert await stock_of(catalog_db, pen.id) == 9


async def test_order_visibility_and_sales_stats(
    catalog_db: CatalogDb, published: Published
) -> None:
    pen = await make_product(catalog_db, "PEN", price=100, stock=50)
    ink = await make_product(catalog_db, "INK", price=1000, stock=50)
    async with catalog_db.sessions() as session:
        await carts.add_to_cart(session, ALICE, pen.id, 5)
        alices = await orders.checkout(session, ALICE, None, published)
        await carts.add_to_cart(session, BOB, ink.id, 2)
        await carts.add_to_cart(session, BOB, pen.id, 1)
        bobs = await orders.checkout(session, BOB, None, published)
        await carts.add_to_cart(session, BOB, ink.id, 7)
        cancelled = await orders.checkout(session, BOB, None, published)
        await orders.cancel_order(session, BOB, cancelled.id, published)

        assert (await orders.get_order(session, ALICE, alices.id)).id == alices.id
        with pytest.raises(NotFound):
            await orders.get_order(session, ALICE, bobs.id)
        assert (await orders.get_order(session, ADMIN, bobs.id)).id == bobs.id
        own = list(await session.scalars(orders.order_listing(ALICE)))
        assert [o.id for o in own] == [alices.id]
        everything = list(await session.scalars(orders.order_listing(ADMIN)))
        assert len(everything) == 3
        assert list(await session.scalars(orders.order_listing(ALICE, BOB.user_id))) == []

        with pytest.raises(Forbidden):
            await stats.sales_stats(session, ALICE)
        report = await stats.sales_stats(session, ADMIN, top=5)
    assert [(m.amount, m.currency) for m in report.revenue] == [(500 + 2100, "USD")]
    assert dict(report.orders_by_status)[OrderStatus.PENDING] == 2
    assert dict(report.orders_by_status)[OrderStatus.CANCELLED] == 1
    assert report.order_count == 3
    assert [(t.sku, t.quantity, t.revenue.amount) for t in report.top_products] == [
        ("PEN", 6, 600),
        ("INK", 2, 2000),
    ]
