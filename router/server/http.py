"""uvicorn's httptools protocol, writing each response with a known length in one go.

uvicorn writes the status line and headers when the app sends `http.response.start`, and the body
with `http.response.body`: two socket writes, so two syscalls and two TCP segments per response,
and a client that wakes up twice. The router always sends a complete body with a Content-Length
right after the headers, so here the header bytes are held back and written together with the
body (one `writelines`, one `writev`). Everything else (chunked bodies, HEAD, 1xx, errors,
keep-alive, flow control) stays uvicorn's own code.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle


class _Capture:
    """Stands in for the transport while uvicorn writes the header block."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.chunks.append(data)


class _Prepend:
    """Stands in for the transport while uvicorn writes the body: the held headers go first."""

    def __init__(self, transport: Any, head: bytes) -> None:
        self.transport = transport
        self.head: bytes | None = head

    def write(self, data: bytes) -> None:
        if self.head is None:
            self.transport.write(data)
        else:
            self.transport.writelines((self.head, data))
            self.head = None

    def flush(self) -> None:
        if self.head is not None:
            if not self.transport.is_closing():
                self.transport.write(self.head)
            self.head = None

    def __getattr__(self, name: str) -> Any:  # close(), is_closing(), ...
        self.flush()
        return getattr(self.transport, name)


class OneWriteCycle(RequestResponseCycle):
    _held: bytes | None = None

    async def send(self, message: Any) -> None:
        kind = message["type"]
        if kind == "http.response.start" and not self.response_started:
            transport = self.transport
            capture = _Capture()
            self.transport = capture  # type: ignore[assignment]
            try:
                await super().send(message)
            finally:
                self.transport = transport
            head = b"".join(capture.chunks)
            if self.chunked_encoding is False and self.expected_content_length > 0:
                self._held = head  # written with the body
            else:
                transport.write(head)
            return
        if kind == "http.response.body" and self._held is not None:
            transport = self.transport
            prepend = _Prepend(transport, self._held)
            self._held = None
            self.transport = prepend  # type: ignore[assignment]
            try:
                await super().send(message)
            finally:
                self.transport = transport
                prepend.flush()
            return
        await super().send(message)


class RouterHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose request cycles write a response's headers and body at once."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        # uvicorn created the cycle (its ASGI task has not run yet): give it the one-write send.
        if type(self.cycle) is RequestResponseCycle:
            self.cycle.__class__ = OneWriteCycle
