"""Two tiny Strawberry subgraphs that take uploads (`files` and `docs`), served over real HTTP
behind the subgraphs' own signature check with signatures REQUIRED (as in production), and a
router composed over them. Each answers with what it received (name, type, size, SHA-256), so
a test sees the bytes arrive intact; each counts the requests that reach it."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.file_uploads import Upload

from router.compose import SubgraphSource, compose
from router.server.app import create_app
from router.settings import RouterSettings
from subgraphs.common.signing import SignatureMiddleware, Verifier
from tests.utils.asgi import serve

SIGNING_KEY = "upload-tests-signing-key-0123456789abcdef"


@strawberry.type
class Received:
    name: str
    content_type: str
    size: int
    sha256: str


@strawberry.type
class Attached:
    name: str
    size: int


async def _received(upload: Any) -> Received:
    await upload.seek(0)  # one file may sit at two places of the variables
    data = await upload.read()
    return Received(
        name=upload.filename,
        content_type=upload.content_type or "",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@strawberry.type
class FilesQuery:
    @strawberry.field
    def files_version(self) -> str:
        return "1"


@strawberry.type
class FilesMutation:
    @strawberry.mutation
    async def store(self, file: Upload, note: str | None = None) -> Received:
        return await _received(file)

    @strawberry.mutation
    async def store_many(self, files: list[Upload]) -> list[Received]:
        return [await _received(f) for f in files]

    @strawberry.mutation
    async def store_groups(self, groups: list[list[Upload]]) -> list[list[Received]]:
        return [[await _received(f) for f in group] for group in groups]

    @strawberry.mutation
    def rename(self, name: str) -> str:
        return name


@strawberry.type
class DocsQuery:
    @strawberry.field
    def docs_version(self) -> str:
        return "1"


@strawberry.type
class DocsMutation:
    @strawberry.mutation
    async def attach(self, file: Upload) -> Attached:
        data = await file.read()  # type: ignore[attr-defined]
        return Attached(name=file.filename, size=len(data))  # type: ignore[attr-defined]


SCHEMAS = {
    "files": strawberry.federation.Schema(query=FilesQuery, mutation=FilesMutation),
    "docs": strawberry.federation.Schema(query=DocsQuery, mutation=DocsMutation),
}


class Counted:
    """Counts the GraphQL requests that reach the subgraph (signed or not)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            self.requests += 1
        await self.app(scope, receive, send)


def subgraph_app(schema: strawberry.federation.Schema, required: bool = True) -> Counted:
    """`required=False`: signatures are still checked when present (bench/uploads sends to it
    directly too)."""
    graphql = GraphQL(schema, graphql_ide=None, multipart_uploads_enabled=True)
    app = Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"])])
    return Counted(SignatureMiddleware(app, Verifier(SIGNING_KEY), required=required))


def sink_app() -> Counted:
    """uvicorn factory: the `files` subgraph, signatures checked when present (bench/uploads)."""
    return subgraph_app(SCHEMAS["files"], required=False)


@dataclass
class UploadGraph:
    router_url: str
    subgraph_urls: dict[str, str]
    counters: dict[str, Counted] = field(default_factory=dict)

    def requests(self, name: str) -> int:
        return self.counters[name].requests


@contextlib.asynccontextmanager
async def upload_graph(tmp_path: Path, **settings: Any) -> AsyncIterator[UploadGraph]:
    async with contextlib.AsyncExitStack() as stack:
        counters: dict[str, Counted] = {}
        urls: dict[str, str] = {}
        for name, schema in SCHEMAS.items():
            counters[name] = subgraph_app(schema)
            urls[name] = await stack.enter_async_context(serve(counters[name]))
        composed = compose(
            [SubgraphSource(n, f"{urls[n]}/graphql", s.as_str()) for n, s in SCHEMAS.items()]
        )
        assert composed.supergraph_sdl is not None, [str(e) for e in composed.errors]
        supergraph = tmp_path / "uploads.graphql"
        supergraph.write_text(composed.supergraph_sdl)
        router = create_app(
            RouterSettings(
                supergraph=str(supergraph),
                hot_reload=False,
                signing_key=SIGNING_KEY,
                **settings,
            )
        )
        router_url = await stack.enter_async_context(serve(router))
        yield UploadGraph(router_url, urls, counters)
