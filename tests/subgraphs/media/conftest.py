"""The media subgraph over real HTTP (multipart uploads with httpx), on SQLite and PostgreSQL,
with its worker (the real consumer and process pool) on the same in-process bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from db import Database, migrations
from subgraphs.common.events import InProcessEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.media import MIGRATIONS, NAME, worker
from subgraphs.media.app import build
from subgraphs.media.processing import Processor
from subgraphs.media.service import limits
from subgraphs.media.storage import Storage
from tests.utils.asgi import serve
from tests.utils.graphql import Result

UPLOAD = """mutation ($file: Upload!, $alt: String) {
  uploadMedia(file: $file, alt: $alt) {
    id filename contentType size width height alt status failureReason url owner { id }
    variants { name width height format size url }
  }
}"""
BATCH = "mutation ($files: [Upload!]!) { uploadMediaBatch(files: $files) { id contentType } }"
MEDIA = """query ($id: ID!) { media(id: $id) {
  id filename contentType size width height alt status failureReason url owner { id }
  variants { name width height format size url }
} }"""


@dataclass
class MediaService:
    base: str
    http: httpx.AsyncClient
    settings: Settings
    bus: InProcessEventBus
    storage: Storage
    workers: list[asyncio.Task[None]] = field(default_factory=list)

    def start_worker(self, name: str = "worker") -> None:
        """The media worker's consumers and process pool, on this service's bus and storage."""
        self.workers.append(asyncio.create_task(self._work(name)))

    async def _work(self, name: str) -> None:
        db = Database.from_url(self.settings.database_url_for(NAME))
        processes = self.settings.media_worker_processes
        processor = Processor(db, self.bus, self.storage, limits(self.settings), processes)
        try:
            await worker.serve(processor, self.bus, processes, name)
        finally:
            await processor.close()
            await db.dispose()

    async def stop_workers(self) -> None:
        for task in self.workers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.workers.clear()

    async def processed(self, media_id: str, *, deadline: float = 60.0) -> dict[str, Any]:
        """The media once it is no longer PROCESSING (polled, up to `deadline` seconds)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline
        while True:
            result = await self.execute(MEDIA, {"id": media_id})
            assert result.errors == [], result.errors
            item = result.data["media"]
            if item is None or item["status"] != "PROCESSING":
                return dict(item or {})
            assert loop.time() < until, f"media {media_id} still PROCESSING after {deadline} s"
            await asyncio.sleep(0.05)

    def token(self, user: str, *roles: str) -> str:
        key = dev_signing_key(self.settings.data_dir)
        return mint_access_token(self.settings, key, user, roles or ("USER",))

    async def fetch(self, url: str, token: str | None = None, **headers: str) -> httpx.Response:
        """GET a file URL from a Media (it starts with MOSAIC_MEDIA_PUBLIC_URL) on this server."""
        assert url.startswith(self.settings.media_public_url), url
        if token:
            headers["authorization"] = f"Bearer {token}"
        path = url.removeprefix(self.settings.media_public_url)
        return await self.http.get(path, headers=headers)

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Result:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        return Result(response.status_code, body.get("data"), body.get("errors") or [])

    async def upload(
        self,
        query: str,
        variables: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]],
        *,
        token: str | None,
    ) -> Result:
        """A request per the GraphQL multipart request spec: `operations`, `map`, then the
        files, each part named by its key in `map`; `files` maps a variable path
        ("variables.file", "variables.files.3") to (file name, bytes, declared type)."""
        paths = list(files)
        form = {
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({str(i): [path] for i, path in enumerate(paths)}),
        }
        parts = {str(i): files[path] for i, path in enumerate(paths)}
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", data=form, files=parts, headers=headers)
        body = response.json()
        return Result(response.status_code, body.get("data"), body.get("errors") or [])

    async def upload_one(
        self, name: str, data: bytes, *, token: str | None, alt: str | None = None
    ) -> Result:
        return await self.upload(
            UPLOAD,
            {"file": None, "alt": alt},
            {"variables.file": (name, data, "application/octet-stream")},
            token=token,
        )

    async def upload_processed(
        self, name: str, data: bytes, *, token: str, alt: str | None = None
    ) -> dict[str, Any]:
        """Upload one file, see it PROCESSING, and return it once processed."""
        result = await self.upload_one(name, data, token=token, alt=alt)
        assert result.errors == [], result.errors
        item = result.data["uploadMedia"]
        assert item["status"] == "PROCESSING", item
        return await self.processed(item["id"])

    async def upload_batch(self, items: Sequence[tuple[str, bytes]], *, token: str) -> Result:
        files = {
            f"variables.files.{i}": (name, data, "application/octet-stream")
            for i, (name, data) in enumerate(items)
        }
        return await self.upload(BATCH, {"files": [None] * len(items)}, files, token=token)


@pytest.fixture
async def media(settings: Settings) -> AsyncIterator[MediaService]:
    """The subgraph with its worker running (`idle_media`: without)."""
    async with running_media(settings) as service:
        service.start_worker()
        yield service


@pytest.fixture
async def idle_media(settings: Settings) -> AsyncIterator[MediaService]:
    """The subgraph alone: uploads stay PROCESSING until the test starts a worker."""
    async with running_media(settings) as service:
        yield service


@contextlib.asynccontextmanager
async def running_media(settings: Settings) -> AsyncIterator[MediaService]:
    await migrations.upgrade(settings.database_url_for(NAME), MIGRATIONS, NAME)
    # Claims of a dead consumer's events after 0.5 s, so the crash test waits that little.
    bus = InProcessEventBus(claim_idle=0.5)
    app = build(settings, events=bus)
    async with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60.0) as http:
            service = MediaService(base, http, settings, bus, app.state.media_storage)
            try:
                yield service
            finally:
                await service.stop_workers()
