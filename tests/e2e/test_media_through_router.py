"""Media through the router (the `federation` fixture: every subgraph of supergraph.yaml on its
own seeded database, and here the media worker on the shared dev event log): an image uploaded
through the router becomes alice's `avatar` and a product's `images`, both resolved by the
router from the media subgraph, with the variants the worker made."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from typing import Any

import httpx
from PIL import Image

from subgraphs.media import worker
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


async def processed(client: GraphQLClient, media_id: str, deadline: float = 60.0) -> Any:
    """The media through the router once the worker is done with it (polled)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + deadline
    while True:
        result = await client.execute(
            "query ($id: ID!) { media(id: $id) { status variants { name } } }", {"id": media_id}
        )
        assert result.errors == [], result.errors
        if result.data["media"]["status"] != "PROCESSING":
            return result.data["media"]
        assert loop.time() < until, f"{media_id} still PROCESSING after {deadline} s"
        await asyncio.sleep(0.05)


async def test_avatar_and_product_images_resolve_through_the_router(
    federation: Federation,  # noqa: F811
) -> None:
    client = GraphQLClient(federation.router_url)
    media_worker = asyncio.create_task(worker.run(federation.settings))
    try:
        alice = await sign_in(client, "alice@mosaic.dev")
        admin = await sign_in(client, "admin@mosaic.dev")
        avatar = await upload_png(federation.router_url, alice, (300, 300))
        picture = await upload_png(federation.router_url, admin, (800, 400))
        assert (await processed(client, avatar))["status"] == "READY"

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
        media_worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await media_worker
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
