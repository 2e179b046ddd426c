"""Uploads straight to the media subgraph over real HTTP multipart: every accepted format is
decoded, cleaned and given its variants; what is not an image, too big or a decompression
bomb is refused with a code saying why, and leaves nothing behind."""

from __future__ import annotations

import asyncio
import io
import os

from PIL import Image

from tests.subgraphs.media.conftest import MediaService
from tests.subgraphs.media.images import (
    GPS_IFD,
    decompression_bomb,
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


async def test_jpeg_orientation_is_applied_and_gps_is_gone(media: MediaService) -> None:
    sent = jpeg_with_gps(400, 200)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)  # the input has a position
    token = media.token("alice")
    result = await media.upload_one("holiday.jpg", sent, token=token)
    assert result.errors == [], result.errors
    item = result.data["uploadMedia"]
    # Orientation 6 (rotate 90°): stored upright, so 200 wide and 400 high.
    assert (item["contentType"], item["width"], item["height"]) == ("image/jpeg", 200, 400)

    files = [item["url"], *(v["url"] for v in item["variants"])]
    for url in files:
        served = await media.fetch(url, token)
        assert served.status_code == 200, url
        image = Image.open(io.BytesIO(served.content))
        assert len(image.getexif()) == 0, url
        assert b"SecretCam" not in served.content and b"Exif" not in served.content, url
    stored_dir = media.settings.media_path / item["id"]
    for path in stored_dir.iterdir():
        data = path.read_bytes()
        assert b"SecretCam" not in data and b"Exif" not in data, path
        assert len(Image.open(io.BytesIO(data)).getexif()) == 0, path


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
