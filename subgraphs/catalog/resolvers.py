"""Thin Query and Mutation fields: read arguments, call the service, shape the result."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import RequiresScopes

from subgraphs.catalog import domain
from subgraphs.catalog.inputs import (
    CreateCategoryInput,
    CreateProductInput,
    ProductFilter,
    ProductOrderBy,
    UpdateCategoryInput,
    UpdateProductInput,
)
from subgraphs.catalog.service import carts, categories, orders, products, stats
from subgraphs.catalog.types import (
    Cart,
    CatalogInfo,
    Category,
    Order,
    OrderStatus,
    Product,
    SalesStats,
    actor_of,
    order_connection,
    product_connection,
)
from subgraphs.common.errors import BadUserInput
from subgraphs.common.pagination import Connection


def _one_of(**given: object) -> None:
    if sum(value is not None for value in given.values()) != 1:
        raise BadUserInput(f"give exactly one of: {', '.join(given)}")


@strawberry.type
class Query:
    @strawberry.field(description="A product by id or by SKU (exactly one).")
    async def product(
        self, info: CatalogInfo, id: strawberry.ID | None = None, sku: str | None = None
    ) -> Product | None:
        _one_of(id=id, sku=sku)
        loaders = info.context.loaders
        row = await (
            loaders.product_by_id.load(str(id))
            if id is not None
            else loaders.product_by_sku.load(str(sku))
        )
        if row is None or (not row.active and not (await actor_of(info)).is_admin):
            return None
        return Product.from_row(row)

    @strawberry.field(description="Products on sale, filtered and ordered; a Relay connection.")
    async def products(
        self,
        info: CatalogInfo,
        filter: ProductFilter | None = None,
        order_by: ProductOrderBy | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Product]:
        where = filter.to_domain() if filter else domain.ProductFilter()
        order = order_by.to_domain() if order_by else domain.ProductOrder()
        return await product_connection(info, where, order, first, after)

    @strawberry.field(description="A category by id or by slug (exactly one).")
    async def category(
        self, info: CatalogInfo, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Category | None:
        _one_of(id=id, slug=slug)
        if id is not None:
            row = await info.context.loaders.category_by_id.load(str(id))
        else:
            async with info.context.db.sessions() as session:
                row = await categories.category_by_slug(session, str(slug))
        return None if row is None else Category.from_row(row)

    @strawberry.field(description="Subcategories of `parentId`, or the roots of the tree.")
    async def categories(
        self, info: CatalogInfo, parent_id: strawberry.ID | None = None
    ) -> list[Category]:
        async with info.context.db.sessions() as session:
            rows = await categories.list_categories(
                session, None if parent_id is None else str(parent_id)
            )
        return [Category.from_row(row) for row in rows]

    @strawberry.field(description="The signed-in user's cart.")
    async def cart(self, info: CatalogInfo) -> Cart:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            return Cart(view=await carts.cart_for(session, actor))

    @strawberry.field(description="Your orders, newest first; admins see everyone's.")
    async def orders(
        self,
        info: CatalogInfo,
        first: int | None = 20,
        after: str | None = None,
        status: OrderStatus | None = None,  # type: ignore[valid-type]
        buyer_id: strawberry.ID | None = None,
    ) -> Connection[Order]:
        return await order_connection(
            info,
            first,
            after,
            buyer_id=None if buyer_id is None else str(buyer_id),
            status=None if status is None else domain.OrderStatus(status),
        )

    @strawberry.field(description="An order of yours (admins: any order).")
    async def order(self, info: CatalogInfo, id: strawberry.ID) -> Order:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            return Order.from_row(await orders.get_order(session, actor, str(id)))

    @strawberry.field(
        description="Revenue, orders by status and best sellers (admins only).",
        directives=[RequiresScopes(scopes=[["admin"]])],  # the router refuses everyone else
    )
    async def sales_stats(self, info: CatalogInfo, top: int = 5) -> SalesStats:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            return SalesStats(data=await stats.sales_stats(session, actor, top))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admins only.")
    async def create_category(self, info: CatalogInfo, input: CreateCategoryInput) -> Category:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await categories.create_category(session, actor, input.to_domain())
        return Category.from_row(row)

    @strawberry.mutation(description="Admins only.")
    async def update_category(
        self, info: CatalogInfo, id: strawberry.ID, input: UpdateCategoryInput
    ) -> Category:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await categories.update_category(session, actor, str(id), input.to_domain())
        return Category.from_row(row)

    @strawberry.mutation(description="Admins only; the category must be empty. Returns its id.")
    async def delete_category(self, info: CatalogInfo, id: strawberry.ID) -> strawberry.ID:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            return strawberry.ID(await categories.delete_category(session, actor, str(id)))

    @strawberry.mutation(description="Admins only.")
    async def create_product(self, info: CatalogInfo, input: CreateProductInput) -> Product:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await products.create_product(
                session, actor, input.to_domain(), info.context.events
            )
        return Product.from_row(row)

    @strawberry.mutation(description="Admins only.")
    async def update_product(
        self, info: CatalogInfo, id: strawberry.ID, input: UpdateProductInput
    ) -> Product:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await products.update_product(
                session, actor, str(id), input.to_domain(), info.context.events
            )
        return Product.from_row(row)

    @strawberry.mutation(description="Admins only. Orders keep their snapshot. Returns its id.")
    async def delete_product(self, info: CatalogInfo, id: strawberry.ID) -> strawberry.ID:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            deleted = await products.delete_product(session, actor, str(id), info.context.events)
        return strawberry.ID(deleted)

    @strawberry.mutation(description="Admins only: add (or remove, negative) units of stock.")
    async def adjust_inventory(
        self, info: CatalogInfo, product_id: strawberry.ID, delta: int
    ) -> Product:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await products.adjust_inventory(
                session, actor, str(product_id), delta, info.context.events
            )
        return Product.from_row(row)

    @strawberry.mutation(description="Add units of a product to your cart.")
    async def add_to_cart(
        self, info: CatalogInfo, product_id: strawberry.ID, quantity: int = 1
    ) -> Cart:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            return Cart(view=await carts.add_to_cart(session, actor, str(product_id), quantity))

    @strawberry.mutation(description="Set a cart line's quantity (0 removes it).")
    async def update_cart_item(
        self, info: CatalogInfo, product_id: strawberry.ID, quantity: int
    ) -> Cart:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            view = await carts.update_cart_item(session, actor, str(product_id), quantity)
        return Cart(view=view)

    @strawberry.mutation
    async def remove_from_cart(self, info: CatalogInfo, product_id: strawberry.ID) -> Cart:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            return Cart(view=await carts.remove_from_cart(session, actor, str(product_id)))

    @strawberry.mutation
    async def clear_cart(self, info: CatalogInfo) -> Cart:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            return Cart(view=await carts.clear_cart(session, actor))

    @strawberry.mutation(
        description="Turn your cart into an order in one transaction. Repeating a call with the "
        "same idempotency key returns the first order and charges nothing twice."
    )
    async def checkout(self, info: CatalogInfo, idempotency_key: str | None = None) -> Order:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await orders.checkout(session, actor, idempotency_key, info.context.events)
        return Order.from_row(row)

    @strawberry.mutation(description="Cancel your order before it ships; its stock returns.")
    async def cancel_order(self, info: CatalogInfo, id: strawberry.ID) -> Order:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await orders.cancel_order(session, actor, str(id), info.context.events)
        return Order.from_row(row)

    @strawberry.mutation(
        description="Admins only: PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or CANCELLED "
        "before SHIPPED (restocks). Any other transition is BAD_USER_INPUT."
    )
    async def update_order_status(
        self,
        info: CatalogInfo,
        id: strawberry.ID,
        status: OrderStatus,  # type: ignore[valid-type]
    ) -> Order:
        actor = await actor_of(info)
        async with info.context.db.sessions() as session:
            row = await orders.update_order_status(
                session, actor, str(id), domain.OrderStatus(status), info.context.events
            )
        return Order.from_row(row)
