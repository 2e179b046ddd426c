"""GraphQL input types of the catalog and their conversion to the service's dataclasses.

An optional field left out is UNSET (unchanged); an explicit null clears it where that means
something (a category's parent, a product's category).
"""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types.unset import UNSET, UnsetType

from subgraphs.catalog import domain
from subgraphs.catalog.types import ProductSortField, SortDirection
from subgraphs.common.money import MoneyInput

T = TypeVar("T")


def _given(value: T | UnsetType | None) -> T | None:
    """None for both 'left out' and null; the callers check `is None` for explicit nulls."""
    return None if value is UNSET or isinstance(value, UnsetType) else value


def _money(value: MoneyInput) -> domain.Money:
    return domain.Money(value.amount, value.currency)


@strawberry.input
class CreateCategoryInput:
    name: str
    slug: str
    parent_id: strawberry.ID | None = None

    def to_domain(self) -> domain.CategoryInput:
        parent = None if self.parent_id is None else str(self.parent_id)
        return domain.CategoryInput(name=self.name, slug=self.slug, parent_id=parent)


@strawberry.input
class UpdateCategoryInput:
    name: str | None = strawberry.UNSET
    slug: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null makes the category a root."
    )

    def to_domain(self) -> domain.CategoryPatch:
        return domain.CategoryPatch(
            name=_given(self.name),
            slug=_given(self.slug),
            parent_id=None if (parent := _given(self.parent_id)) is None else str(parent),
            clear_parent=self.parent_id is None,
        )


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    price: MoneyInput
    description: str = ""
    category_id: strawberry.ID | None = None
    stock: int = 0
    active: bool = True
    image_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    low_stock_threshold: int = 5

    def to_domain(self) -> domain.ProductInput:
        return domain.ProductInput(
            sku=self.sku,
            name=self.name,
            price=_money(self.price),
            description=self.description,
            category_id=None if self.category_id is None else str(self.category_id),
            stock=self.stock,
            active=self.active,
            image_ids=tuple(str(i) for i in self.image_ids),
            low_stock_threshold=self.low_stock_threshold,
        )


@strawberry.input
class UpdateProductInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    price: MoneyInput | None = strawberry.UNSET
    category_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null removes the product from its category."
    )
    active: bool | None = strawberry.UNSET
    image_ids: list[strawberry.ID] | None = strawberry.UNSET
    low_stock_threshold: int | None = strawberry.UNSET

    def to_domain(self) -> domain.ProductPatch:
        return domain.ProductPatch(
            name=_given(self.name),
            description=_given(self.description),
            price=None if (price := _given(self.price)) is None else _money(price),
            category_id=None if (category := _given(self.category_id)) is None else str(category),
            clear_category=self.category_id is None,
            active=_given(self.active),
            image_ids=None
            if (images := _given(self.image_ids)) is None
            else tuple(map(str, images)),
            low_stock_threshold=_given(self.low_stock_threshold),
        )


@strawberry.input
class ProductFilter:
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="This category and all its descendants."
    )
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool | None = None
    text: str | None = strawberry.field(
        default=None, description="Case-insensitive match in name, description or SKU."
    )
    include_inactive: bool = strawberry.field(default=False, description="Admins only.")

    def to_domain(self) -> domain.ProductFilter:
        return domain.ProductFilter(
            category_id=None if self.category_id is None else str(self.category_id),
            price_min=self.price_min,
            price_max=self.price_max,
            in_stock=self.in_stock,
            text=self.text,
            include_inactive=self.include_inactive,
        )


@strawberry.input
class ProductOrderBy:
    field: ProductSortField = domain.ProductSortField.NAME  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.ASC

    def to_domain(self) -> domain.ProductOrder:
        return domain.ProductOrder(
            field=domain.ProductSortField(self.field),
            descending=self.direction is SortDirection.DESC,
        )
