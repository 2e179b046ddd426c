"""The app factory: a Starlette app serving one subgraph.

- `POST|GET /graphql` and websockets (graphql-transport-ws) on `/graphql`
- `GET /health`: the process is alive
- `GET /ready`: its dependencies answer (database, event bus, and any the subgraph adds)

Resources (database engine, event bus, token verifier) live for the app's lifespan in a
`Runtime`; each request gets a fresh `Context` with fresh DataLoaders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from db import Database
from subgraphs.common.auth import TokenVerifier, key_set_from_settings
from subgraphs.common.context import Context
from subgraphs.common.events import EventBus, event_bus_from_settings
from subgraphs.common.outbox import OutboxRelay
from subgraphs.common.settings import Settings, get_settings
from subgraphs.common.signing import RedisNonces, SignatureMiddleware, Verifier
from subgraphs.common.unit_of_work import request_correlation_id

log = logging.getLogger("mosaic.subgraph")


@dataclass(frozen=True)
class Runtime:
    """What one subgraph process holds for its lifetime."""

    name: str
    settings: Settings
    db: Database
    events: EventBus
    verifier: TokenVerifier
    relay: OutboxRelay


LoadersFactory = Callable[[Runtime], Any]


def _correlation_id(header: str | None) -> str | None:
    """A client's request id, if it is a short printable token (it lands in every event)."""
    if header is None or not 0 < len(header) <= 200 or not header.isprintable():
        return None
    return header


RoutesFactory = Callable[[Runtime], Sequence[BaseRoute]]
ReadyCheck = Callable[[], Awaitable[None]]  # raises when its part cannot be used


class SubgraphGraphQL(GraphQL[Context[Any], None]):
    def __init__(
        self,
        schema: Schema,
        runtime: Runtime,
        loaders: LoadersFactory,
        *,
        multipart_uploads: bool = False,
    ) -> None:
        super().__init__(
            schema,
            # Strawberry's GraphiQL loads its scripts from a CDN; browsers use the router's
            # playground (assets served locally) instead.
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # Off by default (Strawberry's advice): only a subgraph with `Upload` fields
            # accepts multipart requests (the GraphQL multipart request spec).
            multipart_uploads_enabled=multipart_uploads,
        )
        self.runtime = runtime
        self.loaders = loaders

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context[Any]:
        runtime = self.runtime
        request_correlation_id.set(_correlation_id(request.headers.get("x-request-id")))
        return Context(
            request=request,
            response=response,
            settings=runtime.settings,
            db=runtime.db,
            events=runtime.events,
            loaders=self.loaders(runtime),
            verifier=runtime.verifier,
        )


def lazy_app(build: Callable[[Settings], Starlette]) -> Callable[[str], Starlette]:
    """A subgraph module's `__getattr__`: its `app` (what `uvicorn subgraphs.NAME.app:app`
    serves) is built from the process settings on first access, once, so that importing the
    module (tests, tools) reads no settings."""

    @cache
    def app() -> Starlette:
        return build(get_settings())

    def module_getattr(name: str) -> Starlette:
        if name == "app":
            return app()
        raise AttributeError(name)

    return module_getattr


def create_app(
    *,
    name: str,
    schema: Schema,
    settings: Settings,
    loaders: LoadersFactory,
    routes: RoutesFactory | None = None,
    events: EventBus | None = None,
    multipart_uploads: bool = False,
    on_close: Sequence[Callable[[], Awaitable[None]]] = (),
    ready_checks: Mapping[str, ReadyCheck] | None = None,
) -> Starlette:
    """The ASGI app of subgraph `name`. `loaders(runtime)` builds the per-request loaders;
    `routes(runtime)` may add HTTP routes (e.g. the users subgraph's JWKS);
    `multipart_uploads` accepts multipart requests (file uploads) on `/graphql`;
    `on_close` closes what the subgraph holds besides the runtime (e.g. a storage client);
    `ready_checks` adds parts `/ready` checks, by the name it reports (e.g. "storage")."""
    url = settings.database_url_for(name)
    db = Database.from_url(url, echo=settings.database_echo)
    bus = events or event_bus_from_settings(settings)
    runtime = Runtime(
        name=name,
        settings=settings,
        db=db,
        events=bus,
        verifier=TokenVerifier(settings, key_set_from_settings(settings)),
        # An engine of its own: the relay never waits for (or takes) a request's connection.
        relay=OutboxRelay(Database.from_url(url), bus, interval=settings.outbox_relay_interval),
    )
    graphql = SubgraphGraphQL(schema, runtime, loaders, multipart_uploads=multipart_uploads)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "subgraph": name})

    checks: dict[str, ReadyCheck] = {
        "database": runtime.db.ping,
        "events": runtime.events.ping,
        **(ready_checks or {}),
    }

    async def ready(_: Request) -> Response:
        problems: dict[str, str] = {}
        for part, check in checks.items():
            try:
                await check()
            except Exception as error:  # any failure means "not ready"; say which part
                problems[part] = type(error).__name__
        status = 503 if problems else 200
        return JSONResponse({"status": "unavailable" if problems else "ready", **problems}, status)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # What a crashed process committed but never published goes out before serving.
        try:
            await runtime.relay.drain()
        except Exception:
            log.warning("outbox not drained at start-up; the relay keeps trying", exc_info=True)
        relay = asyncio.create_task(runtime.relay.run(), name=f"{name}-outbox-relay")
        try:
            yield
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            for close in on_close:
                await close()
            await runtime.events.close()
            if verifier is not None:
                await verifier.nonces.close()
            await runtime.relay.db.dispose()
            await runtime.db.dispose()

    if settings.signed_requests_required and not settings.router_signing_key:
        raise RuntimeError(
            "MOSAIC_ROUTER_SIGNING_KEY is required when signed requests are required "
            "(MOSAIC_ENV=production or MOSAIC_REQUIRE_SIGNED_REQUESTS=true)"
        )
    verifier = (
        Verifier(
            settings.router_signing_key,
            settings.signature_max_age_seconds,
            # With Redis, every replica sees every nonce: a replay to another one is refused.
            RedisNonces(settings.redis_url) if settings.redis_url else None,
        )
        if settings.router_signing_key
        else None
    )
    app = Starlette(
        middleware=[
            Middleware(
                SignatureMiddleware, verifier=verifier, required=settings.signed_requests_required
            )
        ],
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            *(routes(runtime) if routes else ()),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
