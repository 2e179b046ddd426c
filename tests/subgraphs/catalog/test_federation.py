"""The federation contract: SDL, `_entities` for every entity, one SQL statement per batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphql import parse
from sqlalchemy import event

from tests.subgraphs.catalog.conftest import CatalogApi
from tests.subgraphs.catalog.test_api_orders import ADD, CHECKOUT
from tests.subgraphs.catalog.test_api_products import ADMIN, category, product

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id sku name }
    ... on Category { id slug }
    ... on Order { id number buyer { id } }
    ... on User { id cart { itemCount } }
  }
}
"""


@contextmanager
def sql_statements(api: CatalogApi) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = api.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def entities(api: CatalogApi, reps: list[dict[str, Any]], **who: Any) -> list[Any]:
    data = await api.ok(ENTITIES, {"representations": reps}, **who)
    return list(data["_entities"])


async def test_sdl_declares_keys_and_the_media_reference(catalog: CatalogApi) -> None:
    sdl = (await catalog.ok("{ _service { sdl } }"))["_service"]["sdl"]
    parse(sdl)
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl
    assert 'type Product @key(fields: "id") @key(fields: "sku")' in sdl
    assert 'type Category @key(fields: "id")' in sdl
    assert 'type Order @key(fields: "id")' in sdl
    assert 'type User @key(fields: "id")' in sdl
    assert 'type Media @key(fields: "id", resolvable: false)' in sdl


async def test_100_products_by_id_cost_one_statement(catalog: CatalogApi) -> None:
    made = [await product(catalog, f"P-{n}") for n in range(3)]
    reps = [{"__typename": "Product", "id": made[n % 3]["id"]} for n in range(98)]
    reps += [{"__typename": "Product", "id": "missing"}, {"__typename": "Product", "id": "gone"}]
    with sql_statements(catalog) as statements:
        found = await entities(catalog, reps)
    assert [e["sku"] for e in found[:98]] == [f"P-{n % 3}" for n in range(98)]
    assert found[98:] == [None, None]
    assert len(statements) == 1, statements


async def test_products_by_sku_and_mixed_keys_batch_per_key(catalog: CatalogApi) -> None:
    made = [await product(catalog, f"S-{n}") for n in range(4)]
    reps = [{"__typename": "Product", "sku": f"S-{n % 4}"} for n in range(40)]
    with sql_statements(catalog) as statements:
        found = await entities(catalog, reps)
    assert [e["id"] for e in found] == [made[n % 4]["id"] for n in range(40)]
    assert len(statements) == 1, statements
    mixed = [
        {"__typename": "Product", "id": made[0]["id"]},
        {"__typename": "Product", "sku": "S-1"},
    ]
    with sql_statements(catalog) as statements:
        found = await entities(catalog, mixed * 10)
    assert [e["sku"] for e in found[:2]] == ["S-0", "S-1"]
    assert len(statements) == 2, statements  # one batch per key


async def test_categories_and_their_nested_fields_batch(catalog: CatalogApi) -> None:
    root = await category(catalog, "root")
    kids = [await category(catalog, f"kid-{n}", root) for n in range(5)]
    reps = [{"__typename": "Category", "id": kid} for kid in kids] * 10
    query = """query ($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Category { slug parent { slug } children { slug } } } }"""
    with sql_statements(catalog) as statements:
        data = await catalog.ok(query, {"representations": reps})
    assert data["_entities"][0] == {"slug": "kid-0", "parent": {"slug": "root"}, "children": []}
    # one batch of categories, then parents and children in one statement each
    assert len(statements) == 3, statements


async def test_orders_resolve_only_for_their_buyer_in_one_statement(catalog: CatalogApi) -> None:
    pen = await product(catalog, "PEN", stock=100)
    orders = []
    for buyer in ("alice", "alice", "bob"):
        await catalog.ok(ADD, {"id": pen["id"], "q": 1}, as_user=buyer)
        orders.append((await catalog.ok(CHECKOUT, {"key": None}, as_user=buyer))["checkout"])
    reps = [{"__typename": "Order", "id": o["id"]} for o in orders] * 20
    with sql_statements(catalog) as statements:
        seen = await entities(catalog, reps, as_user="alice")
    assert [e and e["buyer"]["id"] for e in seen[:3]] == ["alice", "alice", None]
    assert len(statements) == 1, statements
    assert None not in await entities(catalog, reps, as_user=ADMIN, admin=True)
    assert await entities(catalog, reps[:3]) == [None, None, None]  # anonymous: nothing leaks


async def test_user_gains_cart_and_orders(catalog: CatalogApi) -> None:
    pen = await product(catalog, "PEN", price=300, stock=100)
    await catalog.ok(ADD, {"id": pen["id"], "q": 2}, as_user="alice")
    await catalog.ok(CHECKOUT, {"key": "a"}, as_user="alice")
    await catalog.ok(ADD, {"id": pen["id"], "q": 4}, as_user="alice")
    await catalog.ok(ADD, {"id": pen["id"], "q": 1}, as_user="bob")
    query = """query ($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on User { id cart { itemCount subtotal { amount currency } }
                    orders(first: 5) { edges { node { total { amount } } } } } } }"""
    reps = [{"__typename": "User", "id": "alice"}, {"__typename": "User", "id": "bob"}]
    with sql_statements(catalog) as statements:
        data = await catalog.ok(query, {"representations": reps}, as_user=ADMIN, admin=True)
    alice, bob = data["_entities"]
    assert alice["cart"] == {"itemCount": 4, "subtotal": {"amount": 1200, "currency": "USD"}}
    assert alice["orders"]["edges"] == [{"node": {"total": {"amount": 600}}}]
    assert bob["cart"]["itemCount"] == 1
    carts = [s for s in statements if "cart_items" in s]
    assert len(carts) == 1, statements  # both carts in one statement
    own = await catalog.ok(query, {"representations": reps}, as_user="alice")
    assert own["_entities"][0]["cart"]["itemCount"] == 4
    assert own["_entities"][1] == {"id": "bob", "cart": None, "orders": None}  # not alice's
