"""Uploads through the router with a real multipart client (Apollo Client + apollo-upload-client,
tests/e2e/upload_client.mjs) on the whole federation, run as in production: the router signs
its subgraph requests and every subgraph refuses unsigned ones, so each stored file proves the
signed, streamed path (router/server/multipart.py -> router/executor/upload.py)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from subgraphs.media import worker
from tests.e2e.test_federated_me import Federation, start_federation
from tests.e2e.test_media_through_router import processed
from tests.e2e.test_shop_through_router import sign_in
from tests.utils.graphql import GraphQLClient

SCRIPT = Path(__file__).with_name("upload_client.mjs")
ROOT = Path(__file__).resolve().parents[2]
SIGNING_KEY = "e2e-uploads-signing-key-0123456789abcdef"
GPS_IFD = 0x8825


@pytest.fixture
async def signed(tmp_path: Path) -> AsyncIterator[Federation]:
    async with start_federation(tmp_path, signing_key=SIGNING_KEY) as running:
        yield running


def png(size: tuple[int, int], color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (10, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test's own premise
    return data


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (150, 100), (0, 200, 0)).save(out, format="WEBP")
    return out.getvalue()


def gif() -> bytes:
    frames = [Image.new("P", (64, 48), i * 40) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def decompression_bomb() -> bytes:
    """A small PNG whose header claims 30000 x 30000 pixels (900 megapixels)."""
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = zlib.compress(b"\x00" * 90_001 * 16)  # a few rows; the rest would be implied zeros
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


async def run_client(args: dict[str, Any]) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        "node", str(SCRIPT), json.dumps(args),
        cwd=ROOT / "tests" / "peers",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 240)
    lines = stdout.decode().strip().splitlines()
    assert process.returncode == 0 and lines, stderr.decode()
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or ()]


@pytest.mark.peers
async def test_apollo_upload_client_through_a_signing_router(
    signed: Federation, tmp_path: Path
) -> None:
    files = {
        "png": ("photo.png", png((640, 480))),
        "jpeg": ("gps.jpg", jpeg_with_gps()),
        "webp": ("image.webp", webp()),
        "gif": ("anim.gif", gif()),
        "pdf": ("report.png", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
        "bomb": ("bomb.png", decompression_bomb()),
        "big": ("big.png", os.urandom(11 * 1024 * 1024)),
    }
    paths = {}
    for case, (name, data) in files.items():
        (tmp_path / name).write_bytes(data)
        paths[case] = str(tmp_path / name)
    batch, concurrent = [], []
    for i in range(10):
        (tmp_path / f"batch{i}.png").write_bytes(png((100 + i, 50)))
        batch.append(str(tmp_path / f"batch{i}.png"))
    for i in range(20):
        (tmp_path / f"c{i}.png").write_bytes(png((200 + i, 60), (i * 10, 0, 0)))
        concurrent.append(str(tmp_path / f"c{i}.png"))

    graphql = GraphQLClient(signed.router_url)
    try:
        token = await sign_in(graphql, "alice@mosaic.dev")
        out = await run_client(
            {
                "router": signed.router_url,
                "token": token,
                "single": paths,
                "batch": batch,
                "concurrent": concurrent,
            }
        )
        single = out["single"]
        for case, (width, height, content_type) in {
            "png": (640, 480, "image/png"),
            "jpeg": (320, 200, "image/jpeg"),
            "webp": (150, 100, "image/webp"),
            "gif": (64, 48, "image/gif"),
        }.items():
            assert single[case]["errors"] == [], (case, single[case])
            media = single[case]["data"]["uploadMedia"]
            assert (media["width"], media["height"], media["contentType"]) == (
                width,
                height,
                content_type,
            ), case
            # Checked and stored; the variants come from the media worker (started below).
            assert media["variants"] == [], case
        assert codes(single["pdf"]) == ["UNSUPPORTED_MEDIA_TYPE"], single["pdf"]
        assert codes(single["bomb"]) == ["IMAGE_TOO_LARGE"], single["bomb"]
        # 11 MB: refused by the router itself (its limit and message, HTTP 413)
        assert single["big"]["status"] == 413, single["big"]
        [error] = single["big"]["errors"]
        assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert "MOSAIC_ROUTER_UPLOAD_MAX_FILE_BYTES" in error["message"]
        assert single["png"]["status"] == 200

        assert out["batch"]["errors"] == [], out["batch"]
        stored = out["batch"]["data"]["uploadMediaBatch"]
        assert [m["width"] for m in stored] == [100 + i for i in range(10)]
        assert [m["filename"] for m in stored] == [f"batch{i}.png" for i in range(10)]

        assert all(r["errors"] == [] for r in out["concurrent"]), out["concurrent"]
        uploaded = [r["data"]["uploadMedia"] for r in out["concurrent"]]
        assert [m["width"] for m in uploaded] == [200 + i for i in range(20)]
        assert len({m["id"] for m in uploaded}) == 20
        # Each is stored: read back through the router.
        query = " ".join(
            f'm{i}: media(id: "{m["id"]}") {{ width }}' for i, m in enumerate(uploaded)
        )
        back = await graphql.execute(f"{{ {query} }}", token=token)
        assert back.errors == [], back.errors
        assert [back.data[f"m{i}"]["width"] for i in range(20)] == [200 + i for i in range(20)]

        # The media worker makes the variants of every upload, animations included.
        media_worker = asyncio.create_task(worker.run(signed.settings))
        try:
            for case in ("png", "jpeg", "webp", "gif"):
                media_id = single[case]["data"]["uploadMedia"]["id"]
                done = await processed(graphql, media_id)
                assert done["status"] == "READY", (case, done)
                assert {v["name"] for v in done["variants"]} == {"thumb", "medium"}, case
        finally:
            media_worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await media_worker
    finally:
        await graphql.aclose()

    # The stored JPEG (its original, the owner's) carries no GPS or EXIF any more.
    media_url = signed.subgraphs["media"]
    jpeg = single["jpeg"]["data"]["uploadMedia"]
    url = media_url + jpeg["url"][jpeg["url"].index("/media/") :]
    async with httpx.AsyncClient(timeout=30) as http:
        original = await http.get(url, headers={"authorization": f"Bearer {token}"})
        # The subgraphs of this federation refuse what did not come signed from the router.
        direct = await http.post(
            f"{media_url}/graphql",
            data={"operations": json.dumps({"query": "{ __typename }"}), "map": "{}"},
            headers={"authorization": f"Bearer {token}"},
        )
    assert original.status_code == 200, original.text
    image = Image.open(io.BytesIO(original.content))
    assert image.format == "JPEG" and image.size == (320, 200)
    assert image.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in image.info
    assert b"Camera Maker" not in original.content
    assert direct.status_code == 401
    assert direct.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
