"""Raw protocol helpers for the subscription tests: a websocket client speaking JSON messages
and a poll with a deadline (never a sleep standing in for a state)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

TIMEOUT = 10.0


async def poll(check: Callable[[], Awaitable[bool]], what: str, deadline: float = TIMEOUT) -> None:
    """Wait until `check()` holds; fails with `what` after `deadline` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def open_ws(url: str, protocol: str = "graphql-transport-ws", **headers: str) -> Any:
    return connect(
        url,
        subprotocols=[Subprotocol(protocol)],
        additional_headers=list(headers.items()),
        proxy=None,
        max_size=None,
    )


async def send(ws: ClientConnection, message: Any) -> None:
    await ws.send(message if isinstance(message, str) else json.dumps(message))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert isinstance(message, dict)
    return message


async def init(ws: ClientConnection, payload: dict[str, Any] | None = None) -> None:
    await send(ws, {"type": "connection_init", "payload": payload or {}})
    assert (await receive(ws)) == {"type": "connection_ack"}


async def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    """Read until the server closes; the close code and reason."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except Exception:  # ConnectionClosed: the point of the call
        pass
    return ws.close_code, ws.close_reason
