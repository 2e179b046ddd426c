"""Media through the router (the `federation` fixture: every subgraph of supergraph.yaml on its
own seeded database): an image uploaded through the router becomes alice's `avatar` and a
product's `images`, both resolved by the router from the media subgraph."""

from __future__ import annotations

import io
import json

import httpx
from PIL import Image

from tests.e2e.test_federated_me import Federation, federation  # noqa: F401
from tests.e2e.test_shop_through_router import sign_in
from tests.utils.graphql import GraphQLClient

UPLOAD = 'mutation ($f: Upload!) { uploadMedia(file: $f, alt: "Me") { id } }'


async def upload_png(router_url: str, token: str, size: tuple[int, int]) -> str:
    """An upload through the router (a multipart request; the preflight header for CSRF)."""
    image = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(image, format="PNG")
    async with httpx.AsyncClient(base_url=router_url, timeout=30) as http:
        response = await http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"f": None}}),
                "map": json.dumps({"0": ["variables.f"]}),
            },
            files={"0": ("me.png", image.getvalue(), "image/png")},
            headers={"authorization": f"Bearer {token}", "apollo-require-preflight": "true"},
        )
    body = response.json()
    assert "errors" not in body, body
    return str(body["data"]["uploadMedia"]["id"])


async def test_avatar_and_product_images_resolve_through_the_router(
    federation: Federation,  # noqa: F811
) -> None:
    client = GraphQLClient(federation.router_url)
    try:
        alice = await sign_in(client, "alice@mosaic.dev")
        admin = await sign_in(client, "admin@mosaic.dev")
        avatar = await upload_png(federation.router_url, alice, (300, 300))
        picture = await upload_png(federation.router_url, admin, (800, 400))

        set_avatar = await client.execute(
            "mutation ($m: ID) { setAvatar(mediaId: $m) { id } }", {"m": avatar}, token=alice
        )
        assert set_avatar.errors == [], set_avatar.errors
        me = await client.execute(
            "{ me { name avatar { id alt width owner { name } variants { name width } } } }",
            token=alice,
        )
        created = await client.execute(
            """mutation ($i: CreateProductInput!) { createProduct(input: $i) {
              sku images { id contentType width height owner { name } } } }""",
            {
                "i": {
                    "sku": "IMG-001",
                    "name": "Poster",
                    "price": {"amount": 1500, "currency": "USD"},
                    "imageIds": [picture],
                }
            },
            token=admin,
        )
    finally:
        await client.aclose()
    assert me.errors == [], me.errors
    assert me.data["me"] == {
        "name": "Alice Doe",
        "avatar": {
            "id": avatar,
            "alt": "Me",
            "width": 300,
            "owner": {"name": "Alice Doe"},  # media -> users
            "variants": [{"name": "medium", "width": 300}, {"name": "thumb", "width": 256}],
        },
    }
    assert created.errors == [], created.errors
    assert created.data["createProduct"]["images"] == [
        {
            "id": picture,
            "contentType": "image/png",
            "width": 800,
            "height": 400,
            "owner": {"name": "Ada Admin"},
        }
    ]
