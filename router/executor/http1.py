"""A lean HTTP/1.1 keep-alive client: one asyncio protocol per connection, parsed by httptools.

Built for the router's only outgoing HTTP traffic: POSTs of small JSON bodies to a few known
origins. Per origin an `Origin` keeps a bounded pool of connections and the request head bytes
that never change (request line, Host, Content-Type, Accept); a request adds only its
Content-Length and propagated headers. Responses may be Content-Length, chunked, or read until
the server closes; `Connection: close` and HTTP/1.0 answers are honoured. A request that a reused
keep-alive connection loses before any response byte (the server closed it as we wrote) is sent
once more on a fresh connection; a request whose response had started is never re-sent.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httptools

IDLE_SECONDS = 60.0  # an idle connection older than this is closed instead of reused
# A write (never re-sent, see `post`) takes an idle connection only this fresh. Servers close idle
# connections on their own clock (uvicorn and Node after 5 s, started before ours): a connection
# idle for nearly that long can be closed as the write travels, and the write then fails.
WRITE_IDLE_SECONDS = 2.0
KEEP_ALIVE_MARGIN = 1.0  # seconds kept off a server's announced `Keep-Alive: timeout=N`
MAX_HEAD_BYTES = 64 * 1024  # status line and headers
MAX_BODY_BYTES = 256 * 1024 * 1024
# Never propagated: they frame the request, and the client writes them itself.
FRAMING_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te"}
)
DEFAULTED_HEADERS = {
    "content-type": b"content-type: application/json\r\n",
    "accept": b"accept: application/json\r\n",
}


Captured = tuple[tuple[bytes, bytes], ...]


class HttpError(Exception):
    """The request failed at the transport or HTTP level; the message says how."""


class _Stale(HttpError):
    """The connection ended before any byte of the response: the request may be re-sent once."""


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class Connection(asyncio.Protocol):
    """One TCP (or TLS) connection; at most one request in flight."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.loop = origin.loop
        self.max_body_bytes = origin.max_body_bytes
        self.capture = origin.capture
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes, bool, Captured]] | None = None
        self.closed = False
        self.dropped = False  # left its pool (closed, or about to be)
        self.idle_since = 0.0
        self.max_idle = IDLE_SECONDS  # lowered by the server's `Keep-Alive: timeout=N`
        self.writable: asyncio.Future[None] | None = None  # set while the transport is paused
        self.partial = False  # a streamed body was cut short
        self._reset()

    def _reset(self) -> None:
        self.received = False  # any response byte since the request was written
        self.head_bytes = 0
        self.headers_done = False
        self.framed = False  # Content-Length or chunked: the body does not end at EOF
        self.encoding = b""
        self.chunks: list[bytes] = []
        self.body_bytes = 0
        self.status = 0
        self.captured: list[tuple[bytes, bytes]] | None = None

    def send(self, data: bytes) -> asyncio.Future[tuple[int, bytes, bool, Captured]]:
        """Write a request; the future gets (status, body, keep_alive, captured headers)."""
        assert self.transport is not None
        self._reset()
        self.waiter = waiter = self.loop.create_future()
        self.transport.write(data)
        return waiter

    async def send_stream(
        self, head: bytes, chunks: Iterable[bytes]
    ) -> asyncio.Future[tuple[int, bytes, bool, Captured]]:
        """`send` for a large body: written chunk by chunk, waiting whenever the transport's
        buffer is full (so memory stays flat), and stopping early if the answer (a refusal)
        or a failure came first."""
        assert self.transport is not None
        self._reset()
        self.waiter = waiter = self.loop.create_future()
        transport = self.transport
        transport.write(head)
        for chunk in chunks:
            if waiter.done() or self.closed:
                self.partial = True  # the rest of the body was never sent: not reusable
                break
            transport.write(chunk)
            writable = self.writable
            if writable is not None:
                await asyncio.wait((writable, waiter), return_when=asyncio.FIRST_COMPLETED)
        return waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        self._resume()

    def _resume(self) -> None:
        writable, self.writable = self.writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    # asyncio.Protocol

    def pause_writing(self) -> None:
        if self.writable is None:
            self.writable = self.loop.create_future()

    def resume_writing(self) -> None:
        self._resume()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            self.close()  # bytes nobody asked for: this connection can no longer be trusted
            return
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(HttpError("invalid HTTP response: unexpected protocol upgrade"))
            return
        except httptools.HttpParserError as error:
            self._fail(HttpError(f"invalid HTTP response: {error}"))
            return
        if not self.headers_done:
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:  # still no end of the head after this much
                self._fail(HttpError(f"response head larger than {MAX_HEAD_BYTES} bytes"))

    def eof_received(self) -> bool:
        self.closed = True  # the server sends nothing more: no later request can be answered
        waiter = self.waiter
        if waiter is not None and not waiter.done() and self.headers_done and not self.framed:
            self._finish(keep_alive=False)  # a body delimited by the end of the connection
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._resume()
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            if self.received:
                waiter.set_exception(HttpError("server closed the connection mid-response"))
            else:
                waiter.set_exception(_Stale("server closed the connection before answering"))
        else:
            self.origin.lost(self)

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self.waiter is not None and self.waiter.done():
            self.close()  # more than one answer to one request: never reuse this connection

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-length" or name == b"transfer-encoding":
            self.framed = True
        elif name == b"content-encoding":
            self.encoding = value.strip().lower()
        elif name == b"keep-alive":
            self.max_idle = _announced_idle(value)
        elif name in self.capture:
            if self.captured is None:
                self.captured = []
            self.captured.append((name, bytes(value)))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        if self.body_bytes > self.max_body_bytes:
            self._fail(HttpError(f"response body larger than {self.max_body_bytes} bytes"))
            return
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200:  # an interim answer (e.g. 100 Continue): the real one follows
            self._reset()
            self.received = True
            return
        self._finish(self.parser.should_keep_alive())

    def _finish(self, keep_alive: bool) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        body = b"".join(self.chunks) if len(self.chunks) != 1 else self.chunks[0]
        self.chunks = []
        if self.encoding and self.encoding != b"identity":
            try:
                body = _decode(body, self.encoding)
            except (ValueError, zlib.error) as error:
                waiter.set_exception(HttpError(f"undecodable response body: {error}"))
                return
        captured = tuple(self.captured) if self.captured else ()
        waiter.set_result((self.status, body, keep_alive, captured))

    def _fail(self, error: HttpError) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self.close()


def _announced_idle(value: bytes) -> float:
    """How long a connection may idle given the server's `Keep-Alive: timeout=N, max=M`: a
    margin under N, so that we stop using it before the server closes it."""
    for part in value.split(b","):
        name, _, number = part.strip().partition(b"=")
        if name.strip().lower() == b"timeout":
            try:
                return max(0.0, min(IDLE_SECONDS, float(number) - KEEP_ALIVE_MARGIN))
            except ValueError:
                break
    return IDLE_SECONDS


def _decode(body: bytes, encoding: bytes) -> bytes:
    if encoding in (b"gzip", b"x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == b"deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some servers send
    raise ValueError(f"unsupported content-encoding {encoding.decode('latin-1')!r}")


class Origin:
    """POSTs to one URL over a bounded pool of keep-alive connections."""

    def __init__(
        self,
        url: str,
        timeout: float = 30.0,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        capture: frozenset[bytes] = frozenset(),
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"unsupported URL {url!r}")
        secure = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if secure else 80)
        self.ssl: ssl.SSLContext | None = None
        if secure:
            self.ssl = ssl_context or ssl.create_default_context()
        self.timeout = timeout  # seconds for a whole request: pool wait, connect, answer
        self.max_connections = max(1, max_connections)
        self.max_body_bytes = max_body_bytes
        self.capture = capture  # response header names (lower case) returned with the body
        host = f"[{self.host}]" if ":" in self.host else self.host.encode("idna").decode()
        if parts.port is not None and parts.port != (443 if secure else 80):
            host = f"{host}:{parts.port}"
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        self.target = target  # what request signatures cover as the path
        self.request_line = f"POST {target} HTTP/1.1\r\nhost: {host}\r\n".encode("latin-1")
        self.head = self.request_line + b"".join(DEFAULTED_HEADERS.values())
        self.idle: list[Connection] = []  # most recently used last
        self.size = 0  # open or opening connections, idle or busy
        self.waiters: deque[asyncio.Future[Connection | None]] = deque()
        self.closing = False  # closed: busy connections close when their request ends
        self.loop = asyncio.get_running_loop()

    def encode(
        self, body: bytes, headers: tuple[tuple[str, str], ...], request_id: str = ""
    ) -> bytes:
        """The whole request: the prepared head, Content-Length, propagated headers, the
        x-request-id (a token the router made or checked), body."""
        if not headers:
            if request_id:
                return b"%scontent-length: %d\r\nx-request-id: %s\r\n\r\n%s" % (
                    self.head,
                    len(body),
                    request_id.encode("latin-1"),
                    body,
                )
            return b"%scontent-length: %d\r\n\r\n%s" % (self.head, len(body), body)
        head = self.head
        extra = []
        if request_id:
            extra.append(b"x-request-id: %s\r\n" % request_id.encode("latin-1"))
        for name, value in headers:
            lowered = name.lower()
            if lowered in FRAMING_HEADERS or "\r" in value or "\n" in value:
                continue
            if lowered in DEFAULTED_HEADERS:  # a propagated value replaces the default
                head = head.replace(DEFAULTED_HEADERS[lowered], b"")
            extra.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
        return b"%scontent-length: %d\r\n%s\r\n%s" % (head, len(body), b"".join(extra), body)

    def stream_head(
        self,
        content_type: str,
        length: int,
        headers: tuple[tuple[str, str], ...],
        request_id: str = "",
    ) -> bytes:
        """The head of a request whose body is streamed (an upload): `encode` without the body,
        with its own Content-Type."""
        head = self.head.replace(
            DEFAULTED_HEADERS["content-type"], f"content-type: {content_type}\r\n".encode()
        )
        extra = [b"content-length: %d\r\n" % length]
        if request_id:
            extra.append(b"x-request-id: %s\r\n" % request_id.encode("latin-1"))
        for name, value in headers:
            lowered = name.lower()
            if (
                lowered in FRAMING_HEADERS
                or lowered == "content-type"
                or "\r" in value
                or "\n" in value
            ):
                continue
            if lowered in DEFAULTED_HEADERS:
                head = head.replace(DEFAULTED_HEADERS[lowered], b"")
            extra.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
        return head + b"".join(extra) + b"\r\n"

    async def post_stream(
        self, head: bytes, chunks: Iterable[bytes], retry: bool = False
    ) -> tuple[int, bytes, Captured]:
        """`post` of a streamed body (`chunks` is iterated once per attempt, so it must be
        re-iterable when `retry` is set)."""
        loop = self.loop
        deadline = loop.time() + self.timeout
        conn = self._idle(IDLE_SECONDS if retry else WRITE_IDLE_SECONDS)
        reused = conn is not None
        if conn is None:
            conn, reused = await self._acquire(deadline)
        retried = False
        while True:
            waiter: asyncio.Future[tuple[int, bytes, bool, Captured]] | None = None
            try:
                async with asyncio.timeout_at(deadline):
                    waiter = await conn.send_stream(head, chunks)
                    status, body, keep_alive, captured = await waiter
            except _Stale:
                self._drop(conn)
                if not reused or retried or not retry:
                    raise
                retried = True
                conn, reused = await self._acquire(deadline)
                continue
            except BaseException:
                if waiter is not None and not waiter.done():
                    waiter.cancel()
                self._drop(conn)
                raise
            self._release(conn, keep_alive and not conn.partial)
            return status, body, captured

    async def post(self, data: bytes, retry: bool = True) -> tuple[int, bytes, Captured]:
        """Send an encoded request; (status, body, captured response headers).
        Raises HttpError or TimeoutError.

        With `retry`, a request lost on a reused connection that ended before any response byte
        is sent once more; without it (a mutation: the subgraph may have run it) it fails."""
        loop = self.loop
        deadline = loop.time() + self.timeout
        conn = self._idle(IDLE_SECONDS if retry else WRITE_IDLE_SECONDS)
        reused = conn is not None
        if conn is None:
            conn, reused = await self._acquire(deadline)
        retried = False
        while True:
            waiter = conn.send(data)
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                status, body, keep_alive, captured = await waiter
            except _Stale:
                self._drop(conn)
                if not reused or retried or not retry:
                    raise
                retried = True  # once, on a fresh connection if the bound allows
                conn, reused = await self._acquire(deadline)
                continue
            except BaseException:
                self._drop(conn)
                raise
            finally:
                timer.cancel()
            self._release(conn, keep_alive)
            return status, body, captured

    def _idle(self, limit: float = IDLE_SECONDS) -> Connection | None:
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.closed and self.loop.time() - conn.idle_since < min(limit, conn.max_idle):
                return conn
            self._drop(conn)
        return None

    async def _acquire(self, deadline: float) -> tuple[Connection, bool]:
        """An idle connection, a new one, or (at the bound) the next one released."""
        while True:
            if self.size < self.max_connections:
                return await self._connect(deadline), False
            waiter: asyncio.Future[Connection | None] = self.loop.create_future()
            self.waiters.append(waiter)
            timer = self.loop.call_at(deadline, _expire, waiter)
            try:
                conn = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    handed = waiter.result()  # handed over as we were cancelled: pass it on
                    if handed is not None:
                        self._release(handed, True)
                    else:
                        self._wake()
                raise
            finally:
                timer.cancel()
            if conn is not None:
                return conn, True
            # A connection closed and freed a slot: open a new one (next loop turn).

    async def _connect(self, deadline: float) -> Connection:
        self.size += 1
        try:
            async with asyncio.timeout_at(deadline):
                _, conn = await self.loop.create_connection(
                    lambda: Connection(self),
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl is not None else None,
                )
        except BaseException as error:
            self.size -= 1
            self._wake()
            if isinstance(error, Exception) and not isinstance(error, TimeoutError):
                reason = str(error) or type(error).__name__
                raise HttpError(f"cannot connect to {self.host}:{self.port}: {reason}") from error
            raise
        return conn

    def _release(self, conn: Connection, keep_alive: bool) -> None:
        conn.waiter = None
        if not keep_alive or conn.closed or self.closing:
            self._drop(conn)
            return
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        conn.idle_since = self.loop.time()
        self.idle.append(conn)

    def _drop(self, conn: Connection) -> None:
        """Close a connection and free its slot (once)."""
        if conn.dropped:
            return
        conn.dropped = True
        conn.close()
        self.size -= 1
        self._wake()

    def _wake(self) -> None:
        while self.waiters and self.size < self.max_connections:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def lost(self, conn: Connection) -> None:
        """An idle connection was closed by the server: forget it."""
        if conn.dropped:
            return
        if conn in self.idle:
            self.idle.remove(conn)
        self._drop(conn)

    def close(self) -> None:
        self.closing = True
        idle, self.idle = self.idle, []
        for conn in idle:
            self._drop(conn)
