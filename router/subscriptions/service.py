"""What every client transport (websockets, SSE, multipart) calls: one operation becomes either
one response (queries and mutations, through the router's normal path) or a subscriber of the
hub (subscriptions); plus the per-caller connection limit those long-lived transports share."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from router.pipeline import GraphQLRequest, RequestError
from router.pipeline import GraphQLResponse as Response
from router.server.edge import Edge
from router.server.reload import StateHolder
from router.settings import RouterSettings
from router.subscriptions.hub import Hub, Unauthorized
from router.subscriptions.queue import Subscriber


class Streams:
    def __init__(self, holder: StateHolder, settings: RouterSettings, edge: Edge) -> None:
        self.holder = holder
        self.settings = settings
        self.edge = edge  # authentication, rate limits, persisted documents: as for HTTP
        # Only the router may say what the claims are (as on the HTTP path).
        self.propagate = frozenset(settings.propagate_headers) - {edge.claims_header}
        self.hub = Hub(
            lambda: holder.current,
            queue_limit=settings.subscription_queue,
            max_subscriptions=settings.max_subscriptions,
            timeout=settings.subgraph_timeout,
        )
        holder.on_reload.append(self.hub.reloaded)
        self.connections: Counter[str] = Counter()

    def forwarded(self, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """The headers propagated to subgraphs, in the router's configured order."""
        found: dict[str, str] = {}
        for name, value in pairs:
            lower = name.lower()
            if lower in self.propagate and isinstance(value, str):
                found[lower] = value
        return tuple(
            (name, found[name])
            for name in self.settings.propagate_headers
            if name in found and name in self.propagate
        )

    async def start(self, request: GraphQLRequest) -> Response | Subscriber:
        state = self.holder.current
        try:
            prepared = await state.prepare(request)
            if prepared.kind == "subscription":
                return await self.hub.subscribe(request)
        except RequestError as error:
            body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
            return Response(error.status, body, request)
        except Unauthorized as refused:  # one response, as a query would get; then complete
            return Response(200, refused.body, request)
        return await state.process(request)

    # -- connections per caller -------------------------------------------------------------
    @staticmethod
    def caller_key(authorization: str, client: str) -> str:
        """Who holds a connection: the token (hashed: never kept in clear) or the client IP."""
        if authorization:
            return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
        return "ip:" + client

    def open(self, caller: str) -> bool:
        if self.connections[caller] >= self.settings.max_connections_per_caller:
            return False
        self.connections[caller] += 1
        return True

    def release(self, caller: str) -> None:
        self.connections[caller] -= 1
        if self.connections[caller] <= 0:
            del self.connections[caller]

    async def close(self) -> None:
        await self.hub.close()
