"""The router's ASGI app: GraphQL over HTTP (POST and GET) on a lean ASGI handler for the hot
path, and Starlette for /health, /ready and the lifespan (hot-reload watcher)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from router.persisted.documents import PersistedDocuments
from router.server import gctune
from router.server.edge import Edge, Refused
from router.server.pipeline import GraphQLRequest
from router.server.pipeline import Response as GraphQLResponse
from router.server.playground import CSP, Playground
from router.server.playground import enabled as playground_enabled
from router.server.reload import StateHolder
from router.settings import RouterSettings
from router.subscriptions.http_streams import StreamFormat, stream, stream_format
from router.subscriptions.service import Streams
from router.subscriptions.websocket import serve_websocket

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
PLAN_HEADER = "x-mosaic-query-plan"
PLAN_HEADER_BYTES = PLAN_HEADER.encode()
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
    send: Send, status: int, body: bytes, media: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", MEDIA_BYTES[media]), (b"content-length", b"%d" % len(body))]
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class GraphQLEndpoint:
    """POST/GET /graphql per GraphQL over HTTP, reading only what it needs from the scope."""

    def __init__(
        self, holder: StateHolder, settings: RouterSettings, edge: Edge, streams: Streams
    ) -> None:
        self.holder = holder
        self.settings = settings
        self.edge = edge
        self.streams = streams
        self.playground = Playground() if playground_enabled(settings) else None
        propagate = {h.encode() for h in settings.propagate_headers}
        if edge.claims_header:  # only the router may say what the claims are
            propagate.discard(edge.claims_header.encode())
        self.propagate = frozenset(propagate)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "POST"):
            await _send(
                send, 405, _error_body("Use GET or POST."), JSON, [(b"allow", b"GET, POST")]
            )
            return
        edge = self.edge
        client = scope.get("client")
        address = client[0] if client else ""
        if edge.ip_filter is not None:
            try:
                edge.check_address(address)
            except Refused as refused:
                await _send(send, refused.status, _error_body(refused.message, refused.code), JSON)
                return
        accept = content_type = authorization = plan_header = cookie = ""
        forwarded: list[tuple[str, str]] = []
        propagate = self.propagate
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == PLAN_HEADER_BYTES:
                plan_header = value.decode("latin-1").lower()
            elif name == b"cookie":
                cookie = value.decode("latin-1")
            if name == b"authorization":
                authorization = value.decode("latin-1")
            if name in propagate:
                forwarded.append((name.decode("latin-1"), value.decode("latin-1")))
        if method == "GET" and self.playground is not None and "text/html" in accept:
            await self._playground(self.playground, send)
            return
        media = _media_type(accept)
        fmt = stream_format(accept) if "event-stream" in accept or "multipart" in accept else None
        if media is None and fmt is None:
            body = _error_body("Accept application/graphql-response+json or application/json.")
            await _send(send, 406, body, JSON)
            return
        params: Any
        if method == "GET":
            query_string = scope.get("query_string", b"").decode("latin-1")
            raw = {k: v[0] for k, v in parse_qs(query_string).items()}
            params = {"query": raw.get("query"), "operationName": raw.get("operationName")}
            for name in ("variables", "extensions"):
                if raw.get(name):
                    try:
                        params[name] = orjson.loads(raw[name])
                    except orjson.JSONDecodeError:
                        await _send(send, 400, _error_body(f"{name} is not valid JSON."), JSON)
                        return
        else:
            if content_type and "json" not in content_type:
                await _send(send, 415, _error_body("POST bodies must be application/json."), JSON)
                return
            chunks: list[bytes] = []
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            try:
                params = orjson.loads(b"".join(chunks))
            except orjson.JSONDecodeError:
                await _send(send, 400, _error_body("The request body is not valid JSON."), JSON)
                return
        problem = _check_params(params)
        if problem:
            await _send(send, 400, _error_body(problem), JSON)
            return
        query = params.get("query")
        claims = None
        if edge.always or "extensions" in params:
            try:
                admitted = await edge.admit(params, address, authorization, cookie)
            except Refused as refused:
                status = refused.status
                if media == JSON and status == 400:
                    status = 200  # as below: application/json answers well-formed requests 200
                body = _error_body(refused.message, refused.code)
                await _send(send, status, body, media or JSON, refused.headers)
                return
            query, claims = admitted.query, admitted.claims
            if admitted.forwarded:
                forwarded += admitted.forwarded
                if not authorization and claims is not None:
                    authorization = f"Bearer {claims.token}"
        if not isinstance(query, str) or not query:
            await _send(send, 400, _error_body("The request has no query string."), JSON)
            return
        request = GraphQLRequest(
            query=query,
            operation_name=params.get("operationName") or None,
            variables=params.get("variables") or {},
            headers=tuple(forwarded),
            claims=claims,
            caller=authorization,
            method=method,
            want_plan=self.settings.expose_query_plan and plan_header in ("1", "true"),
        )
        if fmt is not None:  # SSE or multipart: subscriptions (and anything else) as a stream
            await self._stream(fmt, request, address, receive, send, media)
            return
        assert media is not None
        outcome = await self.holder.current.handle(request)
        status = outcome.status
        if media == JSON and status == 400:
            status = 200  # application/json: well-formed requests get 200 (GraphQL over HTTP)
        extra = [(b"allow", b"POST")] if status == 405 else None
        await _send(send, status, outcome.encoded(), media, extra)

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
        self,
        fmt: StreamFormat,
        request: GraphQLRequest,
        address: str,
        receive: Receive,
        send: Send,
        media: str | None,
    ) -> None:
        streams = self.streams
        caller = streams.caller_key(request.caller, address)
        if not streams.open(caller):
            limit = self.settings.max_connections_per_caller
            body = _error_body(f"Too many open streams for this caller (limit {limit}).",
                               "RATE_LIMITED")  # fmt: skip
            await _send(send, 429, body, JSON)
            return
        result = await streams.start(request)
        if isinstance(result, GraphQLResponse) and "data" not in result.body:
            streams.release(caller)  # refused before execution: a plain JSON answer
            await _send(send, result.status, result.encoded(), media or JSON)
            return
        heartbeat = self.settings.subscription_heartbeat
        await stream(fmt, result, receive, send, heartbeat, lambda: streams.release(caller))


def _check_params(params: Any) -> str | None:
    if not isinstance(params, dict):
        return "The request body must be a JSON object."
    query = params.get("query")
    if query is not None and not isinstance(query, str):
        return "query must be a string."
    if not query and not isinstance(params.get("extensions"), dict):
        return "The request has no query string."
    if not isinstance(params.get("variables") or {}, dict):
        return "variables must be a JSON object."
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return "operationName must be a string."
    return None


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
    holder = StateHolder(settings)

    async def health(_: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON)

    edge = Edge(settings)
    streams = Streams(holder, settings, edge)

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
    app = create_app(RouterSettings())
    gctune.tune()
    return app
