"""Files served with caching headers and owner-only originals; resize, delete (files gone),
avatars, stats, events and federation's `_entities`, over real HTTP."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from tests.subgraphs.media.conftest import MediaService
from tests.subgraphs.media.images import encode, picture

RESIZE = """mutation ($id: ID!, $w: Int!, $h: Int!, $f: ImageFormat!) {
  resizeMedia(id: $id, width: $w, height: $h, format: $f) {
    id variants { name width height format url }
  }
}"""
DELETE = "mutation ($id: ID!) { deleteMedia(id: $id) }"
ENTITIES = """query ($r: [_Any!]!) { _entities(representations: $r) {
  ... on Media { id contentType owner { id } }
  ... on User { id avatar { id width } }
} }"""


async def uploaded(media: MediaService, token: str, size: tuple[int, int] = (500, 400)) -> dict:
    item = await media.upload_processed("p.png", encode(picture(*size), "PNG"), token=token)
    assert item["status"] == "READY", item
    return item


async def test_files_are_served_with_etag_cache_control_and_304(media: MediaService) -> None:
    item = await uploaded(media, media.token("alice"))
    thumb = next(v["url"] for v in item["variants"] if v["name"] == "thumb")
    first = await media.fetch(thumb)
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    assert "immutable" in first.headers["cache-control"]
    etag = first.headers["etag"]
    again = await media.fetch(thumb, **{"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = await media.fetch(thumb, **{"if-none-match": '"something-else"'})
    assert other.status_code == 200 and other.content == first.content
    missing = await media.fetch(thumb.replace("/thumb", "/nope"))
    assert missing.status_code == 404


async def test_the_original_is_for_its_owner_only(media: MediaService) -> None:
    alice = media.token("alice")
    item = await uploaded(media, alice)
    anonymous = await media.fetch(item["url"])
    assert anonymous.status_code == 401
    stranger = await media.fetch(item["url"], media.token("bob"))
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "FORBIDDEN"
    owner = await media.fetch(item["url"], alice)
    assert owner.status_code == 200 and owner.headers["content-type"] == "image/png"
    assert owner.headers["cache-control"].startswith("private")
    assert Image.open(io.BytesIO(owner.content)).size == (500, 400)


async def test_resize_adds_a_variant_only_for_the_owner(media: MediaService) -> None:
    alice = media.token("alice")
    item = await uploaded(media, alice)
    args = {"id": item["id"], "w": 100, "h": 100, "f": "PNG"}
    refused = await media.execute(RESIZE, args, token=media.token("bob"))
    assert refused.codes == ["FORBIDDEN"]
    too_big = await media.execute(RESIZE, {**args, "w": 100_000}, token=alice)
    assert too_big.codes == ["BAD_USER_INPUT"]
    result = await media.execute(RESIZE, args, token=alice)
    assert result.errors == [], result.errors
    variant = next(v for v in result.data["resizeMedia"]["variants"] if v["name"] == "100x100-png")
    assert (variant["width"], variant["height"], variant["format"]) == (100, 80, "PNG")
    served = await media.fetch(variant["url"])
    assert served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (100, 80)
    missing = await media.execute(RESIZE, {**args, "id": "nope"}, token=alice)
    assert missing.codes == ["NOT_FOUND"]


async def test_delete_removes_rows_and_files_and_emits(media: MediaService) -> None:
    alice = media.token("alice")
    async with media.bus.subscribe(["media.processed", "media.deleted"]) as events:
        stream = aiter(events)
        item = await uploaded(media, alice)
        processed = await asyncio.wait_for(anext(stream), 10)
        assert processed.type == "media.processed" and processed.aggregate_id == item["id"]
        assert processed.payload["variants"] == ["medium", "thumb"]
        assert processed.payload["owner_id"] == "alice"

        assert (
            await media.execute(DELETE, {"id": item["id"]}, token=media.token("bob"))
        ).codes == ["FORBIDDEN"]
        deleted = await media.execute(DELETE, {"id": item["id"]}, token=alice)
        assert deleted.errors == [] and deleted.data == {"deleteMedia": item["id"]}
        event = await asyncio.wait_for(anext(stream), 10)
        assert (event.type, event.payload) == (
            "media.deleted",
            {"id": item["id"], "owner_id": "alice"},
        )
    for name in ["original", *(v["name"] for v in item["variants"])]:
        assert await media.storage.get(item["id"], name) is None, name
    for url in [item["url"], *(v["url"] for v in item["variants"])]:
        assert (await media.fetch(url, alice)).status_code == 404
    gone = await media.execute("query ($id: ID!) { media(id: $id) { id } }", {"id": item["id"]})
    assert gone.data == {"media": None}


async def test_avatar_and_entities(media: MediaService) -> None:
    alice = media.token("alice")
    item = await uploaded(media, alice, (64, 64))
    taken = await media.execute(
        "mutation ($m: ID) { setAvatar(mediaId: $m) { id avatar { id } } }",
        {"m": item["id"]},
        token=media.token("bob"),
    )
    assert taken.codes == ["NOT_FOUND"]  # not bob's media
    mine = await media.execute(
        "mutation ($m: ID) { setAvatar(mediaId: $m) { id avatar { id } } }",
        {"m": item["id"]},
        token=alice,
    )
    assert mine.data == {"setAvatar": {"id": "alice", "avatar": {"id": item["id"]}}}
    entities = await media.execute(
        ENTITIES,
        {
            "r": [
                {"__typename": "Media", "id": item["id"]},
                {"__typename": "User", "id": "alice"},
                {"__typename": "User", "id": "bob"},
                {"__typename": "Media", "id": "missing"},
            ]
        },
    )
    assert entities.errors == [], entities.errors
    assert entities.data["_entities"] == [
        {"id": item["id"], "contentType": "image/png", "owner": {"id": "alice"}},
        {"id": "alice", "avatar": {"id": item["id"], "width": 64}},
        {"id": "bob", "avatar": None},
        None,
    ]


async def test_media_stats_are_for_admins(media: MediaService) -> None:
    alice = media.token("alice")
    await uploaded(media, alice)
    await media.upload_one("j.jpg", encode(picture(80, 60), "JPEG"), token=alice)
    stats = "{ mediaStats { count bytes byFormat { format count bytes } } }"
    assert (await media.execute(stats, token=alice)).codes == ["FORBIDDEN"]
    assert (await media.execute(stats)).codes == ["UNAUTHENTICATED"]
    result = await media.execute(stats, token=media.token("root", "ADMIN", "USER"))
    data = result.data["mediaStats"]
    assert data["count"] == 2
    assert [f["format"] for f in data["byFormat"]] == ["JPEG", "PNG"]
    assert data["bytes"] == sum(f["bytes"] for f in data["byFormat"]) > 0
