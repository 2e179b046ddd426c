"""Per-request DataLoaders of the catalog: one SELECT ... WHERE key IN (...) per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from subgraphs.catalog.models import (
    Cart,
    CartItem,
    Category,
    Order,
    OrderItem,
    OrderStatusChange,
    Product,
    ProductImage,
)
from subgraphs.catalog.service.carts import CartLine, CartView
from subgraphs.common.app import Runtime
from subgraphs.common.loaders import rows_by_key, rows_grouped_by


def carts_by_user(sessions: async_sessionmaker[AsyncSession]) -> DataLoader[str, CartView]:
    async def load(user_ids: Sequence[str]) -> list[CartView]:
        async with sessions() as session:
            rows = await session.execute(
                select(Cart.user_id, CartItem.quantity, Product)
                .join(CartItem, CartItem.cart_id == Cart.id)
                .join(Product, Product.id == CartItem.product_id)
                .where(Cart.user_id.in_(user_ids))
                .order_by(CartItem.added_at, CartItem.product_id)
            )
            lines: dict[str, list[CartLine]] = defaultdict(list)
            for user_id, quantity, product in rows:
                lines[user_id].append(CartLine(product, quantity))
        return [CartView(user_id, tuple(lines.get(user_id, ()))) for user_id in user_ids]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class Loaders:
    category_by_id: DataLoader[str, Category | None]
    children_by_parent: DataLoader[str, list[Category]]
    product_by_id: DataLoader[str, Product | None]
    product_by_sku: DataLoader[str, Product | None]
    images_by_product: DataLoader[str, list[ProductImage]]
    order_by_id: DataLoader[str, Order | None]
    items_by_order: DataLoader[str, list[OrderItem]]
    history_by_order: DataLoader[str, list[OrderStatusChange]]
    cart_by_user: DataLoader[str, CartView]


def create_loaders(runtime: Runtime) -> Loaders:
    sessions = runtime.db.sessions
    return Loaders(
        category_by_id=rows_by_key(sessions, Category),
        children_by_parent=rows_grouped_by(
            sessions, Category, Category.parent_id, Category.name, Category.id
        ),
        product_by_id=rows_by_key(sessions, Product),
        product_by_sku=rows_by_key(sessions, Product, Product.sku),
        images_by_product=rows_grouped_by(
            sessions, ProductImage, ProductImage.product_id, ProductImage.position
        ),
        order_by_id=rows_by_key(sessions, Order),
        items_by_order=rows_grouped_by(sessions, OrderItem, OrderItem.order_id, OrderItem.position),
        history_by_order=rows_grouped_by(
            sessions, OrderStatusChange, OrderStatusChange.order_id, OrderStatusChange.id
        ),
        cart_by_user=carts_by_user(sessions),
    )
