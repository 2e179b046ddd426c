"""The websocket on /graphql: the subprotocol the client offers picks the protocol handler."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from router.server.edge import Refused
from router.subscriptions.adapter import ASGIWebSocket
from router.subscriptions.connection import Connection
from router.subscriptions.legacy_ws import LegacyWSConnection
from router.subscriptions.service import Streams
from router.subscriptions.transport_ws import TransportWSConnection
from router.subscriptions.types import GRAPHQL_TRANSPORT_WS, GRAPHQL_WS_LEGACY

PROTOCOLS: dict[str, type[Connection]] = {
    GRAPHQL_TRANSPORT_WS: TransportWSConnection,
    GRAPHQL_WS_LEGACY: LegacyWSConnection,
}
SUBPROTOCOL_NOT_ACCEPTABLE = 4406


async def serve_websocket(streams: Streams, scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    client = scope.get("client") or ("", 0)
    try:
        streams.edge.check_address(str(client[0]))
    except Refused:
        await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
        return
    offered = [p.strip() for p in scope.get("subprotocols") or ()]
    ws = ASGIWebSocket(scope, receive, send)
    chosen = next((p for p in (GRAPHQL_TRANSPORT_WS, GRAPHQL_WS_LEGACY) if p in offered), None)
    if chosen is None:  # graphql-ws servers accept, then say why they close
        await ws.accept(None)
        await ws.close(
            SUBPROTOCOL_NOT_ACCEPTABLE,
            f"Subprotocol not acceptable: offer {GRAPHQL_TRANSPORT_WS} or {GRAPHQL_WS_LEGACY}",
        )
        return
    await ws.accept(chosen)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", ())]
    await PROTOCOLS[chosen](ws, streams, headers, str(client[0])).run()
