"""The media subgraph's `/ready` checks its file storage besides the database and event bus."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from subgraphs.common.settings import Settings
from subgraphs.media import storage_s3
from subgraphs.media.storage import LocalDisk
from tests.subgraphs.media.conftest import running_media


async def test_ready_when_the_media_directory_can_be_written(settings: Settings) -> None:
    assert not settings.media_path.exists()  # made on first use, as a fresh data dir is
    async with running_media(settings) as media:
        ready = await media.http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready"}
    assert settings.media_path.is_dir()


async def test_ready_is_503_naming_storage_when_the_media_directory_cannot_be_made(
    settings: Settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media directory's parent should be")
    broken = settings.model_copy(update={"media_dir": blocker / "media"})
    async with running_media(broken) as media:
        ready = await media.http.get("/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "storage": "NotADirectoryError"}
        assert (await media.http.get("/health")).status_code == 200
        blocker.unlink()  # the directory can be made now: ready again without a restart
        assert (await media.http.get("/ready")).status_code == 200


# access() honours the mode bits for every user but root (a read-only mount refuses root too,
# with EROFS, but setting one up takes privileges a test does not have).
@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a 0555 directory")
async def test_local_disk_ping_refuses_a_directory_it_cannot_write(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir(mode=0o555)
    with pytest.raises(PermissionError, match="not writable"):
        await LocalDisk(root).ping()


async def test_s3_ping_gives_up_when_the_endpoint_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A real socket that takes the connection and never answers: `/ready` must not hang on it.
    stop = asyncio.Event()

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await stop.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(storage_s3, "PING_TIMEOUT_SECONDS", 0.5)
    storage = storage_s3.S3Storage.from_url(
        f"s3://bucket?endpoint=http://127.0.0.1:{port}&region=us-east-1",
        access_key_id="key",
        secret_access_key="secret",
    )
    try:
        with pytest.raises(TimeoutError):
            await storage.ping()
    finally:
        await storage.close()
        stop.set()
        server.close()
        await server.wait_closed()
