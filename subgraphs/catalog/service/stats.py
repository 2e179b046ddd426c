"""Sales statistics for admins: revenue, orders by status, best-selling products."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.domain import Actor, Money, OrderStatus
from subgraphs.catalog.models import Order, OrderItem
from subgraphs.catalog.service.base import require_admin
from subgraphs.common.errors import BadUserInput


@dataclass(frozen=True)
class TopProduct:
    product_id: str
    sku: str
    name: str
    quantity: int
    revenue: Money


@dataclass(frozen=True)
class SalesStats:
    revenue: tuple[Money, ...]  # one per currency; cancelled orders do not count
    order_count: int
    orders_by_status: tuple[tuple[OrderStatus, int], ...]
    top_products: tuple[TopProduct, ...]


async def sales_stats(session: AsyncSession, actor: Actor, top: int = 5) -> SalesStats:
    require_admin(actor)
    if top < 1 or top > 100:
        raise BadUserInput("top must be between 1 and 100")
    counted = Order.status != OrderStatus.CANCELLED.value
    revenue = await session.execute(
        select(Order.currency, func.sum(Order.total_amount))
        .where(counted)
        .group_by(Order.currency)
        .order_by(Order.currency)
    )
    by_status = dict(
        (await session.execute(select(Order.status, func.count()).group_by(Order.status))).all()
    )
    quantity = func.sum(OrderItem.quantity).label("quantity")
    best = await session.execute(
        select(
            OrderItem.product_id,
            func.max(OrderItem.sku),
            func.max(OrderItem.name),
            OrderItem.currency,
            quantity,
            func.sum(OrderItem.quantity * OrderItem.unit_price_amount),
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(counted)
        .group_by(OrderItem.product_id, OrderItem.currency)
        .order_by(desc(quantity), OrderItem.product_id)
        .limit(top)
    )
    return SalesStats(
        revenue=tuple(Money(int(total), currency) for currency, total in revenue),
        order_count=sum(by_status.values()),
        orders_by_status=tuple((s, int(by_status.get(s.value, 0))) for s in OrderStatus),
        top_products=tuple(
            TopProduct(pid, sku, name, int(qty), Money(int(amount), currency))
            for pid, sku, name, currency, qty, amount in best
        ),
    )
