"""Uploads straight to the media subgraph over real HTTP multipart: every accepted format is
decoded, cleaned and given its variants; what is not an image, too big or a decompression
bomb is refused with a code saying why, and leaves nothing behind."""

from __future__ import annotations

import asyncio
import io
import os

from PIL import Image

from subgraphs.media.storage import LocalDisk
from tests.subgraphs.media.conftest import MediaService
from tests.subgraphs.media.images import (
    GPS_IFD,
    animated_gif,
    animation_bomb,
    decompression_bomb,
    durations,
    encode,
    jpeg_with_gps,
    not_an_image,
    picture,
)

STATS = "{ mediaStats { count bytes byFormat { format count bytes } } }"


async def count(media: MediaService) -> int:
    result = await media.execute(STATS, token=media.token("root", "ADMIN", "USER"))
    assert result.errors == [], result.errors
    return int(result.data["mediaStats"]["count"])


async def test_png_is_stored_with_webp_variants(media: MediaService) -> None:
    token = media.token("alice")
    result = await media.upload_one("logo.png", encode(picture(), "PNG"), token=token, alt=" Logo ")
    assert result.errors == [], result.errors
    item = result.data["uploadMedia"]
    assert (item["contentType"], item["width"], item["height"]) == ("image/png", 600, 300)
    # Stored and checked; the variants come from the worker.
    assert (item["status"], item["failureReason"]) == ("PROCESSING", None)
    item = await media.processed(item["id"])
    assert item["status"] == "READY" and item["alt"] == "Logo" and item["owner"] == {"id": "alice"}
    variants = {v["name"]: v for v in item["variants"]}
    assert set(variants) == {"thumb", "medium"}
    assert (variants["thumb"]["width"], variants["thumb"]["height"]) == (256, 128)
    assert variants["thumb"]["format"] == "WEBP"
    # Never scaled up: the medium of a 600 px image is 600 px.
    assert (variants["medium"]["width"], variants["medium"]["height"]) == (600, 300)
    served = await media.fetch(variants["thumb"]["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(served.content)).size == (256, 128)


async def test_a_large_image_gets_a_256_px_thumb_and_a_1024_px_medium(media: MediaService) -> None:
    token = media.token("alice")
    item = await media.upload_processed("wide.png", encode(picture(2048, 1536), "PNG"), token=token)
    assert (item["status"], item["width"], item["height"]) == ("READY", 2048, 1536)
    variants = {v["name"]: v for v in item["variants"]}
    # The longer side is scaled to the variant's size, the aspect ratio kept.
    for name, size in (("thumb", (256, 192)), ("medium", (1024, 768))):
        assert (variants[name]["width"], variants[name]["height"]) == size, name
        assert variants[name]["format"] == "WEBP", name
        served = await media.fetch(variants[name]["url"])
        assert served.headers["content-type"] == "image/webp", name
        image = Image.open(io.BytesIO(served.content))
        assert (image.format, image.size) == ("WEBP", size), name


async def test_jpeg_orientation_is_applied_and_gps_is_gone(media: MediaService) -> None:
    sent = jpeg_with_gps(400, 200)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)  # the input has a position
    token = media.token("alice")
    item = await media.upload_processed("holiday.jpg", sent, token=token)
    # Orientation 6 (rotate 90°): stored upright, so 200 wide and 400 high.
    assert (item["contentType"], item["width"], item["height"]) == ("image/jpeg", 200, 400)

    files = [item["url"], *(v["url"] for v in item["variants"])]
    for url in files:
        served = await media.fetch(url, token)
        assert served.status_code == 200, url
        image = Image.open(io.BytesIO(served.content))
        assert len(image.getexif()) == 0, url
        assert b"SecretCam" not in served.content and b"Exif" not in served.content, url
    for name in ["original", *(v["name"] for v in item["variants"])]:
        data = await media.storage.get(item["id"], name)  # as stored, whatever the backend
        assert data is not None, name
        assert b"SecretCam" not in data and b"Exif" not in data, name
        assert len(Image.open(io.BytesIO(data)).getexif()) == 0, name


async def test_webp_and_gif_are_accepted(media: MediaService) -> None:
    token = media.token("bob")
    webp = await media.upload_one("a.webp", encode(picture(300, 200, "RGBA"), "WEBP"), token=token)
    assert webp.errors == [], webp.errors
    assert webp.data["uploadMedia"]["contentType"] == "image/webp"
    gif_image = picture(120, 90).convert("P")
    gif = await media.upload_one("anim.gif", encode(gif_image, "GIF"), token=token)
    assert gif.errors == [], gif.errors
    assert (gif.data["uploadMedia"]["contentType"], gif.data["uploadMedia"]["width"]) == (
        "image/gif",
        120,
    )


async def test_an_animated_gif_stays_animated(media: MediaService) -> None:
    sent = animated_gif(frames=6, size=(300, 200))
    assert Image.open(io.BytesIO(sent)).n_frames == 6
    token = media.token("bob")
    item = await media.upload_processed("moving.gif", sent, token=token)
    assert (item["status"], item["contentType"], item["width"]) == ("READY", "image/gif", 300)
    original = Image.open(io.BytesIO((await media.fetch(item["url"], token)).content))
    assert (original.format, original.n_frames) == ("GIF", 6)
    assert "comment" not in original.info
    variants = {v["name"]: v for v in item["variants"]}
    assert (variants["thumb"]["width"], variants["thumb"]["height"]) == (256, 171)
    for name in ("thumb", "medium"):
        served = await media.fetch(variants[name]["url"])
        assert served.headers["content-type"] == "image/webp"
        image = Image.open(io.BytesIO(served.content))
        assert (image.format, image.n_frames, image.is_animated) == ("WEBP", 6, True), name
        assert durations(image) == [40, 50, 60, 70, 80, 90], name
        # The square moves: the first and last frames differ.
        image.seek(0)
        first = image.convert("RGB").tobytes()
        image.seek(5)
        assert image.convert("RGB").tobytes() != first, name
    # A resize keeps the animation where the format has one (PNG: APNG), JPEG gets frame one.
    resize = """mutation ($id: ID!, $f: ImageFormat!) {
      resizeMedia(id: $id, width: 100, height: 100, format: $f) { variants { name url } } }"""
    for fmt, frames in (("PNG", 6), ("JPEG", 1)):
        result = await media.execute(resize, {"id": item["id"], "f": fmt}, token=token)
        assert result.errors == [], result.errors
        url = next(
            v["url"]
            for v in result.data["resizeMedia"]["variants"]
            if v["name"] == f"100x100-{fmt.lower()}"
        )
        image = Image.open(io.BytesIO((await media.fetch(url)).content))
        assert (image.format, getattr(image, "n_frames", 1), image.width) == (fmt, frames, 100)


async def test_an_animated_webp_stays_animated(media: MediaService) -> None:
    frames = [picture(200, 120).rotate(angle) for angle in (0, 90, 180, 270)]
    sent = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=70)
    token = media.token("bob")
    item = await media.upload_processed("spin.webp", sent, token=token)
    assert (item["status"], item["contentType"]) == ("READY", "image/webp")
    original = Image.open(io.BytesIO((await media.fetch(item["url"], token)).content))
    assert original.n_frames == 4
    thumb = next(v for v in item["variants"] if v["name"] == "thumb")
    image = Image.open(io.BytesIO((await media.fetch(thumb["url"])).content))
    assert (image.n_frames, durations(image)) == (4, [70] * 4)


async def test_an_animation_bomb_is_refused(media: MediaService) -> None:
    bomb = animation_bomb(frames=30, side=2000)  # 120 M pixels to decode; the limit is 50 M
    assert len(bomb) < 20_000
    result = await media.upload_one("bomb.gif", bomb, token=media.token("alice"))
    assert result.codes == ["IMAGE_TOO_LARGE"], result.errors
    assert "30 frames of 2000x2000" in result.errors[0]["message"]
    assert await count(media) == 0
    # The same frames within the budget are fine.
    small = await media.upload_processed(
        "ok.gif", animation_bomb(frames=20, side=500), token=media.token("alice")
    )
    assert small["status"] == "READY"


async def test_the_type_comes_from_the_bytes_not_the_name(media: MediaService) -> None:
    token = media.token("alice")
    pdf = await media.upload_one("cat.png", not_an_image(), token=token)
    assert pdf.codes == ["UNSUPPORTED_MEDIA_TYPE"] and "cat.png" in pdf.errors[0]["message"]
    # A real PNG named .jpg is a PNG.
    png = await media.upload_one("photo.jpg", encode(picture(50, 50), "PNG"), token=token)
    assert png.data["uploadMedia"]["contentType"] == "image/png"
    assert await count(media) == 1


async def test_a_decompression_bomb_is_refused(media: MediaService) -> None:
    # 7000x7000: below Pillow's own guard, so the subgraph's MOSAIC_MEDIA_MAX_PIXELS refuses it.
    bomb = decompression_bomb(7000)
    assert len(bomb) < 200_000  # tiny on the wire
    result = await media.upload_one("bomb.png", bomb, token=media.token("alice"))
    assert result.codes == ["IMAGE_TOO_LARGE"], result.errors
    assert "decompression bomb" in result.errors[0]["message"]
    assert "7000x7000" in result.errors[0]["message"]
    huge = await media.upload_one("huge.png", decompression_bomb(), token=media.token("alice"))
    assert huge.codes == ["IMAGE_TOO_LARGE"], huge.errors
    assert await count(media) == 0


async def test_an_11_mb_file_is_refused(media: MediaService) -> None:
    big = os.urandom(11 * 1024 * 1024)
    result = await media.upload_one("big.png", big, token=media.token("alice"))
    assert result.codes == ["PAYLOAD_TOO_LARGE"], result.errors
    assert result.errors[0]["extensions"]["limit"] == 10 * 1024 * 1024
    assert await count(media) == 0


async def test_uploads_need_a_signed_in_caller(media: MediaService) -> None:
    result = await media.upload_one("a.png", encode(picture(10, 10), "PNG"), token=None)
    assert result.codes == ["UNAUTHENTICATED"]


async def test_a_batch_of_ten_is_stored_whole_or_not_at_all(media: MediaService) -> None:
    token = media.token("alice")
    items = [(f"p{i}.png", encode(picture(40 + i, 30), "PNG")) for i in range(10)]
    result = await media.upload_batch(items, token=token)
    assert result.errors == [], result.errors
    assert len({m["id"] for m in result.data["uploadMediaBatch"]}) == 10
    assert await count(media) == 10

    spoiled = [*items[:4], ("x.png", not_an_image()), *items[5:]]
    refused = await media.upload_batch(spoiled, token=token)
    assert refused.codes == ["UNSUPPORTED_MEDIA_TYPE"]
    assert refused.errors[0]["extensions"]["index"] == 4
    assert await count(media) == 10
    if isinstance(media.storage, LocalDisk):  # and no file of the refused batch is left
        assert len(list(media.settings.media_path.iterdir())) == 10


async def test_twenty_concurrent_uploads(media: MediaService) -> None:
    token = media.token("alice")
    results = await asyncio.gather(
        *(
            media.upload_one(f"c{i}.png", encode(picture(64, 32 + i), "PNG"), token=token)
            for i in range(20)
        )
    )
    assert [r.errors for r in results] == [[]] * 20
    heights = sorted(r.data["uploadMedia"]["height"] for r in results)
    assert heights == list(range(32, 52))
    assert len({r.data["uploadMedia"]["id"] for r in results}) == 20
    assert await count(media) == 20
