"""The small websocket surface the protocol handlers are written against, and its ASGI form.

The handlers never see ASGI: a test or another server can drive them through this protocol."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from starlette.types import Receive, Scope, Send


class Disconnected(Exception):
    """The peer went away (or the socket was closed)."""


class WebSocket(Protocol):
    async def receive(self) -> str:
        """The next text message (a binary one is decoded); raises Disconnected."""
        ...

    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class ASGIWebSocket:
    """An accepted ASGI websocket. `send` waits while the client's socket is not writable
    (uvicorn's flow control), which is what lets a per-client queue fill up and be noticed."""

    CLOSE_WAIT = 5.0  # seconds a close may wait for a client that no longer reads

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.closed = False

    async def accept(self, subprotocol: str | None) -> None:
        await self._send({"type": "websocket.accept", "subprotocol": subprotocol})

    async def receive(self) -> str:
        if self.closed:
            raise Disconnected
        message = await self._receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            return str(text)
        self.closed = True
        raise Disconnected

    async def send(self, text: str) -> None:
        if self.closed:
            raise Disconnected
        try:
            await self._send({"type": "websocket.send", "text": text})
        except (OSError, RuntimeError) as error:  # uvicorn's ClientDisconnected is an OSError
            self.closed = True
            raise Disconnected from error

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        # A client that stopped reading keeps the socket unwritable: then give up waiting and
        # let the server drop the connection when the app returns.
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            await asyncio.wait_for(
                self._send({"type": "websocket.close", "code": code, "reason": reason[:120]}),
                self.CLOSE_WAIT,
            )
