"""Where media files live, behind a small interface. `LocalDisk` keeps them under
`MOSAIC_MEDIA_DIR` as `<media id>/<variant>`; blocking file I/O runs in a worker thread."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import Protocol

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Storage(Protocol):
    async def put(self, media_id: str, name: str, data: bytes) -> None: ...

    async def get(self, media_id: str, name: str) -> bytes | None: ...

    async def delete(self, media_id: str) -> None:
        """Every file of the media (no error when there is none)."""
        ...


class LocalDisk:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, media_id: str, name: str | None = None) -> Path:
        # Ids and names come from our own rows, but a path never leaves the root anyway.
        parts = [media_id] if name is None else [media_id, name]
        if not all(_SAFE.match(part) and part not in (".", "..") for part in parts):
            raise ValueError(f"not a storage key: {parts!r}")
        return self.root.joinpath(*parts)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)  # readers see the whole file or none

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
