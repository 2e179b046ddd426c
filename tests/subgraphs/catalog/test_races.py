"""Concurrent catalog writes: each check and the write that depends on it run as one.

Storms of concurrent calls, each on its own session and connection, on PostgreSQL and on
SQLite. On SQLite the calls alternate between two engines on the same file, as two processes
serving one database would: an in-process lock cannot order them, only the database can.
The invariants: a cancelled order restocks once, an order's status history is one chain,
no cart quantity is lost, the category tree never gets a cycle, and a racing call either
happens before the other or fails with a clear code (never INTERNAL_SERVER_ERROR).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import Database
from subgraphs.catalog.domain import (
    Actor,
    CategoryInput,
    CategoryPatch,
    Money,
    OrderStatus,
    ProductInput,
)
from subgraphs.catalog.models import CartItem, Category, Order, OrderStatusChange, Product
from subgraphs.catalog.service import carts, categories, orders, products
from subgraphs.common.errors import BadUserInput, Conflict, MosaicError, NotFound
from tests.subgraphs.catalog.conftest import CatalogDb, Published
from tests.subgraphs.catalog.factories import ADMIN, make_category, make_product
from tests.utils.races import impatient_sessions, run_before_first_write

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def engines(catalog_db: CatalogDb, database_url: str) -> AsyncIterator[list[Sessions]]:
    """Two engines on one database (two processes serving it)."""
    other = Database.from_url(database_url)
    try:
        yield [catalog_db.sessions, other.sessions]
    finally:
        await other.dispose()


async def storm(
    engines: list[Sessions], calls: list[Callable[[AsyncSession], Awaitable[T]]]
) -> list[T | MosaicError]:
    """Run every call at once, each on a fresh session of the next engine in turn; expected
    failures (MosaicError) are returned, anything else propagates."""

    async def one(index: int, call: Callable[[AsyncSession], Awaitable[T]]) -> T | MosaicError:
        async with engines[index % len(engines)]() as session:
            try:
                return await call(session)
            except MosaicError as error:
                return error

    return list(await asyncio.gather(*(one(n, call) for n, call in enumerate(calls))))


def successes(outcomes: list[Any]) -> list[Any]:
    return [o for o in outcomes if not isinstance(o, MosaicError)]


async def placed_order(db: CatalogDb, buyer: Actor, product: Product, quantity: int) -> Order:
    async with db.sessions() as session:
        await carts.add_to_cart(session, buyer, product.id, quantity)
    async with db.sessions() as session:
        return await orders.checkout(session, buyer, None, Published())


async def stock_of(db: CatalogDb, product_id: str) -> int | None:
    async with db.sessions() as session:
        return await session.scalar(select(Product.stock).where(Product.id == product_id))


async def history(db: CatalogDb, order_id: str) -> list[tuple[str | None, str]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(OrderStatusChange.from_status, OrderStatusChange.to_status)
            .where(OrderStatusChange.order_id == order_id)
            .order_by(OrderStatusChange.id)
        )
        return [(a, b) for a, b in rows.all()]


async def test_concurrent_cancels_restock_once(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    product = await make_product(catalog_db, "CANCEL-ME", stock=100, threshold=0)
    buyers = [Actor(f"cancel-buyer-{n}") for n in range(4)]
    placed = [await placed_order(catalog_db, buyer, product, 3) for buyer in buyers]
    assert await stock_of(catalog_db, product.id) == 88
    published = Published()

    def cancel(buyer: Actor, order_id: str) -> Callable[[AsyncSession], Awaitable[Order]]:
        return lambda session: orders.cancel_order(session, buyer, order_id, published)

    calls = [cancel(b, o.id) for b, o in zip(buyers, placed, strict=True) for _ in range(6)]
    outcomes = await storm(engines, calls)
    assert len(successes(outcomes)) == len(placed)
    assert all(
        isinstance(o, BadUserInput) and "from CANCELLED to CANCELLED" in o.message
        for o in outcomes
        if isinstance(o, MosaicError)
    ), outcomes
    assert await stock_of(catalog_db, product.id) == 100  # each order restocked exactly once
    for order in placed:
        assert await history(catalog_db, order.id) == [(None, "PENDING"), ("PENDING", "CANCELLED")]
    assert len(published.of("order.status_changed")) == len(placed)


async def test_concurrent_status_transitions_form_one_chain(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    product = await make_product(catalog_db, "SHIP-ME", stock=100, threshold=0)
    buyers = [Actor(f"status-buyer-{n}") for n in range(4)]
    placed = [await placed_order(catalog_db, buyer, product, 1) for buyer in buyers]
    targets = [OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.CANCELLED] * 3

    def move(order_id: str, target: OrderStatus) -> Callable[[AsyncSession], Awaitable[Order]]:
        return lambda s: orders.update_order_status(s, ADMIN, order_id, target, Published())

    outcomes = await storm(engines, [move(o.id, t) for o in placed for t in targets])
    assert all(isinstance(o, BadUserInput) for o in outcomes if isinstance(o, MosaicError))
    cancelled = 0
    for order in placed:
        chain = await history(catalog_db, order.id)
        assert chain[0] == (None, "PENDING")
        for (_, before), (after, _) in itertools.pairwise(chain):
            assert before == after, chain  # no skipped or duplicated step
        assert len(chain) == len(set(chain)), chain
        async with catalog_db.sessions() as session:
            status = await session.scalar(select(Order.status).where(Order.id == order.id))
        assert status == chain[-1][1]
        cancelled += status == "CANCELLED"
    steps = [len(await history(catalog_db, o.id)) - 1 for o in placed]
    assert len(successes(outcomes)) == sum(steps)
    assert await stock_of(catalog_db, product.id) == 96 + cancelled


async def test_concurrent_cart_writes_lose_no_quantity(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    first = await make_product(catalog_db, "CART-A", stock=1000)
    second = await make_product(catalog_db, "CART-B", stock=1000)
    buyer = Actor("cart-buyer")

    def add(product_id: str) -> Callable[[AsyncSession], Awaitable[carts.CartView]]:
        return lambda session: carts.add_to_cart(session, buyer, product_id, 1)

    outcomes = await storm(engines, [add(first.id) for _ in range(12)] + [add(second.id)] * 8)
    assert len(successes(outcomes)) == 20, outcomes
    async with catalog_db.sessions() as session:
        cart = await carts.read_cart(session, "cart-buyer")
    assert {line.product.sku: line.quantity for line in cart.lines} == {"CART-A": 12, "CART-B": 8}

    # Setting one line while adding to it: every add lands on top of the one set.
    def set_to(quantity: int) -> Callable[[AsyncSession], Awaitable[carts.CartView]]:
        return lambda session: carts.update_cart_item(session, buyer, first.id, quantity)

    outcomes = await storm(engines, [set_to(50)] + [add(first.id) for _ in range(10)])
    assert len(successes(outcomes)) == 11, outcomes
    async with catalog_db.sessions() as session:
        quantity = await session.scalar(
            select(CartItem.quantity).where(CartItem.product_id == first.id)
        )
    # The set ran at some point among the adds: 50 plus the adds after it, and never less
    # than 50 (an add whose read predates the set would otherwise overwrite it).
    assert quantity is not None and 50 <= quantity <= 60


async def test_crossing_category_moves_never_make_a_cycle(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    for round_ in range(3):
        await _crossing_moves(catalog_db, engines, round_)


async def _crossing_moves(catalog_db: CatalogDb, engines: list[Sessions], round_: int) -> None:
    pairs = [
        (
            await make_category(catalog_db, f"left-{round_}-{n}"),
            await make_category(catalog_db, f"right-{round_}-{n}"),
        )
        for n in range(8)
    ]

    def move(category: Category, parent: Category) -> Callable[[AsyncSession], Awaitable[Any]]:
        patch = CategoryPatch(parent_id=parent.id)
        return lambda session: categories.update_category(session, ADMIN, category.id, patch)

    calls = [call for a, b in pairs for call in (move(a, b), move(b, a))]
    outcomes = await storm(engines, calls)
    refused = [o for o in outcomes if isinstance(o, MosaicError)]
    assert len(refused) == len(pairs), outcomes  # one move of each crossing pair
    assert all(isinstance(o, BadUserInput) and "below itself" in o.message for o in refused)
    await assert_no_cycle(catalog_db)


async def assert_no_cycle(catalog_db: CatalogDb) -> None:
    async with catalog_db.sessions() as session:
        rows = await session.execute(select(Category.id, Category.parent_id))
        parents: dict[str, str | None] = {child: parent for child, parent in rows.all()}
    for category_id in parents:
        seen: set[str] = set()
        current: str | None = category_id
        while current is not None:
            assert current not in seen, f"cycle through {current}"
            seen.add(current)
            current = parents[current]


async def test_concurrent_deletes_of_one_product_delete_once(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    published = Published()
    doomed = [await make_product(catalog_db, f"DOOMED-{n}") for n in range(4)]

    def delete(product_id: str) -> Callable[[AsyncSession], Awaitable[str]]:
        return lambda session: products.delete_product(session, ADMIN, product_id, published)

    outcomes = await storm(engines, [delete(p.id) for p in doomed for _ in range(5)])
    assert sorted(successes(outcomes)) == sorted(p.id for p in doomed)
    assert all(isinstance(o, NotFound) for o in outcomes if isinstance(o, MosaicError))
    assert len(published.of("product.deleted")) == len(doomed)


async def test_add_to_cart_racing_product_deletion(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    for round_ in range(3):
        await _add_to_cart_racing_deletion(catalog_db, engines, round_)


async def _add_to_cart_racing_deletion(
    catalog_db: CatalogDb, engines: list[Sessions], round_: int
) -> None:
    product = await make_product(catalog_db, f"GOING-{round_}")
    buyers = [Actor(f"late-buyer-{round_}-{n}") for n in range(10)]

    def add(buyer: Actor) -> Callable[[AsyncSession], Awaitable[Any]]:
        return lambda session: carts.add_to_cart(session, buyer, product.id, 1)

    async def delete(session: AsyncSession) -> str:
        return await products.delete_product(session, ADMIN, product.id, Published())

    calls = [add(b) for b in buyers[:5]] + [delete] + [add(b) for b in buyers[5:]]
    outcomes = await storm(engines, calls)
    assert outcomes[5] == product.id
    assert all(
        isinstance(o, BadUserInput) and "no product on sale" in o.message
        for o in outcomes
        if isinstance(o, MosaicError)
    ), outcomes
    async with catalog_db.sessions() as session:
        lines = await session.scalar(
            select(func.count()).select_from(CartItem).where(CartItem.product_id == product.id)
        )
    assert lines == 0


async def test_product_creation_racing_category_deletion(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    for round_ in range(3):
        await _creation_racing_category_deletion(catalog_db, engines, round_)


async def _creation_racing_category_deletion(
    catalog_db: CatalogDb, engines: list[Sessions], round_: int
) -> None:
    category = await make_category(catalog_db, f"short-lived-{round_}")

    def create(n: int) -> Callable[[AsyncSession], Awaitable[Any]]:
        data = ProductInput(
            sku=f"IN-{round_}-{n}", name="In it", price=Money(100, "USD"), stock=1,
            category_id=category.id,
        )  # fmt: skip
        return lambda session: products.create_product(session, ADMIN, data, Published())

    async def delete(session: AsyncSession) -> str:
        return await categories.delete_category(session, ADMIN, category.id)

    calls = [create(n) for n in range(3)] + [delete] + [create(9)]
    outcomes: list[Any] = await storm(engines, calls)
    created = [o for o in outcomes if isinstance(o, Product)]
    if created:  # some products came first: the category stays, with them in it
        assert isinstance(outcomes[3], Conflict) and "still holds" in outcomes[3].message
    else:
        assert outcomes[3] == category.id
    refused = [o for o in outcomes if isinstance(o, MosaicError) and o is not outcomes[3]]
    assert all(isinstance(o, BadUserInput) and "no category" in o.message for o in refused), (
        outcomes
    )
    async with catalog_db.sessions() as session:
        exists = await session.get(Category, category.id) is not None
    assert exists == bool(created)


async def test_concurrent_creations_with_one_sku_or_slug_conflict(
    catalog_db: CatalogDb, engines: list[Sessions]
) -> None:
    data = ProductInput(sku="TWIN", name="Twin", price=Money(100, "USD"), stock=1)

    async def create(session: AsyncSession) -> Product:
        return await products.create_product(session, ADMIN, data, Published())

    outcomes = await storm(engines, [create] * 10)
    assert len(successes(outcomes)) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, MosaicError)), outcomes

    async def make(session: AsyncSession) -> Category:
        return await categories.create_category(session, ADMIN, CategoryInput("Twin", "twin"))

    made = await storm(engines, [make] * 10)
    assert len(successes(made)) == 1
    assert all(isinstance(o, Conflict) for o in made if isinstance(o, MosaicError)), made


# -- forced: a racer arrives between a write's checks and its first write ----------------------


async def forced(
    catalog_db: CatalogDb,
    database_url: str,
    write: Callable[[AsyncSession], Awaitable[Any]],
    racer: Callable[[AsyncSession], Awaitable[Any]],
    check: Callable[[], Awaitable[None]] | None = None,
) -> tuple[Any, Any, Any]:
    """The write, with an impatient racer sent between its checks and its first write; then
    the racer again once the write is done (and `check` passed). Returns (first racer, write,
    second racer)."""
    attempts: list[Any] = []
    async with impatient_sessions(database_url) as impatient:

        async def race() -> None:
            async with impatient() as session:
                try:
                    attempts.append(await racer(session))
                except (DBAPIError, MosaicError) as error:
                    attempts.append(error)

        async with catalog_db.sessions() as session:
            run_before_first_write(session, race)
            try:
                written = await write(session)
            except MosaicError as error:
                written = error
    assert len(attempts) == 1, "the write never reached its first write"
    if check is not None:
        await check()
    async with catalog_db.sessions() as session:
        try:
            again = await racer(session)
        except MosaicError as error:
            again = error
    return attempts[0], written, again


async def test_forced_category_deletion_waits_for_a_product_created_in_it(
    catalog_db: CatalogDb, database_url: str
) -> None:
    category = await make_category(catalog_db, "forced-home")
    data = ProductInput(
        sku="FORCED", name="Forced", price=Money(100, "USD"), stock=1, category_id=category.id
    )
    first, written, again = await forced(
        catalog_db,
        database_url,
        lambda session: products.create_product(session, ADMIN, data, Published()),
        lambda session: categories.delete_category(session, ADMIN, category.id),
    )
    assert isinstance(first, DBAPIError), first  # it had to wait: refused by its impatience
    assert isinstance(written, Product) and written.category_id == category.id
    assert isinstance(again, Conflict) and "still holds 1 product" in again.message


async def test_forced_crossing_category_moves(catalog_db: CatalogDb, database_url: str) -> None:
    left = await make_category(catalog_db, "forced-left")
    right = await make_category(catalog_db, "forced-right")

    def move(category: Category, parent: Category) -> Callable[[AsyncSession], Awaitable[Any]]:
        patch = CategoryPatch(parent_id=parent.id)
        return lambda session: categories.update_category(session, ADMIN, category.id, patch)

    first, written, again = await forced(
        catalog_db, database_url, move(left, right), move(right, left),
        check=lambda: assert_no_cycle(catalog_db),  # before a move reads a cyclic tree
    )  # fmt: skip
    assert isinstance(first, DBAPIError), first
    assert isinstance(written, Category) and written.parent_id == right.id
    assert isinstance(again, BadUserInput) and "below itself" in again.message


async def test_forced_double_cancel_restocks_once(catalog_db: CatalogDb, database_url: str) -> None:
    product = await make_product(catalog_db, "FORCED-CANCEL", stock=10, threshold=0)
    buyer = Actor("forced-canceller")
    order = await placed_order(catalog_db, buyer, product, 4)

    def cancel(session: AsyncSession) -> Awaitable[Order]:
        return orders.cancel_order(session, buyer, order.id, Published())

    first, written, again = await forced(catalog_db, database_url, cancel, cancel)
    assert isinstance(first, DBAPIError), first
    assert isinstance(written, Order) and written.status == "CANCELLED"
    assert isinstance(again, BadUserInput) and "from CANCELLED to CANCELLED" in again.message
    assert await stock_of(catalog_db, product.id) == 10
    assert await history(catalog_db, order.id) == [(None, "PENDING"), ("PENDING", "CANCELLED")]
