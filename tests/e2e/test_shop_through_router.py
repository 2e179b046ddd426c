"""users + catalog composed and served by the router, over real HTTP: the shop's queries."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import subgraphs.catalog
import subgraphs.users
from db import Database, migrations
from router.compose.compose import SubgraphSource, compose
from router.server.app import create_app as create_router
from router.settings import RouterSettings
from subgraphs.catalog.app import build as build_catalog
from subgraphs.catalog.seed import seed as seed_catalog
from subgraphs.common.settings import Settings
from subgraphs.users.app import build as build_users
from subgraphs.users.seed import seed as seed_users
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient

LOGIN = """mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""


@dataclass(frozen=True)
class Shop:
    router: GraphQLClient
    settings: Settings

    async def token(self, email: str) -> str:
        result = await self.router.execute(
            LOGIN, {"email": email, "password": self.settings.seed_password}
        )
        assert result.errors == [], result.errors
        return str(result.data["login"]["accessToken"])


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="dev",
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
    )
    apps = {"users": build_users(settings), "catalog": build_catalog(settings)}
    seeds = {"users": seed_users, "catalog": seed_catalog}
    packages = {"users": subgraphs.users, "catalog": subgraphs.catalog}
    for name in apps:
        url = settings.database_url_for(name)
        await migrations.upgrade(url, Path(packages[name].__file__).parent / "migrations", name)
        database = Database.from_url(url)
        try:
            await seeds[name](database, settings)
        finally:
            await database.dispose()
    async with contextlib.AsyncExitStack() as stack:
        sources = []
        for name, app in apps.items():
            base = await stack.enter_async_context(serve(app))
            sources.append(SubgraphSource(name, f"{base}/graphql", _sdl(name)))
        result = compose(sources)
        assert result.ok, result.errors
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(str(result.supergraph_sdl))
        router = create_router(RouterSettings(_env_file=None, supergraph=str(supergraph),  # type: ignore[call-arg]
                                              hot_reload=False))  # fmt: skip
        client = GraphQLClient(await stack.enter_async_context(serve(router)))
        stack.push_async_callback(client.aclose)
        yield Shop(router=client, settings=settings)


def _sdl(name: str) -> str:
    return str(importlib.import_module(f"subgraphs.{name}.schema").schema.as_str())


async def test_me_with_cart_and_orders_across_subgraphs(shop: Shop) -> None:
    token = await shop.token("alice@mosaic.dev")
    query = """{ me { name
      cart { itemCount subtotal { amount currency } items { quantity product { sku name } } }
      orders(first: 5) { edges { node { number status total { amount }
        buyer { name } items { sku unitPrice { amount } } } } } } }"""
    result = await shop.router.execute(query, token=token)
    assert result.errors == [], result.errors
    me = result.data["me"]
    assert me["name"] == "Alice Doe"
    assert me["cart"]["subtotal"] == {"amount": 2 * 3900 + 29900, "currency": "USD"}
    assert sorted(i["product"]["sku"] for i in me["cart"]["items"]) == ["AUD-001", "KIT-003"]
    (edge,) = me["orders"]["edges"]
    order = edge["node"]
    assert order["status"] == "PENDING" and order["total"] == {"amount": 4500}
    assert order["buyer"] == {"name": "Alice Doe"}  # catalog -> users for the name
    assert order["items"] == [{"sku": "BOK-001", "unitPrice": {"amount": 4500}}]


async def test_checkout_through_the_router(shop: Shop) -> None:
    token = await shop.token("bob@mosaic.dev")
    found = await shop.router.execute('{ product(sku: "LAP-002") { id stock } }')
    product = found.data["product"]
    add = "mutation ($id: ID!) { addToCart(productId: $id, quantity: 2) { itemCount } }"
    assert (await shop.router.execute(add, {"id": product["id"]}, token=token)).errors == []
    checkout = """mutation { checkout(idempotencyKey: "bob-1") {
      total { amount } buyer { name } items { product { stock } } } }"""
    placed = await shop.router.execute(checkout, token=token)
    assert placed.errors == [], placed.errors
    assert placed.data["checkout"]["buyer"] == {"name": "Bob Stone"}
    assert placed.data["checkout"]["items"] == [{"product": {"stock": product["stock"] - 2}}]
    again = await shop.router.execute(add, {"id": product["id"]}, token=token)
    assert again.errors == []
    short = await shop.router.execute(checkout.replace("bob-1", "bob-2"), token=token)
    assert short.errors and short.errors[0]["extensions"]["code"] == "CONFLICT"
    anonymous = await shop.router.execute("{ cart { itemCount } }")
    assert anonymous.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
