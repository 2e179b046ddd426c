"""The router's ASGI app: GraphQL over HTTP (POST and GET) on a lean ASGI handler for the hot
path, and Starlette for /health, /ready and the lifespan (hot-reload watcher)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from router.persisted.documents import PersistedDocuments
from router.pipeline import GraphQLResponse, HttpRequest, RequestError
from router.pipeline.log import configure as configure_logging
from router.pipeline.log import install as install_log_filter
from router.pipeline.log import new_request_id
from router.server import gctune
from router.server.cors import Cors
from router.server.edge import Edge, Refused
from router.server.playground import CSP, Playground
from router.server.playground import enabled as playground_enabled
from router.server.reload import StateHolder
from router.server.uploads import Uploads
from router.settings import RouterSettings
from router.subscriptions.http_streams import StreamFormat, stream, stream_format
from router.subscriptions.service import Streams
from router.subscriptions.websocket import serve_websocket

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MEDIA_BYTES = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE.encode(), JSON: JSON.encode()}
GRAPHQL_PATHS = ("/graphql", "/")


def _media_type(accept: str) -> str | None:
    """The response media type for an Accept header (None: neither is acceptable)."""
    if not accept:
        return JSON
    accept = accept.lower()
    if GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE
    if JSON in accept or "*/*" in accept or "application/*" in accept:
        return JSON
    return None


def _error_body(message: str, code: str = "BAD_REQUEST") -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


async def _send(
    send: Send,
    status: int,
    body: bytes,
    media: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", MEDIA_BYTES[media]), (b"content-length", b"%d" % len(body))]
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class GraphQLEndpoint:
    """POST/GET /graphql per GraphQL over HTTP: the HTTP framing (methods, Accept, the body and
    its size limit, CORS), then the pipeline (router/pipeline) for everything GraphQL."""

    def __init__(
        self, holder: StateHolder, settings: RouterSettings, edge: Edge, streams: Streams
    ) -> None:
        self.holder = holder
        self.settings = settings
        self.edge = edge
        self.streams = streams
        self.playground = Playground() if playground_enabled(settings) else None
        self.max_body_bytes = settings.max_body_bytes
        self.cors = Cors(settings) if settings.cors_origins else None
        self.uploads = Uploads(holder, settings) if settings.uploads else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method = scope["method"]
        accept = ""
        offered_id: bytes | None = None
        length = -1
        origin: bytes | None = None
        content_type = b""
        headers = scope["headers"]
        for name, value in headers:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = int(value) if value.isdigit() else -1
            elif name == b"x-request-id":
                offered_id = value
            elif name == b"origin":
                origin = value
        if method == "GET" and self.playground is not None and "text/html" in accept:
            await self._playground(self.playground, send)
            return
        cors: list[tuple[bytes, bytes]] | None = None
        if self.cors is not None and origin is not None:
            if method == "OPTIONS":
                await self.cors.preflight(origin, headers, send)
                return
            cors = self.cors.headers(origin)
        if method not in ("GET", "POST"):
            allow = [(b"allow", b"GET, POST")]
            await _send(send, 405, _error_body("Use GET or POST."), JSON, allow + (cors or []))
            return
        client = scope.get("client")
        address = client[0] if client else ""
        if self.edge.ip_filter is not None:  # a denied address costs nothing more
            try:
                self.edge.check_address(address)
            except Refused as refused:
                body = _error_body(refused.message, refused.code)
                await _send(send, refused.status, body, JSON, cors)
                return
        media = _media_type(accept)
        fmt = stream_format(accept) if "event-stream" in accept or "multipart" in accept else None
        if media is None and fmt is None:
            body = _error_body("Accept application/graphql-response+json or application/json.")
            await _send(send, 406, body, JSON, cors)
            return
        if (
            method == "POST"
            and self.uploads is not None
            and content_type[:19].lower() == b"multipart/form-data"
        ):
            http = self._http(scope, b"", offered_id, started, media, address)
            await self.uploads(http, content_type, receive, send, cors)
            return
        limit = self.max_body_bytes
        chunks: list[bytes] = []
        if method == "POST":
            if limit and length > limit:
                await _send(send, 413, _too_large(limit), JSON, cors)
                return
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if limit and size > limit:
                    await _send(send, 413, _too_large(limit), JSON, cors)
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
        http = HttpRequest(
            method=method,
            path=scope["path"],
            headers=tuple(headers),
            query_string=scope.get("query_string", b""),
            body=chunks[0] if len(chunks) == 1 else b"".join(chunks),
            request_id=new_request_id(offered_id),
            started=started,
            media=media or JSON,
            client=address,
        )
        if fmt is not None:  # SSE or multipart: subscriptions (and anything else) as a stream
            await self._stream(fmt, http, receive, send)
            return
        response = await self.holder.current.handle(http)
        headers = [*response.headers, (b"content-length", b"%d" % len(response.body))]
        if cors:
            headers += cors
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    @staticmethod
    def _http(
        scope: Scope,
        body: bytes,
        offered_id: bytes | None,
        started: float,
        media: str | None,
        address: str,
    ) -> HttpRequest:
        return HttpRequest(
            method=scope["method"],
            path=scope["path"],
            headers=tuple(scope["headers"]),
            query_string=scope.get("query_string", b""),
            body=body,
            request_id=new_request_id(offered_id),
            started=started,
            media=media or JSON,
            client=address,
        )

    @staticmethod
    async def _playground(playground: Playground, send: Send) -> None:
        status, media_type, body = playground.page_body()
        headers = [
            (b"content-type", media_type),
            (b"content-length", b"%d" % len(body)),
            (b"content-security-policy", CSP.encode()),
            (b"cache-control", b"no-cache"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _stream(
        self, fmt: StreamFormat, http: HttpRequest, receive: Receive, send: Send
    ) -> None:
        state = self.holder.current
        try:
            request = await state.read(http)
        except RequestError as error:
            await _send(send, error.status, _error_body(error.message, error.code), JSON)
            return
        streams = self.streams
        caller = streams.caller_key(request.caller, http.client)
        if not streams.open(caller):
            limit = self.settings.max_connections_per_caller
            body = _error_body(f"Too many open streams for this caller (limit {limit}).",
                               "RATE_LIMITED")  # fmt: skip
            await _send(send, 429, body, JSON)
            return
        result = await streams.start(request)
        if isinstance(result, GraphQLResponse) and "data" not in result.body:
            streams.release(caller)  # refused before execution: a plain JSON answer
            await _send(send, result.status, result.encoded(), http.media)
            return
        heartbeat = self.settings.subscription_heartbeat
        await stream(fmt, result, receive, send, heartbeat, lambda: streams.release(caller))


def _too_large(limit: int) -> bytes:
    return _error_body(
        f"The request body is larger than {limit} bytes (MOSAIC_ROUTER_MAX_BODY_BYTES).",
        "PAYLOAD_TOO_LARGE",
    )


class RouterApp:
    """Dispatch: GraphQL paths to the lean endpoint, everything else to Starlette."""

    def __init__(self, graphql: GraphQLEndpoint, other: Starlette, holder: StateHolder) -> None:
        self.graphql = graphql
        self.other = other
        self.state = other.state
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in GRAPHQL_PATHS:
            await self.graphql(scope, receive, send)
        elif scope["type"] == "websocket" and scope["path"] in GRAPHQL_PATHS:
            await serve_websocket(self.graphql.streams, scope, receive, send)
        else:
            await self.other(scope, receive, send)


def create_app(settings: RouterSettings | None = None) -> RouterApp:
    settings = settings or RouterSettings()
    install_log_filter()
    edge = Edge(settings)
    holder = StateHolder(settings, edge=edge)
    streams = Streams(holder, settings, edge)

    async def health(_: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON)

    async def ready(_: Request) -> Response:
        state = holder.current
        body = {
            "status": "ready",
            "supergraph": state.supergraph.hash,
            "details": {"subgraphs": state.clients.details(), **edge.details()},
        }
        return Response(orjson.dumps(body), media_type=JSON)

    async def watch_manifest(documents: PersistedDocuments) -> None:
        while True:
            await asyncio.sleep(settings.reload_interval)
            documents.reload_manifest()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        holder.start()
        watcher = None
        if edge.documents.manifest_path is not None:
            watcher = asyncio.get_running_loop().create_task(watch_manifest(edge.documents))
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            await streams.close()
            await holder.stop()
            await edge.close()

    graphql = GraphQLEndpoint(holder, settings, edge, streams)
    assets = [] if graphql.playground is None else [
        Route("/playground/{name}", graphql.playground.asset, methods=["GET"])
    ]  # fmt: skip
    other = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            *assets,
        ],
        lifespan=lifespan,
    )
    other.state.holder = holder
    return RouterApp(graphql, other, holder)


def create_app_from_env() -> RouterApp:
    """uvicorn factory for `mosaic router` and its workers (settings from MOSAIC_ROUTER_*):
    builds the app, then tunes the garbage collector for serving (router/server/gctune.py)."""
    configure_logging()
    app = create_app(RouterSettings())
    gctune.tune()
    return app
