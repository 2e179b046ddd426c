"""Raw protocol helpers for the subscription tests: a websocket client speaking JSON messages
and a poll with a deadline (never a sleep standing in for a state)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close, Frame, Opcode
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

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
    except ConnectionClosed:  # the point of the call
        pass
    return ws.close_code, ws.close_reason


class StalledClient:
    """A websocket client that reads only when told to: sans-io websockets over a socket with a
    tiny receive buffer, so the router's writes back up as soon as the client stops reading."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.protocol = ClientProtocol(
            parse_uri(url), subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None
        )

    async def __aenter__(self) -> StalledClient:
        host, port = self.url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.connect((host, int(port)))
        sock.setblocking(False)
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=8192)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        await self.events()  # the handshake response
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()

    def _flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))

    def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    async def events(self) -> list[Any]:
        """Read until the next frames (or the end); [] at the end of the stream."""
        while True:
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            found = self.protocol.events_received()
            if found or not data:
                return found

    async def read_to_close(self) -> tuple[int, list[str]]:
        """Read everything: the text messages and the close code (1006: no close frame)."""
        texts: list[str] = []
        while True:
            found = await self.events()
            if not found:
                return 1006, texts
            for frame in found:
                if isinstance(frame, Frame) and frame.opcode == Opcode.TEXT:
                    texts.append(frame.data.decode())
                elif isinstance(frame, Frame) and frame.opcode == Opcode.CLOSE:
                    self._flush()  # the protocol's reply to the server's close
                    while await self.events():  # until the server ends the TCP connection
                        pass
                    close = Close.parse(frame.data)
                    return close.code, [*texts, close.reason]
