"""Orders: checkout (one transaction), cancellation with restock, and the status machine."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.domain import Actor, OrderStatus, can_transition
from subgraphs.catalog.models import (
    CartItem,
    Order,
    OrderItem,
    OrderStatusChange,
    Product,
    utcnow,
)
from subgraphs.catalog.service.base import (
    check_amount,
    require_admin,
    require_user,
)
from subgraphs.catalog.service.carts import lock_cart
from subgraphs.catalog.service.products import crossed_low, low_stock_event
from subgraphs.catalog.service.unit import Unit
from subgraphs.common.checks import check_text
from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.events import EventPublisher
from subgraphs.common.unit_of_work import UnitOfWork

_ATTEMPTS = 3


def new_order_number() -> str:
    return f"{utcnow():%Y%m%d}-{secrets.token_hex(4).upper()}"


def order_payload(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "buyerId": order.buyer_id,
        "status": order.status,
        "total": {"amount": order.total_amount, "currency": order.currency},
    }


async def _existing_order(session: AsyncSession, buyer_id: str, key: str) -> Order | None:
    return await session.scalar(
        select(Order).where(Order.buyer_id == buyer_id, Order.idempotency_key == key)
    )


async def checkout(
    session: AsyncSession, actor: Actor, idempotency_key: str | None, events: EventPublisher | None
) -> Order:
    """Turn the caller's cart into a PENDING order in one transaction.

    Prices are snapshotted, stock is decremented with a conditional UPDATE (never below zero;
    a shortfall is a CONFLICT and rolls everything back), and the cart is emptied. The cart row
    is locked first, so one user's checkouts run one at a time; a repeated idempotency key
    returns the first order and changes nothing.
    """
    buyer_id = require_user(actor)
    key = None
    if idempotency_key is not None:
        key = check_text(idempotency_key, "idempotencyKey", max_length=200)
    for attempt in range(_ATTEMPTS):
        try:
            async with UnitOfWork(session, actor, events) as uow:
                order = await _checkout_once(session, buyer_id, key, uow)
        except IntegrityError:  # a concurrent checkout took the key or the number first
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return order
    raise AssertionError("unreachable")


async def _checkout_once(session: AsyncSession, buyer_id: str, key: str | None, uow: Unit) -> Order:
    cart = await lock_cart(session, buyer_id, create=False)
    if key is not None:
        existing = await _existing_order(session, buyer_id, key)
        if existing is not None:
            return existing
    if cart is None:
        raise BadUserInput("the cart is empty")
    lines = (
        await session.execute(
            select(CartItem.product_id, CartItem.quantity)
            .where(CartItem.cart_id == cart.id)
            .order_by(CartItem.product_id)  # one lock order for every transaction: no deadlocks
        )
    ).all()
    if not lines:
        raise BadUserInput("the cart is empty")
    order = Order(
        number=new_order_number(),
        buyer_id=buyer_id,
        status=OrderStatus.PENDING.value,
        total_amount=0,
        currency="",
        idempotency_key=key,
    )
    items: list[OrderItem] = []
    for position, (product_id, quantity) in enumerate(lines):
        row = (
            await session.execute(
                update(Product)
                .where(
                    Product.id == product_id,
                    Product.active.is_(True),
                    Product.stock >= quantity,
                )
                .values(stock=Product.stock - quantity)
                .returning(
                    Product.sku,
                    Product.name,
                    Product.price_amount,
                    Product.price_currency,
                    Product.stock,
                    Product.low_stock_threshold,
                )
            )
        ).one_or_none()
        if row is None:
            raise await _shortfall(session, product_id, quantity)
        sku, name, price, currency, stock, threshold = row
        if order.currency and currency != order.currency:
            raise BadUserInput("the cart mixes currencies; remove items of one currency")
        order.currency = currency
        order.total_amount += price * quantity
        items.append(
            OrderItem(
                position=position,
                product_id=product_id,
                sku=sku,
                name=name,
                unit_price_amount=price,
                currency=currency,
                quantity=quantity,
            )
        )
        if crossed_low(stock + quantity, stock, threshold):
            uow.emit("inventory.low", low_stock_event(product_id, sku, stock, threshold))
    check_amount(order.total_amount, "the order's total")
    session.add(order)
    await session.flush()
    for item in items:
        item.order_id = order.id
    session.add_all(items)
    session.add(
        OrderStatusChange(
            order_id=order.id, from_status=None, to_status=order.status, by_id=buyer_id
        )
    )
    await session.execute(delete(CartItem).where(CartItem.cart_id == cart.id))
    await session.flush()
    uow.emit(
        "order.created",
        {
            **order_payload(order),
            "items": [
                {"productId": i.product_id, "sku": i.sku, "quantity": i.quantity,
                 "unitPrice": {"amount": i.unit_price_amount, "currency": i.currency}}
                for i in items
            ],
        },
        aggregate_id=order.id,
    )  # fmt: skip
    return order


async def _shortfall(session: AsyncSession, product_id: str, quantity: int) -> Exception:
    product = await session.get(Product, product_id)
    if product is None or not product.active:
        return BadUserInput(f"product {product_id!r} is no longer on sale; remove it from the cart")
    await session.refresh(product, ["stock"])
    return Conflict(
        f"insufficient stock for {product.sku}: {product.stock} left, {quantity} requested"
    )


async def _lock_visible_order(session: AsyncSession, actor: Actor, order_id: str) -> Order:
    user_id = require_user(actor)
    order = await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None or (order.buyer_id != user_id and not actor.is_admin):
        raise NotFound(f"no order with id {order_id!r}")
    return order


async def _change_status(
    session: AsyncSession, actor: Actor, order: Order, target: OrderStatus, uow: Unit
) -> None:
    current = OrderStatus(order.status)
    if not can_transition(current, target):
        raise BadUserInput(f"an order cannot go from {current.value} to {target.value}")
    if target is OrderStatus.CANCELLED:
        await _restock(session, order.id)
    order.status = target.value
    order.updated_at = utcnow()
    session.add(
        OrderStatusChange(
            order_id=order.id,
            from_status=current.value,
            to_status=target.value,
            by_id=actor.user_id,
        )
    )
    await session.flush()
    uow.emit("order.status_changed", {**order_payload(order), "from": current.value,
                                      "to": target.value}, aggregate_id=order.id)  # fmt: skip


async def _restock(session: AsyncSession, order_id: str) -> None:
    lines = (
        await session.execute(
            select(OrderItem.product_id, OrderItem.quantity)
            .where(OrderItem.order_id == order_id)
            .order_by(OrderItem.product_id)
        )
    ).all()
    for product_id, quantity in lines:  # a deleted product has nothing to restock
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock=Product.stock + quantity, updated_at=utcnow())
        )


async def cancel_order(
    session: AsyncSession, actor: Actor, order_id: str, events: EventPublisher | None
) -> Order:
    """The buyer (or an admin) cancels an order before it ships; its stock returns."""
    async with UnitOfWork(session, actor, events) as uow:
        order = await _lock_visible_order(session, actor, order_id)
        await _change_status(session, actor, order, OrderStatus.CANCELLED, uow)
    return order


async def update_order_status(
    session: AsyncSession,
    actor: Actor,
    order_id: str,
    status: OrderStatus,
    events: EventPublisher | None,
) -> Order:
    require_admin(actor)
    async with UnitOfWork(session, actor, events) as uow:
        order = await _lock_visible_order(session, actor, order_id)
        await _change_status(session, actor, order, status, uow)
    return order


async def get_order(session: AsyncSession, actor: Actor, order_id: str) -> Order:
    user_id = require_user(actor)
    order = await session.get(Order, order_id)
    if order is None or (order.buyer_id != user_id and not actor.is_admin):
        raise NotFound(f"no order with id {order_id!r}")
    return order


def order_listing(
    actor: Actor, buyer_id: str | None = None, status: OrderStatus | None = None
) -> Select[Order]:
    """Orders the caller may list: their own; an admin lists all (or one buyer's)."""
    user_id = require_user(actor)
    conditions: list[ColumnElement[bool]] = []
    if not actor.is_admin:
        if buyer_id is not None and buyer_id != user_id:
            return select(Order).where(Order.id.is_(None))  # nobody else's orders
        conditions.append(Order.buyer_id == user_id)
    elif buyer_id is not None:
        conditions.append(Order.buyer_id == buyer_id)
    if status is not None:
        conditions.append(Order.status == status.value)
    return select(Order).where(*conditions)


async def order_items(session: AsyncSession, order_id: str) -> list[OrderItem]:
    rows = await session.scalars(
        select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.position)
    )
    return list(rows)
