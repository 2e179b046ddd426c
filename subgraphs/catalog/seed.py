"""Demo data for `mosaic seed`: a category tree with products, a cart and an order for Alice.

Idempotent: categories and products are matched by slug and SKU; Alice's cart and order are
only made when she has neither.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db import Database
from subgraphs.catalog.domain import Actor, CategoryInput, Money, ProductInput
from subgraphs.catalog.models import Cart, Category, Order, Product
from subgraphs.catalog.service import carts, categories, orders, products
from subgraphs.common.demo import DEMO_USER_IDS
from subgraphs.common.settings import Settings

# slug -> (name, parent slug)
CATEGORIES = {
    "electronics": ("Electronics", None),
    "phones": ("Phones", "electronics"),
    "laptops": ("Laptops", "electronics"),
    "audio": ("Audio", "electronics"),
    "home": ("Home", None),
    "kitchen": ("Kitchen", "home"),
    "books": ("Books", None),
}
# sku -> (name, category slug, price in cents, stock)
PRODUCTS = {
    "PHN-001": ("Pixel-ish 9 phone", "phones", 69900, 25),
    "PHN-002": ("Budget phone A15", "phones", 17900, 60),
    "LAP-001": ("Ultrabook 14", "laptops", 129900, 8),
    "LAP-002": ("Workstation 16", "laptops", 249900, 3),
    "AUD-001": ("Noise-cancelling headphones", "audio", 29900, 40),
    "AUD-002": ("Bluetooth speaker", "audio", 7900, 0),
    "KIT-001": ("Chef's knife", "kitchen", 8900, 30),
    "KIT-002": ("Espresso machine", "kitchen", 45900, 5),
    "KIT-003": ("Cast-iron skillet", "kitchen", 3900, 50),
    "BOK-001": ("Designing Data-Intensive Applications", "books", 4500, 100),
    "BOK-002": ("The Pragmatic Programmer", "books", 3900, 100),
}

# What search finds besides the names (the others get "<name>: demo product.").
DESCRIPTIONS = {
    "LAP-001": "A light 14-inch laptop with an all-day battery.",
    "LAP-002": "A 16-inch laptop for heavy work: 64 GB of memory.",
    "AUD-001": "Over-ear wireless headphones that cancel noise.",
    "KIT-002": "Espresso and cappuccino at home; a steam wand for milk.",
}


async def seed(db: Database, settings: Settings) -> int:
    """Create what is missing; returns how many rows of demo data were created. Its events
    wait in the outbox until the subgraph's relay publishes them (search indexes them)."""
    admin = Actor(DEMO_USER_IDS["admin"], is_admin=True)
    created = 0
    async with db.sessions() as session:
        ids = dict((await session.execute(select(Category.slug, Category.id))).all())
        for slug, (name, parent) in CATEGORIES.items():
            if slug not in ids:
                node = CategoryInput(
                    name=name, slug=slug, parent_id=ids[parent] if parent else None
                )
                ids[slug] = (await categories.create_category(session, admin, node)).id
                created += 1
        skus = dict((await session.execute(select(Product.sku, Product.id))).all())
        for sku, (name, slug, price, stock) in PRODUCTS.items():
            if sku not in skus:
                data = ProductInput(
                    sku=sku,
                    name=name,
                    price=Money(price, "USD"),
                    description=DESCRIPTIONS.get(sku, f"{name}: demo product."),
                    category_id=ids[slug],
                    stock=stock,
                )
                product = await products.create_product(session, admin, data, None)
                skus[sku] = product.id
                created += 1
        created += await _alice(session, skus)
    return created


async def _alice(session: Any, skus: dict[str, str]) -> int:
    alice = Actor(DEMO_USER_IDS["alice"])
    has_cart = await session.scalar(select(func.count()).select_from(Cart).where(
        Cart.user_id == alice.user_id))  # fmt: skip
    has_orders = await session.scalar(select(func.count()).select_from(Order).where(
        Order.buyer_id == alice.user_id))  # fmt: skip
    if has_cart or has_orders:
        return 0
    await carts.add_to_cart(session, alice, skus["BOK-001"], 1)
    await orders.checkout(session, alice, "seed-first-order", None)
    await carts.add_to_cart(session, alice, skus["KIT-003"], 2)
    await carts.add_to_cart(session, alice, skus["AUD-001"], 1)
    return 3
