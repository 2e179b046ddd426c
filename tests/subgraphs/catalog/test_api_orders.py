"""Carts, checkout and orders over GraphQL, as buyers and admins."""

from __future__ import annotations

from tests.subgraphs.catalog.conftest import CatalogApi
from tests.subgraphs.catalog.test_api_products import ADMIN, product

ADD = """mutation ($id: ID!, $q: Int!) {
  addToCart(productId: $id, quantity: $q) {
    items { product { sku } quantity unitPrice { amount } lineTotal { amount currency } }
    subtotal { amount currency } itemCount
  }
}"""
CHECKOUT = """mutation ($key: String) {
  checkout(idempotencyKey: $key) {
    id number status total { amount currency } buyer { id }
    items { sku name quantity unitPrice { amount } lineTotal { amount } product { stock } }
    statusHistory { from to by { id } }
  }
}"""
SET_STATUS = """mutation ($id: ID!, $s: OrderStatus!) {
  updateOrderStatus(id: $id, status: $s) { status statusHistory { from to by { id } } }
}"""


async def test_cart_checkout_and_order_lifecycle(catalog: CatalogApi) -> None:
    mug = await product(catalog, "MUG", price=1250, stock=10)
    tea = await product(catalog, "TEA", price=499, stock=3)
    cart = (await catalog.ok(ADD, {"id": mug["id"], "q": 2}, as_user="alice"))["addToCart"]
    cart = (await catalog.ok(ADD, {"id": tea["id"], "q": 3}, as_user="alice"))["addToCart"]
    assert cart["items"][0] == {
        "product": {"sku": "MUG"}, "quantity": 2, "unitPrice": {"amount": 1250},
        "lineTotal": {"amount": 2500, "currency": "USD"},
    }  # fmt: skip
    assert cart["subtotal"] == {"amount": 3997, "currency": "USD"} and cart["itemCount"] == 5
    assert (await catalog.run(ADD, {"id": mug["id"], "q": 1})).codes == ["UNAUTHENTICATED"]
    assert (await catalog.run(ADD, {"id": mug["id"], "q": -1}, as_user="alice")).codes == [
        "BAD_USER_INPUT"
    ]
    update = "mutation ($id: ID!) { updateCartItem(productId: $id, quantity: 1) { itemCount } }"
    assert (await catalog.ok(update, {"id": mug["id"]}, as_user="alice"))["updateCartItem"] == {
        "itemCount": 4
    }
    assert (await catalog.ok("{ cart { itemCount } }", as_user="bob"))["cart"]["itemCount"] == 0

    order = (await catalog.ok(CHECKOUT, {"key": "k-1"}, as_user="alice"))["checkout"]
    assert order["status"] == "PENDING" and order["buyer"] == {"id": "alice"}
    assert order["total"] == {"amount": 1250 + 3 * 499, "currency": "USD"}
    assert sorted((i["sku"], i["quantity"], i["product"]["stock"]) for i in order["items"]) == [
        ("MUG", 1, 9), ("TEA", 3, 0)
    ]  # fmt: skip
    assert order["statusHistory"] == [{"from": None, "to": "PENDING", "by": {"id": "alice"}}]
    again = (await catalog.ok(CHECKOUT, {"key": "k-1"}, as_user="alice"))["checkout"]
    assert again["id"] == order["id"]
    assert (await catalog.ok("{ cart { itemCount } }", as_user="alice"))["cart"]["itemCount"] == 0
    empty = await catalog.run(CHECKOUT, {"key": "k-2"}, as_user="alice")
    assert empty.codes == ["BAD_USER_INPUT"] and "empty" in empty.errors[0]["message"]

    # visibility: the buyer and admins only
    one = "query ($id: ID!) { order(id: $id) { number } }"
    assert (await catalog.ok(one, {"id": order["id"]}, as_user="alice"))["order"] == {
        "number": order["number"]
    }
    assert (await catalog.run(one, {"id": order["id"]}, as_user="bob")).codes == ["NOT_FOUND"]
    listing = "{ orders(first: 10) { edges { node { id } } } }"
    assert (await catalog.ok(listing, as_user="bob"))["orders"]["edges"] == []
    assert len((await catalog.ok(listing, as_user=ADMIN, admin=True))["orders"]["edges"]) == 1

    # the status machine
    shipped = await catalog.run(SET_STATUS, {"id": order["id"], "s": "SHIPPED"}, as_user=ADMIN,
                                admin=True)  # fmt: skip
    assert shipped.codes == ["BAD_USER_INPUT"]
    assert (await catalog.run(SET_STATUS, {"id": order["id"], "s": "PROCESSING"},
                              as_user="alice")).codes == ["FORBIDDEN"]  # fmt: skip
    moved = await catalog.ok(SET_STATUS, {"id": order["id"], "s": "PROCESSING"}, as_user=ADMIN,
                             admin=True)  # fmt: skip
    assert moved["updateOrderStatus"]["statusHistory"][-1] == {
        "from": "PENDING", "to": "PROCESSING", "by": {"id": ADMIN}
    }  # fmt: skip
    cancel = "mutation ($id: ID!) { cancelOrder(id: $id) { status items { product { stock } } } }"
    assert (await catalog.run(cancel, {"id": order["id"]}, as_user="bob")).codes == ["NOT_FOUND"]
    cancelled = (await catalog.ok(cancel, {"id": order["id"]}, as_user="alice"))["cancelOrder"]
    assert cancelled["status"] == "CANCELLED"
    assert sorted(i["product"]["stock"] for i in cancelled["items"]) == [3, 10]  # restocked
    twice = await catalog.run(cancel, {"id": order["id"]}, as_user="alice")
    assert twice.codes == ["BAD_USER_INPUT"]


async def test_insufficient_stock_is_a_conflict_and_changes_nothing(catalog: CatalogApi) -> None:
    lamp = await product(catalog, "LAMP", price=3000, stock=1)
    await catalog.ok(ADD, {"id": lamp["id"], "q": 2}, as_user="carol")
    result = await catalog.run(CHECKOUT, {"key": None}, as_user="carol")
    assert result.codes == ["CONFLICT"]
    assert result.errors[0]["message"] == "insufficient stock for LAMP: 1 left, 2 requested"
    data = await catalog.ok('{ cart { itemCount } product(sku: "LAMP") { stock } }',
                            as_user="carol")  # fmt: skip
    assert data == {"cart": {"itemCount": 2}, "product": {"stock": 1}}


async def test_orders_pages_and_sales_stats(catalog: CatalogApi) -> None:
    pen = await product(catalog, "PEN", price=200, stock=100)
    ink = await product(catalog, "INK", price=900, stock=100)
    ids = []
    for n in range(5):
        await catalog.ok(ADD, {"id": pen["id"], "q": n + 1}, as_user="dave")
        ids.append(
            (await catalog.ok(CHECKOUT, {"key": f"d-{n}"}, as_user="dave"))["checkout"]["id"]
        )
    await catalog.ok(ADD, {"id": ink["id"], "q": 2}, as_user="erin")
    erins = (await catalog.ok(CHECKOUT, {"key": None}, as_user="erin"))["checkout"]["id"]
    await catalog.ok(SET_STATUS, {"id": erins, "s": "CANCELLED"}, as_user=ADMIN, admin=True)

    query = """query ($after: String) { orders(first: 2, after: $after) {
      edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = (await catalog.ok(query, {"after": after}, as_user="dave"))["orders"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(ids))  # newest first, each once

    stats = """{ salesStats(top: 2) { revenue { amount currency } orderCount
      ordersByStatus { status count } topProducts { sku quantity revenue { amount }
      product { id } } } }"""
    assert (await catalog.run(stats, as_user="dave")).codes == ["FORBIDDEN"]
    data = (await catalog.ok(stats, as_user=ADMIN, admin=True))["salesStats"]
    assert data["revenue"] == [{"amount": 200 * 15, "currency": "USD"}]
    assert data["orderCount"] == 6
    counts = {row["status"]: row["count"] for row in data["ordersByStatus"]}
    assert counts == {"PENDING": 5, "PROCESSING": 0, "SHIPPED": 0, "DELIVERED": 0, "CANCELLED": 1}
    assert data["topProducts"] == [
        {"sku": "PEN", "quantity": 15, "revenue": {"amount": 3000}, "product": {"id": pen["id"]}}
    ]
