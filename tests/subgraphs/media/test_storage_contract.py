"""One contract for every storage backend: the local disk always, an S3-compatible bucket when
MOSAIC_MEDIA_S3_URL names one (with MOSAIC_MEDIA_S3_ACCESS_KEY_ID and _SECRET_ACCESS_KEY);
nothing stands in for S3 otherwise. Each S3 test works under a prefix of its own.
The last test serves uploaded files from each backend through the media subgraph."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from subgraphs.common.settings import Settings
from subgraphs.media.storage import LocalDisk, Storage, storage_from_settings
from tests.subgraphs.media.conftest import running_media
from tests.subgraphs.media.images import encode, picture


def s3_settings() -> Settings | None:
    """The environment's S3 settings with a fresh prefix under its own, or None."""
    found = Settings()
    if not found.media_s3_url:
        return None
    parts = urlsplit(found.media_s3_url)
    path = f"{parts.path.rstrip('/')}/contract-{uuid.uuid4().hex[:12]}"
    return found.model_copy(update={"media_s3_url": urlunsplit(parts._replace(path=path))})


S3 = pytest.param(
    "s3",
    marks=pytest.mark.skipif(
        Settings().media_s3_url is None,
        reason="MOSAIC_MEDIA_S3_URL is not set (no S3-compatible server to test against)",
    ),
)


@pytest.fixture(params=["local", S3])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    found: Storage
    if request.param == "local":
        found = LocalDisk(tmp_path / "media")
    else:
        settings = s3_settings()
        assert settings is not None
        found = storage_from_settings(settings)
    try:
        yield found
    finally:
        await found.close()


async def test_put_then_get_returns_the_bytes(storage: Storage) -> None:
    media_id = str(uuid.uuid4())
    await storage.put(media_id, "original", b"\x89PNG first")
    assert await storage.get(media_id, "original") == b"\x89PNG first"
    await storage.put(media_id, "original", b"replaced")  # a put replaces
    assert await storage.get(media_id, "original") == b"replaced"


async def test_a_missing_file_is_none(storage: Storage) -> None:
    media_id = str(uuid.uuid4())
    assert await storage.get(media_id, "thumb") is None
    await storage.put(media_id, "original", b"x")
    assert await storage.get(media_id, "thumb") is None


async def test_delete_removes_every_file_of_one_media_only(storage: Storage) -> None:
    gone, kept = str(uuid.uuid4()), str(uuid.uuid4())
    for name in ("original", "thumb", "medium", "100x100-png"):
        await storage.put(gone, name, name.encode())
    await storage.put(kept, "original", b"kept")
    await storage.delete(gone)
    for name in ("original", "thumb", "medium", "100x100-png"):
        assert await storage.get(gone, name) is None
    assert await storage.get(kept, "original") == b"kept"
    await storage.delete(gone)  # nothing left: no error
    await storage.delete(str(uuid.uuid4()))


async def test_concurrent_puts_of_one_name_leave_one_whole_file(storage: Storage) -> None:
    media_id = str(uuid.uuid4())
    bodies = [bytes([i]) * 200_000 for i in range(8)]
    await asyncio.gather(*(storage.put(media_id, "medium", body) for body in bodies))
    assert await storage.get(media_id, "medium") in bodies


async def test_keys_outside_a_media_are_refused(storage: Storage) -> None:
    for media_id, name in (("..", "x"), ("a/b", "x"), ("ok", "../../etc"), ("ok", "")):
        with pytest.raises(ValueError):
            await storage.put(media_id, name, b"x")
    with pytest.raises(ValueError):
        await storage.delete("..")


async def test_ping_answers(storage: Storage) -> None:
    await storage.ping()


@pytest.fixture(params=["local", S3])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "local":
        return settings
    found = s3_settings()
    assert found is not None
    return settings.model_copy(
        update={
            "media_s3_url": found.media_s3_url,
            "media_s3_access_key_id": found.media_s3_access_key_id,
            "media_s3_secret_access_key": found.media_s3_secret_access_key,
        }
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_files_are_served_from_the_backend_with_etag_and_304(
    backend_settings: Settings,
) -> None:
    async with running_media(backend_settings) as media:
        media.start_worker()
        alice = media.token("alice")
        item = await media.upload_processed("p.png", encode(picture(400, 300), "PNG"), token=alice)
        assert item["status"] == "READY", item
        thumb = next(v["url"] for v in item["variants"] if v["name"] == "thumb")
        first = await media.fetch(thumb)
        assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
        assert "immutable" in first.headers["cache-control"]
        again = await media.fetch(thumb, **{"if-none-match": first.headers["etag"]})
        assert again.status_code == 304
        original = await media.fetch(item["url"], alice)
        assert original.status_code == 200 and original.headers["content-type"] == "image/png"
        deleted = await media.execute(
            "mutation ($id: ID!) { deleteMedia(id: $id) }", {"id": item["id"]}, token=alice
        )
        assert deleted.errors == [], deleted.errors
        assert (await media.fetch(thumb)).status_code == 404
        assert await media.storage.get(item["id"], "thumb") is None
