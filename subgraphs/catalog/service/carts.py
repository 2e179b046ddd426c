"""Carts: one per user, holding products and quantities at the products' current prices."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.domain import Actor, Money
from subgraphs.catalog.models import Cart, CartItem, Product, utcnow
from subgraphs.catalog.service.base import (
    check_amount,
    check_quantity,
    require_user,
)
from subgraphs.common.errors import BadUserInput, NotFound
from subgraphs.common.unit_of_work import UnitOfWork

MAX_LINES = 100


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def unit_price(self) -> Money:
        return Money(self.product.price_amount, self.product.price_currency)

    @property
    def line_total(self) -> Money:
        return Money(self.product.price_amount * self.quantity, self.product.price_currency)


@dataclass(frozen=True)
class CartView:
    """A user's cart as read in one go; an empty cart when the user never added anything."""

    user_id: str
    lines: tuple[CartLine, ...]
    default_currency: str = "USD"

    @property
    def currency(self) -> str:
        return self.lines[0].product.price_currency if self.lines else self.default_currency

    @property
    def subtotal(self) -> Money:
        return Money(sum(line.line_total.amount for line in self.lines), self.currency)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


async def read_cart(session: AsyncSession, user_id: str) -> CartView:
    rows = await session.execute(
        select(CartItem.quantity, Product)
        .join(Cart, Cart.id == CartItem.cart_id)
        .join(Product, Product.id == CartItem.product_id)
        .where(Cart.user_id == user_id)
        .order_by(CartItem.added_at, CartItem.product_id)
    )
    return CartView(user_id, tuple(CartLine(product, quantity) for quantity, product in rows))


async def cart_for(session: AsyncSession, actor: Actor, user_id: str | None = None) -> CartView:
    """The caller's cart; an admin may read anyone's."""
    own = require_user(actor)
    if user_id is not None and user_id != own and not actor.is_admin:
        raise NotFound("no such cart")
    return await read_cart(session, user_id or own)


async def _check_subtotal(session: AsyncSession, user_id: str) -> None:
    await session.flush()
    check_amount((await read_cart(session, user_id)).subtotal.amount, "the cart's subtotal")


async def lock_cart(session: AsyncSession, user_id: str, *, create: bool) -> Cart | None:
    """The user's cart row, locked FOR UPDATE (PostgreSQL): one cart writer per user at a time.

    A cart writer locks the cart before any product, so it cannot deadlock with a checkout.
    """
    statement = (
        select(Cart)
        .where(Cart.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    cart = await session.scalar(statement)
    if cart is None and create:
        try:
            async with session.begin_nested():
                session.add(Cart(user_id=user_id))
        except IntegrityError:  # created concurrently: take theirs
            pass
        cart = await session.scalar(statement)
    return cart


async def _orderable(session: AsyncSession, product_id: str) -> Product:
    """The product, locked FOR SHARE (PostgreSQL) so it is not deleted before the line is
    written; BAD_USER_INPUT when it is gone or not on sale."""
    product = await session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if product is None or not product.active:
        raise BadUserInput(f"no product on sale with id {product_id!r}")
    return product


async def _check_currency(session: AsyncSession, cart: Cart, product: Product) -> None:
    currencies = set(
        await session.scalars(
            select(Product.price_currency)
            .join(CartItem, CartItem.product_id == Product.id)
            .where(CartItem.cart_id == cart.id, Product.id != product.id)
        )
    )
    if currencies and currencies != {product.price_currency}:
        raise BadUserInput(
            f"the cart is in {', '.join(sorted(currencies))}; {product.sku} is priced in "
            f"{product.price_currency}"
        )


async def add_to_cart(
    session: AsyncSession, actor: Actor, product_id: str, quantity: int
) -> CartView:
    """Add units of a product (adds to the quantity already in the cart)."""
    user_id = require_user(actor)
    check_quantity(quantity)
    async with UnitOfWork(session, actor):
        cart = await lock_cart(session, user_id, create=True)
        assert cart is not None
        product = await _orderable(session, product_id)
        await _check_currency(session, cart, product)
        item = await session.get(CartItem, (cart.id, product_id))
        if item is None:
            count = len(list(await session.scalars(select(CartItem.product_id).where(
                CartItem.cart_id == cart.id))))  # fmt: skip
            if count >= MAX_LINES:
                raise BadUserInput(f"a cart holds at most {MAX_LINES} different products")
            session.add(CartItem(cart_id=cart.id, product_id=product_id, quantity=quantity))
        else:
            item.quantity = check_quantity(item.quantity + quantity, what="the cart's quantity")
        cart.updated_at = utcnow()
        await _check_subtotal(session, user_id)
    return await read_cart(session, user_id)


async def update_cart_item(
    session: AsyncSession, actor: Actor, product_id: str, quantity: int
) -> CartView:
    """Set a line's quantity; zero removes the line."""
    user_id = require_user(actor)
    if quantity != 0:
        check_quantity(quantity)
    async with UnitOfWork(session, actor):
        cart = await lock_cart(session, user_id, create=False)
        item = None if cart is None else await session.get(CartItem, (cart.id, product_id))
        if cart is None or item is None:
            raise NotFound(f"the cart has no product {product_id!r}")
        if quantity == 0:
            await session.delete(item)
        else:
            item.quantity = quantity
        cart.updated_at = utcnow()
        await _check_subtotal(session, user_id)
    return await read_cart(session, user_id)


async def remove_from_cart(session: AsyncSession, actor: Actor, product_id: str) -> CartView:
    return await update_cart_item(session, actor, product_id, 0)


async def clear_cart(session: AsyncSession, actor: Actor) -> CartView:
    user_id = require_user(actor)
    async with UnitOfWork(session, actor):
        cart = await lock_cart(session, user_id, create=False)
        if cart is not None:
            await session.execute(delete(CartItem).where(CartItem.cart_id == cart.id))
            cart.updated_at = utcnow()
    return await read_cart(session, user_id)
