"""GraphQL types of the catalog subgraph. `resolve_reference` only calls a DataLoader."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from subgraphs.catalog import domain, models
from subgraphs.catalog.loaders import Loaders
from subgraphs.catalog.service.carts import CartLine, CartView
from subgraphs.catalog.service.orders import order_listing
from subgraphs.catalog.service.products import product_listing
from subgraphs.catalog.service.stats import SalesStats as SalesStatsData
from subgraphs.catalog.service.stats import TopProduct as TopProductData
from subgraphs.common.context import Context
from subgraphs.common.keyset import column_ordering, paginate_ordered
from subgraphs.common.money import Money
from subgraphs.common.pagination import Connection, to_connection

CatalogInfo = Info[Context[Loaders], None]


async def actor_of(info: CatalogInfo) -> domain.Actor:
    caller = await info.context.caller()
    if caller is None:
        return domain.Actor(None)
    return domain.Actor(caller.user_id, is_admin=caller.is_admin)


OrderStatus = strawberry.enum(domain.OrderStatus, name="OrderStatus")
ProductSortField = strawberry.enum(domain.ProductSortField, name="ProductSortField")


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.federation.type(
    keys=[Key(fields="id", resolvable=False)],  # type: ignore[arg-type]
    description="An image owned by the media subgraph; the catalog knows only its id.",
)
class Media:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], description="A node of the category tree.")
class Category:
    id: strawberry.ID
    name: str
    slug: str
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Category]

    @classmethod
    def from_row(cls, row: models.Category) -> Category:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            slug=row.slug,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: CatalogInfo, id: strawberry.ID, **_: Any
    ) -> Category | None:
        row = await info.context.loaders.category_by_id.load(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The parent category; null for a root.")
    async def parent(self, info: CatalogInfo) -> Category | None:
        if self.row.parent_id is None:
            return None
        row = await info.context.loaders.category_by_id.load(self.row.parent_id)
        return None if row is None else Category.from_row(row)

    @strawberry.field(description="Direct subcategories, by name.")
    async def children(self, info: CatalogInfo) -> list[Category]:
        rows = await info.context.loaders.children_by_parent.load(self.row.id)
        return [Category.from_row(row) for row in rows]

    @strawberry.field(
        description="Products on sale in this category and its descendants, by name "
        "(`products(filter: {categoryId})` filters and orders more)."
    )
    async def products(
        self, info: CatalogInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[Product]:
        where = domain.ProductFilter(category_id=self.row.id)
        return await product_connection(info, where, domain.ProductOrder(), first, after)


@strawberry.federation.type(keys=["id", "sku"], description="Something for sale.")
class Product:
    id: strawberry.ID
    sku: str
    name: str
    description: str
    price: Money
    stock: int = strawberry.field(description="Units on hand; never negative.")
    active: bool = strawberry.field(description="Inactive products are hidden from listings.")
    low_stock_threshold: int = strawberry.field(
        description="`inventory.low` is published when stock falls to this level."
    )
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Product]

    @classmethod
    def from_row(cls, row: models.Product) -> Product:
        return cls(
            id=strawberry.ID(row.id),
            sku=row.sku,
            name=row.name,
            description=row.description,
            price=Money(amount=row.price_amount, currency=row.price_currency),
            stock=row.stock,
            active=row.active,
            low_stock_threshold=row.low_stock_threshold,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls,
        info: CatalogInfo,
        id: strawberry.ID | None = None,
        sku: str | None = None,
        **_: Any,
    ) -> Product | None:
        loaders = info.context.loaders
        if id is not None:
            row = await loaders.product_by_id.load(str(id))
        elif sku is not None:
            row = await loaders.product_by_sku.load(str(sku))
        else:
            return None
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def in_stock(self) -> bool:
        return self.row.stock > 0

    @strawberry.field
    async def category(self, info: CatalogInfo) -> Category | None:
        if self.row.category_id is None:
            return None
        row = await info.context.loaders.category_by_id.load(self.row.category_id)
        return None if row is None else Category.from_row(row)

    @strawberry.field(description="Images, in display order (references to the media subgraph).")
    async def images(self, info: CatalogInfo) -> list[Media]:
        rows = await info.context.loaders.images_by_product.load(self.row.id)
        return [Media(id=strawberry.ID(row.media_id)) for row in rows]


async def product_connection(
    info: CatalogInfo,
    where: domain.ProductFilter,
    order: domain.ProductOrder,
    first: int | None,
    after: str | None,
) -> Connection[Product]:
    actor = await actor_of(info)
    async with info.context.db.sessions() as session:
        statement, column = await product_listing(session, actor, where, order)
        ordering = column_ordering(
            f"{order.field.value}:{'DESC' if order.descending else 'ASC'}",
            column,
            models.Product.id,
            descending=order.descending,
        )
        page = await paginate_ordered(session, statement, ordering, first=first, after=after)
    return to_connection(page, Product.from_row)


async def _product(info: CatalogInfo, product_id: str) -> Product | None:
    row = await info.context.loaders.product_by_id.load(product_id)
    return None if row is None else Product.from_row(row)


@strawberry.type(description="A product in a cart at its current price.")
class CartItem:
    line: strawberry.Private[CartLine]

    @strawberry.field
    def product(self) -> Product:
        return Product.from_row(self.line.product)

    @strawberry.field
    def quantity(self) -> int:
        return self.line.quantity

    @strawberry.field
    def unit_price(self) -> Money:
        return Money.of(self.line.unit_price)

    @strawberry.field
    def line_total(self) -> Money:
        return Money.of(self.line.line_total)


@strawberry.type(description="The signed-in user's cart (one per user).")
class Cart:
    view: strawberry.Private[CartView]

    @strawberry.field
    def items(self) -> list[CartItem]:
        return [CartItem(line=line) for line in self.view.lines]

    @strawberry.field
    def subtotal(self) -> Money:
        return Money.of(self.view.subtotal)

    @strawberry.field(description="Units in the cart (sum of quantities).")
    def item_count(self) -> int:
        return self.view.item_count


@strawberry.type(description="One line of an order: the product as it was sold.")
class OrderItem:
    row: strawberry.Private[models.OrderItem]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.product_id)

    @strawberry.field(description="The product today; null once it has been deleted.")
    async def product(self, info: CatalogInfo) -> Product | None:
        return await _product(info, self.row.product_id)

    @strawberry.field(description="SKU at checkout.")
    def sku(self) -> str:
        return self.row.sku

    @strawberry.field(description="Name at checkout.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def quantity(self) -> int:
        return self.row.quantity

    @strawberry.field(description="Price per unit at checkout.")
    def unit_price(self) -> Money:
        return Money(amount=self.row.unit_price_amount, currency=self.row.currency)

    @strawberry.field
    def line_total(self) -> Money:
        return Money(
            amount=self.row.unit_price_amount * self.row.quantity, currency=self.row.currency
        )


@strawberry.type(description="One step of an order's life.")
class OrderStatusChange:
    row: strawberry.Private[models.OrderStatusChange]

    @strawberry.field(name="from", description="Null for the order's creation.")
    def from_(self) -> OrderStatus | None:  # type: ignore[valid-type]
        return None if self.row.from_status is None else domain.OrderStatus(self.row.from_status)

    @strawberry.field
    def to(self) -> OrderStatus:  # type: ignore[valid-type]
        return domain.OrderStatus(self.row.to_status)

    @strawberry.field
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="Who made the change.")
    def by(self) -> User | None:
        return None if self.row.by_id is None else User(id=strawberry.ID(self.row.by_id))


@strawberry.federation.type(keys=["id"], description="A placed order; visible to its buyer.")
class Order:
    id: strawberry.ID
    number: str = strawberry.field(description="Human-friendly order number.")
    status: OrderStatus  # type: ignore[valid-type]
    total: Money
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Order]

    @classmethod
    def from_row(cls, row: models.Order) -> Order:
        return cls(
            id=strawberry.ID(row.id),
            number=row.number,
            status=domain.OrderStatus(row.status),
            total=Money(amount=row.total_amount, currency=row.currency),
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: CatalogInfo, id: strawberry.ID, **_: Any
    ) -> Order | None:
        row = await info.context.loaders.order_by_id.load(str(id))
        if row is None:
            return None
        actor = await actor_of(info)  # only the buyer and admins, here as in `order(id)`
        if not actor.is_admin and actor.user_id != row.buyer_id:
            return None
        return cls.from_row(row)

    @strawberry.field
    def buyer(self) -> User:
        return User(id=strawberry.ID(self.row.buyer_id))

    @strawberry.field
    async def items(self, info: CatalogInfo) -> list[OrderItem]:
        rows = await info.context.loaders.items_by_order.load(self.row.id)
        return [OrderItem(row=row) for row in rows]

    @strawberry.field(description="Every status change, oldest first.")
    async def status_history(self, info: CatalogInfo) -> list[OrderStatusChange]:
        rows = await info.context.loaders.history_by_order.load(self.row.id)
        return [OrderStatusChange(row=row) for row in rows]


@strawberry.federation.type(keys=["id"])  # owned by users; no description to clash
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **_: Any) -> User:
        return cls(id=id)

    async def _visible(self, info: CatalogInfo) -> bool:
        actor = await actor_of(info)
        return actor.is_admin or actor.user_id == str(self.id)

    @strawberry.field(description="The user's cart; null for anyone but the user and admins.")
    async def cart(self, info: CatalogInfo) -> Cart | None:
        if not await self._visible(info):
            return None
        return Cart(view=await info.context.loaders.cart_by_user.load(str(self.id)))

    @strawberry.field(description="The user's orders, newest first; null for other callers.")
    async def orders(
        self, info: CatalogInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[Order] | None:
        if not await self._visible(info):
            return None
        return await order_connection(info, first, after, buyer_id=str(self.id))


_NEWEST_ORDERS = column_ordering(
    "ORDERS", models.Order.created_at, models.Order.id, descending=True
)


async def order_connection(
    info: CatalogInfo,
    first: int | None,
    after: str | None,
    *,
    buyer_id: str | None = None,
    status: domain.OrderStatus | None = None,
) -> Connection[Order]:
    """Orders the caller may see, newest first (own; admins: all, or one buyer's)."""
    statement = order_listing(await actor_of(info), buyer_id, status)
    async with info.context.db.sessions() as session:
        page = await paginate_ordered(session, statement, _NEWEST_ORDERS, first=first, after=after)
    return to_connection(page, Order.from_row)


@strawberry.type
class OrderStatusCount:
    status: OrderStatus  # type: ignore[valid-type]
    count: int


@strawberry.type
class TopProduct:
    data: strawberry.Private[TopProductData]

    @strawberry.field(description="The product today; null once it has been deleted.")
    async def product(self, info: CatalogInfo) -> Product | None:
        return await _product(info, self.data.product_id)

    @strawberry.field
    def sku(self) -> str:
        return self.data.sku

    @strawberry.field
    def name(self) -> str:
        return self.data.name

    @strawberry.field(description="Units sold in orders that were not cancelled.")
    def quantity(self) -> int:
        return self.data.quantity

    @strawberry.field
    def revenue(self) -> Money:
        return Money.of(self.data.revenue)


@strawberry.type(description="Sales figures (admins only); cancelled orders bring no revenue.")
class SalesStats:
    data: strawberry.Private[SalesStatsData]

    @strawberry.field(description="Revenue per currency.")
    def revenue(self) -> list[Money]:
        return [Money.of(m) for m in self.data.revenue]

    @strawberry.field
    def order_count(self) -> int:
        return self.data.order_count

    @strawberry.field
    def orders_by_status(self) -> list[OrderStatusCount]:
        return [OrderStatusCount(status=s, count=n) for s, n in self.data.orders_by_status]

    @strawberry.field
    def top_products(self) -> list[TopProduct]:
        return [TopProduct(data=t) for t in self.data.top_products]
