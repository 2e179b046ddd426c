"""Router -> subgraph subscriptions over graphql-transport-ws (the protocol Strawberry, Apollo
Server and graphql-ws serve): one websocket per upstream subscription, the caller's identity on
the upgrade request and in the `connection_init` payload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from router.executor.signing import Signer
from router.subscriptions.types import GRAPHQL_TRANSPORT_WS

# Headers that describe the upgrade itself: never copied from the client's request.
_HOP_HEADERS = frozenset(
    {"connection", "upgrade", "host", "content-length", "content-type", "accept"}
    | {"sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol"}
    | {"sec-websocket-extensions"}
)


class UpstreamError(Exception):
    """The subgraph refused or ended the subscription abnormally; `errors` go to the client."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0].get("message") if errors else "upstream error")
        self.errors = errors


def websocket_url(http_url: str) -> str:
    if http_url.startswith("https://"):
        return "wss://" + http_url[len("https://") :]
    if http_url.startswith("http://"):
        return "ws://" + http_url[len("http://") :]
    return http_url


def _failure(service: str, message: str) -> UpstreamError:
    return UpstreamError(
        [
            {
                "message": f"Subscription to subgraph '{service}' failed: {message}",
                "extensions": {"code": "SUBREQUEST_WEBSOCKET_ERROR", "service": service},
            }
        ]
    )


async def subscribe_upstream(
    service: str,
    url: str,
    payload: Mapping[str, Any],
    headers: tuple[tuple[str, str], ...],
    timeout: float,  # noqa: ASYNC109 - for the handshake only, not the whole subscription
    signer: Signer | None = None,
) -> AsyncGenerator[dict[str, Any]]:
    """Yields each `next` payload ({data, errors}) until the subgraph completes; raises
    UpstreamError when it sends `error`, closes the socket first, or cannot be reached.
    With a `signer`, the upgrade request is signed like any subgraph request (an empty body)."""
    forwarded = [(k, v) for k, v in headers if k.lower() not in _HOP_HEADERS]
    init: dict[str, Any] = {"type": "connection_init", "payload": dict(forwarded)}
    if signer is not None:
        forwarded.append(signer.header("GET", urlsplit(url).path or "/", b""))
    try:
        async with connect(
            websocket_url(url),
            subprotocols=[Subprotocol(GRAPHQL_TRANSPORT_WS)],
            additional_headers=forwarded,
            open_timeout=timeout,
            proxy=None,
            compression=None,  # per-connection zlib state costs ~100 KiB per subscription
            # Leaving early, the close handshake may queue behind events the subgraph is still
            # writing: after a second the socket is dropped instead.
            close_timeout=1.0,
            max_size=2**24,
        ) as ws:
            await ws.send(orjson.dumps(init).decode())
            await asyncio.wait_for(_acknowledged(ws, service), timeout)
            await ws.send(
                orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode()
            )
            try:
                async for raw in ws:
                    message = _message(raw, service)
                    kind = message.get("type")
                    if kind == "next" and isinstance(message.get("payload"), dict):
                        yield message["payload"]
                    elif kind == "error":
                        errors = message.get("payload")
                        raise UpstreamError(
                            [_with_service(e, service) for e in errors]
                            if isinstance(errors, list) and errors
                            else [_failure(service, "error without payload").errors[0]]
                        )
                    elif kind == "complete":
                        return
                    elif kind == "ping":
                        await ws.send('{"type":"pong"}')
            finally:
                if ws.state.name == "OPEN":  # we are leaving early: tell the subgraph politely
                    try:
                        await asyncio.wait_for(ws.send('{"id":"1","type":"complete"}'), 1.0)
                    except (ConnectionClosed, TimeoutError):
                        pass
            raise _failure(service, _closed(ws))
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else 1006
        raise _failure(service, f"connection closed ({code})") from None
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
        raise _failure(service, str(error) or type(error).__name__) from None


async def _acknowledged(ws: ClientConnection, service: str) -> None:
    async for raw in ws:
        kind = _message(raw, service).get("type")
        if kind == "connection_ack":
            return
        if kind == "ping":
            await ws.send('{"type":"pong"}')
    raise _failure(service, f"no connection_ack ({_closed(ws)})")


def _closed(ws: ClientConnection) -> str:
    code, reason = ws.close_code or 1006, ws.close_reason
    return f"connection closed ({code}{': ' + reason if reason else ''})"


def _message(raw: str | bytes, service: str) -> dict[str, Any]:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _failure(service, "a message is not JSON") from None
    if not isinstance(message, dict):
        raise _failure(service, "a message is not a JSON object")
    return message


def _with_service(error: Any, service: str) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"message": str(error), "extensions": {"service": service}}
    extensions = error.get("extensions")
    ext = dict(extensions) if isinstance(extensions, dict) else {}
    ext.setdefault("service", service)
    return {**error, "extensions": ext}
