"""Where media files live, behind a small interface: `<media id>/<name>` -> bytes.

`LocalDisk` keeps them under `MOSAIC_MEDIA_DIR` (blocking file I/O in a worker thread);
`S3Storage` (storage_s3.py) in an S3-compatible bucket when `MOSAIC_MEDIA_S3_URL` is set.
One contract suite checks both (tests/subgraphs/media/test_storage_contract.py)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Protocol

from subgraphs.common.settings import Settings

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def check_key(*parts: str) -> None:
    # Ids and names come from our own rows, but a key never leaves its media's folder anyway.
    if not all(_SAFE.match(part) and part not in (".", "..") for part in parts):
        raise ValueError(f"not a storage key: {parts!r}")


class Storage(Protocol):
    async def put(self, media_id: str, name: str, data: bytes) -> None:
        """Write (or replace) a file; readers see the old bytes or the new, never a part."""
        ...

    async def get(self, media_id: str, name: str) -> bytes | None:
        """The file's bytes; None when there is no such file."""
        ...

    async def delete(self, media_id: str) -> None:
        """Every file of the media (no error when there is none)."""
        ...

    async def ping(self) -> None:
        """Raise when the storage cannot be used (what `/ready` reports, so it is cheap)."""
        ...

    async def close(self) -> None: ...


class LocalDisk:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, media_id: str, name: str | None = None) -> Path:
        parts = [media_id] if name is None else [media_id, name]
        check_key(*parts)
        return self.root.joinpath(*parts)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per write: two writers of one file never share a temporary file.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        try:
            temporary.write_bytes(data)
            temporary.replace(path)  # readers see the whole file or none
        finally:
            temporary.unlink(missing_ok=True)

    async def put(self, media_id: str, name: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(media_id, name), data)

    async def get(self, media_id: str, name: str) -> bytes | None:
        path = self._path(media_id, name)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, media_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._path(media_id), True)

    def _check_writable(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)  # a fresh data dir is fine: made on first use
        # access() also answers False on a read-only mount, even for root.
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"media directory {self.root} is not writable")

    async def ping(self) -> None:
        await asyncio.to_thread(self._check_writable)

    async def close(self) -> None:
        return None


def storage_from_settings(settings: Settings) -> Storage:
    """S3 when MOSAIC_MEDIA_S3_URL is set, else the local disk (the app and worker call it)."""
    if settings.media_s3_url:
        from subgraphs.media.storage_s3 import S3Storage

        secret = settings.media_s3_secret_access_key
        return S3Storage.from_url(
            settings.media_s3_url,
            access_key_id=settings.media_s3_access_key_id,
            secret_access_key=None if secret is None else secret.get_secret_value(),
        )
    return LocalDisk(settings.media_path)
