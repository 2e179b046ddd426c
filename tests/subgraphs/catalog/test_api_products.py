"""Categories and products over GraphQL: CRUD, errors, filters, ordering and stable cursors."""

from __future__ import annotations

from typing import Any

from tests.subgraphs.catalog.conftest import CatalogApi

ADMIN = "admin-1"
CREATE_CATEGORY = """
mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id slug } }
"""
CREATE_PRODUCT = """
mutation ($input: CreateProductInput!) {
  createProduct(input: $input) {
    id sku name price { amount currency } stock inStock active
    category { slug } images { id }
  }
}
"""
PRODUCTS = """
query ($filter: ProductFilter, $orderBy: ProductOrderBy, $first: Int, $after: String) {
  products(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { sku price { amount } stock } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def category(api: CatalogApi, slug: str, parent: str | None = None) -> str:
    data = await api.ok(
        CREATE_CATEGORY, {"input": {"name": slug.title(), "slug": slug, "parentId": parent}},
        as_user=ADMIN, admin=True,
    )  # fmt: skip
    return str(data["createCategory"]["id"])


async def product(api: CatalogApi, sku: str, **fields: Any) -> dict[str, Any]:
    name = fields.pop("name", f"Item {sku}")
    price = {"amount": fields.pop("price", 1000), "currency": "USD"}
    payload = {"sku": sku, "name": name, "price": price, **fields}
    data = await api.ok(CREATE_PRODUCT, {"input": payload}, as_user=ADMIN, admin=True)
    return dict(data["createProduct"])


async def test_product_crud_with_codes(catalog: CatalogApi) -> None:
    books = await category(catalog, "books")
    created = await product(
        catalog, "BOOK-1", name="Dune", price=1999, stock=4, categoryId=books,
        imageIds=["media-9", "media-3"],
    )  # fmt: skip
    assert created["category"] == {"slug": "books"}
    assert created["images"] == [{"id": "media-9"}, {"id": "media-3"}]
    assert created["inStock"] is True

    by_sku = await catalog.ok('{ product(sku: "BOOK-1") { id name } }')
    assert by_sku["product"] == {"id": created["id"], "name": "Dune"}
    both = await catalog.run('{ product(sku: "BOOK-1", id: "x") { id } }')
    assert both.codes == ["BAD_USER_INPUT"]
    missing = await catalog.ok('{ product(sku: "NOPE") { id } }')
    assert missing == {"product": None}

    payload = {"input": {"sku": "X-1", "name": "x", "price": {"amount": 1, "currency": "USD"}}}
    assert (await catalog.run(CREATE_PRODUCT, payload)).codes == ["UNAUTHENTICATED"]
    assert (await catalog.run(CREATE_PRODUCT, payload, as_user="u1")).codes == ["FORBIDDEN"]
    duplicate = {"input": {**payload["input"], "sku": "BOOK-1"}}
    assert (await catalog.run(CREATE_PRODUCT, duplicate, as_user=ADMIN, admin=True)).codes == [
        "CONFLICT"
    ]
    negative = {"input": {**payload["input"], "price": {"amount": -5, "currency": "USD"}}}
    result = await catalog.run(CREATE_PRODUCT, negative, as_user=ADMIN, admin=True)
    assert result.codes == ["BAD_USER_INPUT"] and "price" in result.errors[0]["message"]
    bad_token = await catalog.client.execute("{ cart { itemCount } }", token="junk")
    assert bad_token.codes == ["UNAUTHENTICATED"]

    update = """mutation ($id: ID!, $input: UpdateProductInput!) {
      updateProduct(id: $id, input: $input) { name price { amount } category { slug } active }
    }"""
    data = await catalog.ok(
        update, {"id": created["id"], "input": {"categoryId": None, "price": {"amount": 2500,
                 "currency": "USD"}, "active": False}}, as_user=ADMIN, admin=True,
    )  # fmt: skip
    assert data["updateProduct"] == {
        "name": "Dune", "price": {"amount": 2500}, "category": None, "active": False,
    }  # fmt: skip
    # inactive: hidden from customers, visible to admins
    assert (await catalog.ok('{ product(sku: "BOOK-1") { id } }')) == {"product": None}
    seen = await catalog.ok('{ product(sku: "BOOK-1") { id } }', as_user=ADMIN, admin=True)
    assert seen["product"] == {"id": created["id"]}

    adjust = (
        "mutation ($id: ID!, $d: Int!) { adjustInventory(productId: $id, delta: $d) { stock } }"
    )
    data = await catalog.ok(adjust, {"id": created["id"], "d": -4}, as_user=ADMIN, admin=True)
    assert data["adjustInventory"] == {"stock": 0}
    too_many = await catalog.run(adjust, {"id": created["id"], "d": -1}, as_user=ADMIN, admin=True)
    assert too_many.codes == ["BAD_USER_INPUT"]

    delete = "mutation ($id: ID!) { deleteProduct(id: $id) }"
    data = await catalog.ok(delete, {"id": created["id"]}, as_user=ADMIN, admin=True)
    assert data == {"deleteProduct": created["id"]}
    gone = await catalog.run(delete, {"id": created["id"]}, as_user=ADMIN, admin=True)
    assert gone.codes == ["NOT_FOUND"]


async def test_category_tree_queries(catalog: CatalogApi) -> None:
    root = await category(catalog, "electronics")
    phones = await category(catalog, "phones", root)
    await category(catalog, "laptops", root)
    await category(catalog, "android", phones)
    data = await catalog.ok(
        "{ categories { slug children { slug parent { slug } children { slug } } } }"
    )
    assert data["categories"] == [
        {"slug": "electronics", "children": [
            {"slug": "laptops", "parent": {"slug": "electronics"}, "children": []},
            {"slug": "phones", "parent": {"slug": "electronics"},
             "children": [{"slug": "android"}]},
        ]},
    ]  # fmt: skip
    by_slug = await catalog.ok('{ category(slug: "phones") { id parent { id } } }')
    assert by_slug["category"] == {"id": phones, "parent": {"id": root}}
    move = """mutation ($id: ID!, $input: UpdateCategoryInput!) {
      updateCategory(id: $id, input: $input) { slug parent { slug } } }"""
    cycle = await catalog.run(
        move, {"id": root, "input": {"parentId": phones}}, as_user=ADMIN, admin=True
    )
    assert cycle.codes == ["BAD_USER_INPUT"]
    rooted = await catalog.ok(
        move, {"id": phones, "input": {"parentId": None}}, as_user=ADMIN, admin=True
    )
    assert rooted["updateCategory"] == {"slug": "phones", "parent": None}
    busy = await catalog.run(
        "mutation ($id: ID!) { deleteCategory(id: $id) }", {"id": phones}, as_user=ADMIN,
        admin=True,
    )  # fmt: skip
    assert busy.codes == ["CONFLICT"]


async def seed_listing(api: CatalogApi) -> dict[str, str]:
    root = await category(api, "tools")
    power = await category(api, "power-tools", root)
    garden = await category(api, "garden")
    specs = [
        ("DRILL", 8900, 3, power, "Cordless drill"),
        ("SAW", 12900, 0, power, "Circular saw"),
        ("HAMMER", 1500, 20, root, "Claw hammer"),
        ("WRENCH", 2200, 7, root, "Adjustable wrench"),
        ("HOSE", 3100, 5, garden, "Garden hose"),
        ("RAKE", 1500, 2, garden, "Leaf rake"),
        ("SHEARS", 2700, 0, garden, "Hedge shears"),
    ]
    for sku, price, stock, category_id, name in specs:
        await product(api, sku, price=price, stock=stock, categoryId=category_id, name=name)
    await product(api, "HIDDEN", price=100, stock=1, active=False)
    return {"tools": root, "power": power, "garden": garden}


async def skus(api: CatalogApi, **variables: Any) -> list[str]:
    data = await api.ok(PRODUCTS, variables)
    return [edge["node"]["sku"] for edge in data["products"]["edges"]]


async def test_filters_on_both_backends(catalog: CatalogApi) -> None:
    ids = await seed_listing(catalog)
    assert await skus(catalog, first=50) == [
        "WRENCH", "SAW", "HAMMER", "DRILL", "HOSE", "SHEARS", "RAKE"
    ]  # by name: Adjustable, Circular, Claw, Cordless, Garden, Hedge, Leaf  # fmt: skip
    assert set(await skus(catalog, filter={"categoryId": ids["tools"]})) == {
        "DRILL", "SAW", "HAMMER", "WRENCH"
    }  # the subtree  # fmt: skip
    assert set(await skus(catalog, filter={"categoryId": ids["power"]})) == {"DRILL", "SAW"}
    assert set(await skus(catalog, filter={"priceMin": 2200, "priceMax": 8900})) == {
        "DRILL", "WRENCH", "HOSE", "SHEARS"
    }  # fmt: skip
    assert set(await skus(catalog, filter={"inStock": False})) == {"SAW", "SHEARS"}
    assert set(await skus(catalog, filter={"inStock": True, "categoryId": ids["garden"]})) == {
        "HOSE", "RAKE"
    }  # fmt: skip
    assert await skus(catalog, filter={"text": "GARDEN"}) == ["HOSE"]
    assert await skus(catalog, filter={"text": "%"}) == []  # LIKE wildcards are literal
    assert await skus(catalog, filter={"text": "saw"}) == ["SAW"]  # name or sku, any case
    hidden = await catalog.ok(PRODUCTS, {"filter": {"includeInactive": True, "text": "HIDDEN"}})
    assert hidden["products"]["edges"] == []  # includeInactive is for admins only
    admin = await catalog.ok(
        PRODUCTS, {"filter": {"includeInactive": True, "text": "HIDDEN"}}, as_user=ADMIN,
        admin=True,
    )  # fmt: skip
    assert [e["node"]["sku"] for e in admin["products"]["edges"]] == ["HIDDEN"]
    nested = await catalog.ok(
        "query ($id: ID!) { category(id: $id) { products(first: 3) { edges { node { sku } } "
        "pageInfo { hasNextPage } } } }",
        {"id": ids["tools"]},
    )
    page = nested["category"]["products"]
    assert [e["node"]["sku"] for e in page["edges"]] == ["WRENCH", "SAW", "HAMMER"]
    assert page["pageInfo"]["hasNextPage"] is True
    bad = await catalog.run(PRODUCTS, {"filter": {"priceMin": 10, "priceMax": 5}})
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_ordering_and_stable_cursors(catalog: CatalogApi) -> None:
    await seed_listing(catalog)
    by_price = {"field": "PRICE", "direction": "DESC"}
    everything = await skus(catalog, orderBy=by_price, first=50)
    # ties (HAMMER and RAKE at 1500) are broken by id, the same way on every backend
    assert everything[:5] == ["SAW", "DRILL", "HOSE", "SHEARS", "WRENCH"]
    assert set(everything[5:]) == {"HAMMER", "RAKE"}

    pages: list[str] = []
    after = None
    while True:
        data = await catalog.ok(PRODUCTS, {"orderBy": by_price, "first": 2, "after": after})
        connection = data["products"]
        pages += [edge["node"]["sku"] for edge in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        if len(pages) == 4:  # a product inserted mid-way shifts nothing already seen
            await product(catalog, "ANVIL", price=99999, stock=1)
    assert pages == everything

    by_stock = await skus(catalog, orderBy={"field": "STOCK", "direction": "ASC"}, first=50)
    assert by_stock[-1] == "HAMMER" and set(by_stock[:2]) == {"SAW", "SHEARS"}
    newest = await skus(catalog, orderBy={"field": "CREATED_AT", "direction": "DESC"}, first=1)
    assert newest == ["ANVIL"]

    first_page = await catalog.ok(PRODUCTS, {"orderBy": by_price, "first": 1})
    cursor = first_page["products"]["pageInfo"]["endCursor"]
    mismatch = await catalog.run(PRODUCTS, {"orderBy": {"field": "NAME"}, "after": cursor})
    assert mismatch.codes == ["BAD_USER_INPUT"]
    garbage = await catalog.run(PRODUCTS, {"after": "not-a-cursor"})
    assert garbage.codes == ["BAD_USER_INPUT"]
    too_big = await catalog.run(PRODUCTS, {"first": 1000})
    assert too_big.codes == ["BAD_USER_INPUT"]
