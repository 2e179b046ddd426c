"""Plain domain data of the catalog: statuses, transitions and the inputs the service takes."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class OrderStatus(enum.StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


# PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or CANCELLED before SHIPPED.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


class ProductSortField(enum.StrEnum):
    NAME = "NAME"
    PRICE = "PRICE"
    CREATED_AT = "CREATED_AT"
    STOCK = "STOCK"


@dataclass(frozen=True)
class Actor:
    """Who calls the service: a user id (None when anonymous) and whether they are an admin."""

    user_id: str | None
    is_admin: bool = False


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str


@dataclass(frozen=True)
class CategoryInput:
    name: str
    slug: str
    parent_id: str | None = None


@dataclass(frozen=True)
class CategoryPatch:
    name: str | None = None
    slug: str | None = None
    parent_id: str | None = None
    clear_parent: bool = False  # parent_id=None cannot say "make it a root"


@dataclass(frozen=True)
class ProductInput:
    sku: str
    name: str
    price: Money
    description: str = ""
    category_id: str | None = None
    stock: int = 0
    active: bool = True
    image_ids: tuple[str, ...] = ()
    low_stock_threshold: int = 5


@dataclass(frozen=True)
class ProductPatch:
    name: str | None = None
    description: str | None = None
    price: Money | None = None
    category_id: str | None = None
    clear_category: bool = False
    active: bool | None = None
    image_ids: tuple[str, ...] | None = None
    low_stock_threshold: int | None = None


@dataclass(frozen=True)
class ProductFilter:
    category_id: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool | None = None
    text: str | None = None
    include_inactive: bool = False


@dataclass(frozen=True)
class ProductOrder:
    field: ProductSortField = ProductSortField.NAME
    descending: bool = False
