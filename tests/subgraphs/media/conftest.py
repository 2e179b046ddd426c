"""The media subgraph over real HTTP (multipart uploads with httpx), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from db import migrations
from subgraphs.common.events import InProcessEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.media import MIGRATIONS, NAME
from subgraphs.media.app import build
from tests.utils.asgi import serve
from tests.utils.graphql import Result

UPLOAD = """mutation ($file: Upload!, $alt: String) {
  uploadMedia(file: $file, alt: $alt) {
    id filename contentType size width height alt status url owner { id }
    variants { name width height format size url }
  }
}"""
BATCH = "mutation ($files: [Upload!]!) { uploadMediaBatch(files: $files) { id contentType } }"


@dataclass
class MediaService:
    base: str
    http: httpx.AsyncClient
    settings: Settings
    bus: InProcessEventBus

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

    async def upload_batch(self, items: Sequence[tuple[str, bytes]], *, token: str) -> Result:
        files = {
            f"variables.files.{i}": (name, data, "application/octet-stream")
            for i, (name, data) in enumerate(items)
        }
        return await self.upload(BATCH, {"files": [None] * len(items)}, files, token=token)


@pytest.fixture
async def media(settings: Settings) -> AsyncIterator[MediaService]:
    await migrations.upgrade(settings.database_url_for(NAME), MIGRATIONS, NAME)
    bus = InProcessEventBus()
    async with serve(build(settings, events=bus)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60.0) as http:
            yield MediaService(base, http, settings, bus)
