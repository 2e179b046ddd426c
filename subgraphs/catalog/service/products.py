"""Products and inventory: admin CRUD, stock adjustments, and the filtered product listing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.domain import (
    Actor,
    ProductFilter,
    ProductInput,
    ProductOrder,
    ProductPatch,
    ProductSortField,
)
from subgraphs.catalog.models import Category, Product, ProductImage, utcnow
from subgraphs.catalog.service.base import (
    MAX_AMOUNT,
    check_currency,
    lock_row,
    require_admin,
)
from subgraphs.catalog.service.categories import subtree_ids
from subgraphs.catalog.service.unit import Unit
from subgraphs.common.checks import check_text
from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.events import EventPublisher
from subgraphs.common.unit_of_work import UnitOfWork
from subgraphs.common.versions import version_from

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_STOCK = 1_000_000_000
MAX_IMAGES = 20


def emit_product(uow: Unit, type: str, payload: dict[str, Any]) -> None:
    uow.emit(type, payload, aggregate_id=payload["id"], version=payload["version"])


def product_payload(product: Product) -> dict[str, Any]:
    """Everything a consumer keeping a copy needs (search indexes name and description);
    `version` orders the events of one product (subgraphs/common/versions.py)."""
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": {"amount": product.price_amount, "currency": product.price_currency},
        "categoryId": product.category_id,
        "stock": product.stock,
        "active": product.active,
        "createdAt": product.created_at.isoformat(),
        "version": version_from(product.updated_at),
    }


def low_stock_event(product_id: str, sku: str, stock: int, threshold: int) -> dict[str, Any]:
    return {"productId": product_id, "sku": sku, "stock": stock, "threshold": threshold}


def crossed_low(before: int, after: int, threshold: int) -> bool:
    """True when stock falls to the threshold or below from above it."""
    return before > threshold >= after


async def get_product(session: AsyncSession, product_id: str) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product with id {product_id!r}")
    return product


async def product_by_sku(session: AsyncSession, sku: str) -> Product | None:
    return await session.scalar(select(Product).where(Product.sku == sku))


def _check_sku(sku: str) -> str:
    if not _SKU.match(sku):
        raise BadUserInput("sku must be 1-64 letters, digits, '.', '_' or '-'")
    return sku


def _check_price(amount: int, currency: str) -> None:
    if amount < 0 or amount > MAX_AMOUNT:
        raise BadUserInput(f"price.amount must be between 0 and {MAX_AMOUNT} minor units")
    check_currency(currency)


def _check_images(image_ids: tuple[str, ...]) -> tuple[str, ...]:
    if len(image_ids) > MAX_IMAGES:
        raise BadUserInput(f"a product has at most {MAX_IMAGES} images")
    for media_id in image_ids:
        check_text(media_id, "image id", max_length=64)
    return image_ids


def _check_threshold(value: int) -> int:
    if value < 0 or value > MAX_STOCK:
        raise BadUserInput("lowStockThreshold must be zero or more")
    return value


async def _check_category(session: AsyncSession, category_id: str) -> None:
    """The category exists, and (PostgreSQL: FOR SHARE) is not deleted before we commit."""
    found = await session.scalar(
        select(Category.id).where(Category.id == category_id).with_for_update(read=True)
    )
    if found is None:
        raise BadUserInput(f"no category with id {category_id!r}")


def _set_images(session: AsyncSession, product: Product, image_ids: tuple[str, ...]) -> None:
    for position, media_id in enumerate(image_ids):
        session.add(ProductImage(product_id=product.id, position=position, media_id=media_id))


async def create_product(
    session: AsyncSession, actor: Actor, data: ProductInput, events: EventPublisher | None
) -> Product:
    require_admin(actor)
    sku = _check_sku(data.sku)
    name = check_text(data.name, "name", max_length=200)
    description = check_text(data.description, "description", max_length=10_000, allow_empty=True)
    _check_price(data.price.amount, data.price.currency)
    if data.stock < 0 or data.stock > MAX_STOCK:
        raise BadUserInput("stock must be between 0 and 10^9")
    images = _check_images(data.image_ids)
    async with UnitOfWork(session, actor, events) as uow:
        if await product_by_sku(session, sku) is not None:
            raise Conflict(f"a product with sku {sku!r} exists")
        if data.category_id is not None:
            await _check_category(session, data.category_id)
        product = Product(
            sku=sku,
            name=name,
            description=description,
            price_amount=data.price.amount,
            price_currency=data.price.currency,
            category_id=data.category_id,
            stock=data.stock,
            active=data.active,
            low_stock_threshold=_check_threshold(data.low_stock_threshold),
        )
        session.add(product)
        try:
            await session.flush()
        except IntegrityError as error:
            raise Conflict(f"a product with sku {sku!r} exists") from error
        _set_images(session, product, images)
        emit_product(uow, "product.created", product_payload(product))
    return product


async def update_product(
    session: AsyncSession,
    actor: Actor,
    product_id: str,
    patch: ProductPatch,
    events: EventPublisher | None,
) -> Product:
    require_admin(actor)
    async with UnitOfWork(session, actor, events) as uow:
        product = await lock_row(session, Product, product_id, "product")
        changed: list[str] = []
        if patch.name is not None:
            product.name = check_text(patch.name, "name", max_length=200)
            changed.append("name")
        if patch.description is not None:
            product.description = check_text(
                patch.description, "description", max_length=10_000, allow_empty=True
            )
            changed.append("description")
        if patch.price is not None:
            _check_price(patch.price.amount, patch.price.currency)
            product.price_amount = patch.price.amount
            product.price_currency = patch.price.currency
            changed.append("price")
        if patch.clear_category:
            product.category_id = None
            changed.append("category")
        elif patch.category_id is not None:
            await _check_category(session, patch.category_id)
            product.category_id = patch.category_id
            changed.append("category")
        if patch.active is not None:
            product.active = patch.active
            changed.append("active")
        if patch.low_stock_threshold is not None:
            product.low_stock_threshold = _check_threshold(patch.low_stock_threshold)
            changed.append("lowStockThreshold")
        if patch.image_ids is not None:
            images = _check_images(patch.image_ids)
            await session.execute(delete(ProductImage).where(ProductImage.product_id == product.id))
            _set_images(session, product, images)
            changed.append("images")
        product.updated_at = utcnow()
        await session.flush()
        emit_product(uow, "product.updated", {**product_payload(product), "changed": changed})
    return product


async def delete_product(
    session: AsyncSession, actor: Actor, product_id: str, events: EventPublisher | None
) -> str:
    """Delete a product (carts lose it; orders keep their snapshot of it)."""
    require_admin(actor)
    async with UnitOfWork(session, actor, events) as uow:
        product = await lock_row(session, Product, product_id, "product")
        # The version of the last state: a delete beats every event of that version or older.
        version = version_from(product.updated_at)
        emit_product(
            uow, "product.deleted", {"id": product.id, "sku": product.sku, "version": version}
        )
        await session.delete(product)
    return product_id


async def adjust_inventory(
    session: AsyncSession, actor: Actor, product_id: str, delta: int, events: EventPublisher | None
) -> Product:
    """Add (or with a negative delta remove) stock atomically; stock never goes below zero."""
    require_admin(actor)
    if delta == 0 or abs(delta) > MAX_STOCK:
        raise BadUserInput("delta must be a non-zero number of units (at most 10^9)")
    async with UnitOfWork(session, actor, events) as uow:
        row = (
            await session.execute(
                update(Product)
                .where(Product.id == product_id, Product.stock + delta >= 0)
                .values(stock=Product.stock + delta, updated_at=utcnow())
                .returning(Product.stock, Product.low_stock_threshold, Product.sku)
            )
        ).one_or_none()
        if row is None:
            product = await get_product(session, product_id)
            raise BadUserInput(
                f"insufficient stock: {product.sku} has {product.stock}, cannot remove {-delta}"
            )
        stock, threshold, sku = row
        if crossed_low(stock - delta, stock, threshold):
            uow.emit("inventory.low", low_stock_event(product_id, sku, stock, threshold))
        product = await get_product(session, product_id)
        await session.refresh(product)
        emit_product(uow, "product.updated", {**product_payload(product), "changed": ["stock"]})
    return product


# --- listing -------------------------------------------------------------------------------

SORT_COLUMNS = {
    ProductSortField.NAME: Product.name,
    ProductSortField.PRICE: Product.price_amount,
    ProductSortField.CREATED_AT: Product.created_at,
    ProductSortField.STOCK: Product.stock,
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def product_conditions(
    session: AsyncSession, actor: Actor, where: ProductFilter
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for a product listing; inactive products are for admins only."""
    if where.price_min is not None and where.price_max is not None:
        if where.price_min > where.price_max:
            raise BadUserInput("priceMin must not exceed priceMax")
    conditions: list[ColumnElement[bool]] = []
    if not (where.include_inactive and actor.is_admin):
        conditions.append(Product.active.is_(True))
    if where.category_id is not None:
        conditions.append(Product.category_id.in_(await subtree_ids(session, where.category_id)))
    if where.price_min is not None:
        conditions.append(Product.price_amount >= where.price_min)
    if where.price_max is not None:
        conditions.append(Product.price_amount <= where.price_max)
    if where.in_stock is True:
        conditions.append(Product.stock > 0)
    elif where.in_stock is False:
        conditions.append(Product.stock == 0)
    if where.text is not None and where.text.strip():
        pattern = f"%{_escape_like(where.text.strip().lower())}%"
        conditions.append(
            or_(
                func.lower(Product.name).like(pattern, escape="\\"),
                func.lower(Product.description).like(pattern, escape="\\"),
                func.lower(Product.sku).like(pattern, escape="\\"),
            )
        )
    return conditions


async def product_listing(
    session: AsyncSession, actor: Actor, where: ProductFilter, order: ProductOrder
) -> tuple[Select[Product], Any]:
    """The filtered SELECT and its sort column (the page helper adds id as the tie-breaker)."""
    statement = select(Product).where(*await product_conditions(session, actor, where))
    return statement, SORT_COLUMNS[order.field]
