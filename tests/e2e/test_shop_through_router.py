"""The catalog through the router, beside users and tasks (the `federation` fixture serves every
subgraph of supergraph.yaml on its own seeded database): carts, orders, checkout."""

from __future__ import annotations

# The fixture of the users/tasks e2e test: every subgraph of supergraph.yaml, seeded, routed.
from tests.e2e.test_federated_me import Federation, federation  # noqa: F401
from tests.utils.graphql import GraphQLClient


async def sign_in(client: GraphQLClient, email: str) -> str:
    result = await client.execute(
        'mutation ($e: String!) { login(email: $e, password: "mosaic-demo-1") { accessToken } }',
        {"e": email},
    )
    assert result.errors == [], result.errors
    # Login also set the httpOnly auth cookie, which the router (verifying tokens) would take
    # for the caller's: dropped, so a request is signed in only by the token it is given.
    client.http.cookies.clear()
    return str(result.data["login"]["accessToken"])


async def test_the_issue_query_me_projects_tasks_and_cart(federation: Federation) -> None:  # noqa: F811
    client = GraphQLClient(federation.router_url)
    try:
        token = await sign_in(client, "alice@mosaic.dev")
        result = await client.execute(
            "{ me { name projects { name tasks(first: 5) { edges { node { title assignee "
            "{ name } } } } } cart { subtotal { amount currency } } } }",
            token=token,
        )
    finally:
        await client.aclose()
    assert result.errors == [], result.errors
    me = result.data["me"]
    assert me["name"] == "Alice Doe"
    assert [p["name"] for p in me["projects"]] == ["Website relaunch", "Mobile app"]
    assert me["cart"] == {"subtotal": {"amount": 2 * 3900 + 29900, "currency": "USD"}}


async def test_orders_cart_items_and_buyers_across_subgraphs(federation: Federation) -> None:  # noqa: F811
    client = GraphQLClient(federation.router_url)
    try:
        token = await sign_in(client, "alice@mosaic.dev")
        result = await client.execute(
            """{ me { cart { itemCount items { quantity product { sku category { name } } } }
              orders(first: 5) { edges { node { number status total { amount }
                buyer { name } items { sku unitPrice { amount } } } } } } }""",
            token=token,
        )
        others = await client.execute(
            '{ product(sku: "BOK-001") { name } me { name } }',
            token=await sign_in(client, "bob@mosaic.dev"),
        )
    finally:
        await client.aclose()
    assert result.errors == [], result.errors
    me = result.data["me"]
    lines = sorted(
        (i["product"]["sku"], i["product"]["category"]["name"]) for i in me["cart"]["items"]
    )
    assert lines == [("AUD-001", "Audio"), ("KIT-003", "Kitchen")]
    (edge,) = me["orders"]["edges"]
    assert edge["node"]["buyer"] == {"name": "Alice Doe"}  # catalog -> users for the name
    assert edge["node"]["items"] == [{"sku": "BOK-001", "unitPrice": {"amount": 4500}}]
    assert others.errors == [] and others.data["me"] == {"name": "Bob Stone"}


async def test_checkout_through_the_router(federation: Federation) -> None:  # noqa: F811
    client = GraphQLClient(federation.router_url)
    try:
        token = await sign_in(client, "bob@mosaic.dev")
        product = (await client.execute('{ product(sku: "LAP-002") { id stock } }')).data["product"]
        add = "mutation ($id: ID!) { addToCart(productId: $id, quantity: 2) { itemCount } }"
        assert (await client.execute(add, {"id": product["id"]}, token=token)).errors == []
        checkout = """mutation ($key: String) { checkout(idempotencyKey: $key) {
          id total { amount } buyer { name } items { product { stock } } } }"""
        placed = await client.execute(checkout, {"key": "bob-1"}, token=token)
        replay = await client.execute(checkout, {"key": "bob-1"}, token=token)
        assert (await client.execute(add, {"id": product["id"]}, token=token)).errors == []
        short = await client.execute(checkout, {"key": "bob-2"}, token=token)
        anonymous = await client.execute("{ cart { itemCount } }")
    finally:
        await client.aclose()
    assert placed.errors == [], placed.errors
    assert placed.data["checkout"]["buyer"] == {"name": "Bob Stone"}
    assert placed.data["checkout"]["items"] == [{"product": {"stock": product["stock"] - 2}}]
    assert replay.data["checkout"]["id"] == placed.data["checkout"]["id"]
    assert short.codes == ["CONFLICT"]
    assert "insufficient stock for LAP-002" in short.errors[0]["message"]
    assert anonymous.codes == ["UNAUTHENTICATED"]
