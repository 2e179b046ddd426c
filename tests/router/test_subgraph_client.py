"""The router's subgraph HTTP client (router/executor/client.py over http1.py) against real
servers started here: keep-alive reuse, stale connections, framing, failures, the pool bound,
TLS. Raw asyncio servers script the byte-level cases; an aiohttp server is the real-world one."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
import uvloop
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from router.executor import SubgraphClients, SubgraphFailure
from router.executor.http1 import (
    IDLE_SECONDS,
    KEEP_ALIVE_MARGIN,
    WRITE_IDLE_SECONDS,
    Origin,
    _announced_idle,
)
from tests.utils.servers import free_port

ANSWER = orjson.dumps({"data": {"ok": True}})
QUERY = orjson.dumps({"query": "{ ok }"})

Handler = Callable[["Conn"], Awaitable[None]]


@dataclass
class Request:
    head: list[str]  # request line, then header lines
    body: bytes

    def header(self, name: str) -> list[str]:
        prefix = name.lower() + ":"
        return [h.split(":", 1)[1].strip() for h in self.head[1:] if h.lower().startswith(prefix)]


@dataclass
class Conn:
    """One accepted connection of a RawServer, as its handler sees it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    server: RawServer
    index: int  # 0 for the first accepted connection

    async def read_request(self) -> Request | None:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")[:-2]
        request = Request(lines, b"")
        length = int((request.header("content-length") or ["0"])[0])
        request.body = await self.reader.readexactly(length)
        self.server.requests.append(request)
        return request

    async def send(self, *parts: bytes) -> None:
        for part in parts:
            self.writer.write(part)
            await self.writer.drain()


@dataclass
class RawServer:
    """asyncio.start_server on loopback; `handler` scripts each connection byte by byte."""

    handler: Handler
    port: int = 0
    accepted: int = 0
    requests: list[Request] = field(default_factory=list)
    ssl: ssl.SSLContext | None = None
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index, self.accepted = self.accepted, self.accepted + 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self.handler(Conn(reader, writer, self, index))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the test is over
        finally:
            self._handlers.discard(task)
            writer.close()

    async def __aenter__(self) -> RawServer:
        self.port = free_port()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, ssl=self.ssl)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/graphql"


def response(body: bytes = ANSWER, *extra: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", "content-type: application/json", *extra]
    if not any(h.lower().startswith(("transfer-encoding", "content-length")) for h in extra):
        head.append(f"content-length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def keep_answering(conn: Conn) -> None:
    while await conn.read_request() is not None:
        await conn.send(response())


@pytest_asyncio.fixture
async def clients() -> AsyncIterator[Callable[..., SubgraphClients]]:
    made: list[SubgraphClients] = []

    def make(url: str, **options: Any) -> SubgraphClients:
        client = SubgraphClients({"sub": url}, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def failure(client: SubgraphClients, body: bytes = QUERY) -> SubgraphFailure:
    with pytest.raises(SubgraphFailure) as caught:
        await client.post("sub", body)
    assert caught.value.code == "SUBREQUEST_HTTP_ERROR"
    return caught.value


async def test_one_connection_serves_sequential_requests(clients: Any) -> None:
    async with RawServer(keep_answering) as server:
        client = clients(server.url)
        for i in range(20):
            body = orjson.dumps({"query": "{ ok }", "variables": {"i": i}})
            assert await client.post("sub", body, (("authorization", "Bearer t"),)) == {
                "data": {"ok": True}
            }
        assert server.accepted == 1
        assert len(server.requests) == 20
        last = server.requests[-1]
        assert last.head[0] == "POST /graphql HTTP/1.1"
        assert last.header("host") == [f"127.0.0.1:{server.port}"]
        assert last.header("content-type") == ["application/json"]
        assert last.header("accept") == ["application/json"]
        assert last.header("authorization") == ["Bearer t"]
        assert orjson.loads(last.body)["variables"] == {"i": 19}


async def test_propagated_headers_replace_defaults_but_never_framing(clients: Any) -> None:
    async with RawServer(keep_answering) as server:
        client = clients(server.url)
        headers = (
            ("accept", "application/graphql-response+json"),
            ("content-length", "999"),
            ("x-evil", "a\r\nx-injected: 1"),
            ("x-tenant", "t1"),
        )
        assert await client.post("sub", QUERY, headers) == {"data": {"ok": True}}
        (request,) = server.requests
        assert request.header("accept") == ["application/graphql-response+json"]
        assert request.header("content-type") == ["application/json"]
        assert request.header("content-length") == [str(len(QUERY))]
        assert request.header("x-tenant") == ["t1"]
        assert request.header("x-evil") == [] and request.header("x-injected") == []


async def test_idle_connection_closed_by_server_is_replaced(clients: Any) -> None:
    async def answer_once_then_close(conn: Conn) -> None:
        if await conn.read_request() is not None:
            await conn.send(response())  # keep-alive answer, then the server closes anyway

    async with RawServer(answer_once_then_close) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        await asyncio.sleep(0.05)  # the close reaches the idle connection
        assert await client.post("sub", QUERY + b" ") == {"data": {"ok": True}}
        assert server.accepted == 2 and len(server.requests) == 2


async def test_request_lost_on_stale_connection_is_sent_once_more(clients: Any) -> None:
    async def second_request_dropped(conn: Conn) -> None:
        # The first connection answers one request, then reads the next and closes without a
        # byte, as a server whose keep-alive timeout fires while the request is on the way.
        while await conn.read_request() is not None:
            if conn.index == 0 and len(conn.server.requests) == 2:
                return
            await conn.send(response())

    async with RawServer(second_request_dropped) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        assert await client.post("sub", QUERY + b" ") == {"data": {"ok": True}}
        assert server.accepted == 2
        assert [r.body for r in server.requests] == [QUERY, QUERY + b" ", QUERY + b" "]


async def test_a_mutation_lost_on_a_stale_connection_is_not_sent_again(clients: Any) -> None:
    async def second_request_dropped(conn: Conn) -> None:
        while await conn.read_request() is not None:
            if conn.index == 0 and len(conn.server.requests) == 2:
                return  # the subgraph may have run it: re-sending could write twice
            await conn.send(response())

    async with RawServer(second_request_dropped) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        with pytest.raises(SubgraphFailure) as caught:
            await client.post("sub", b'{"query":"mutation{x}"}', (), idempotent=False)
        assert caught.value.message == (
            "HTTP fetch failed from 'sub': server closed the connection before answering"
        )
        assert server.accepted == 1 and len(server.requests) == 2


def age_idle_connections(client: SubgraphClients, seconds: float) -> None:
    """Make the pooled idle connections look `seconds` older (no waiting in the test)."""
    for conn in client._origins["sub"].idle:
        conn.idle_since -= seconds


async def test_a_write_takes_only_a_freshly_idle_connection(clients: Any) -> None:
    # uvicorn and Node close idle connections after 5 s on a clock that started before ours: a
    # write on a connection idle for seconds can meet that close, and a write is never re-sent.
    async with RawServer(keep_answering) as server:
        client = clients(server.url)
        mutation = b'{"query":"mutation{x}"}'
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        age_idle_connections(client, WRITE_IDLE_SECONDS + 1)
        assert await client.post("sub", QUERY + b" ") == {"data": {"ok": True}}
        assert server.accepted == 1  # a query reuses it: lost on the way, it is sent once more
        age_idle_connections(client, WRITE_IDLE_SECONDS + 1)
        assert await client.post("sub", mutation, (), idempotent=False) == {"data": {"ok": True}}
        assert server.accepted == 2  # the write went on a new connection
        assert await client.post("sub", mutation, (), idempotent=False) == {"data": {"ok": True}}
        assert server.accepted == 2  # and a freshly idle one serves the next write
        assert len(server.requests) == 4


async def test_the_servers_keep_alive_timeout_is_honoured(clients: Any) -> None:
    async def announcing(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response(ANSWER, "keep-alive: timeout=3, max=100"))

    async with RawServer(announcing) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        age_idle_connections(client, 1.5)
        assert await client.post("sub", QUERY + b" ") == {"data": {"ok": True}}
        assert server.accepted == 1
        age_idle_connections(client, 2.5)  # within 3 s, but past the margin kept off it
        assert await client.post("sub", QUERY + b"  ") == {"data": {"ok": True}}
        assert server.accepted == 2


@pytest.mark.parametrize(
    ("value", "idle"),
    [
        (b"timeout=5, max=1000", 5 - KEEP_ALIVE_MARGIN),
        (b"max=10,Timeout = 20", 20 - KEEP_ALIVE_MARGIN),
        (b"timeout=0", 0.0),
        (b"timeout=600", IDLE_SECONDS),
        (b"timeout=soon", IDLE_SECONDS),
        (b"max=3", IDLE_SECONDS),
    ],
)
def test_keep_alive_header_values(value: bytes, idle: float) -> None:
    assert _announced_idle(value) == idle


async def test_identical_inflight_mutations_are_each_sent(clients: Any) -> None:
    async def slow(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await asyncio.sleep(0.05)
            await conn.send(response())

    async with RawServer(slow) as server:
        client = clients(server.url)
        mutation = b'{"query":"mutation{x}"}'
        results = await asyncio.gather(
            *(client.post("sub", mutation, (), idempotent=False) for _ in range(3))
        )
        assert results == [{"data": {"ok": True}}] * 3
        assert len(server.requests) == 3


async def test_request_is_never_resent_after_response_bytes(clients: Any) -> None:
    async def second_answer_cut(conn: Conn) -> None:
        while await conn.read_request() is not None:
            if len(conn.server.requests) == 2:
                await conn.send(response()[:20])  # part of the status line and headers
                return
            await conn.send(response())

    async with RawServer(second_answer_cut) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        error = await failure(client, QUERY + b" ")
        assert (
            error.message
            == "HTTP fetch failed from 'sub': server closed the connection mid-response"
        )
        assert len(server.requests) == 2  # not re-sent


async def test_fresh_connection_closed_without_answer_fails_without_retry(clients: Any) -> None:
    async def drop(conn: Conn) -> None:
        await conn.read_request()

    async with RawServer(drop) as server:
        error = await failure(clients(server.url))
        assert error.message == (
            "HTTP fetch failed from 'sub': server closed the connection before answering"
        )
        assert len(server.requests) == 1


async def test_chunked_response_in_many_writes(clients: Any) -> None:
    async def chunked(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            for piece in (ANSWER[:5], ANSWER[5:9], ANSWER[9:]):
                await conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                await asyncio.sleep(0.005)
            await conn.send(b"0\r\n\r\n")

    async with RawServer(chunked) as server:
        client = clients(server.url)
        for i in range(3):
            assert await client.post("sub", QUERY + b" " * i) == {"data": {"ok": True}}
        assert server.accepted == 1  # chunked answers keep the connection


async def test_response_split_into_single_bytes(clients: Any) -> None:
    big = orjson.dumps({"data": {"items": [{"id": str(i), "name": "x" * 50} for i in range(40)]}})

    async def trickle(conn: Conn) -> None:
        while await conn.read_request() is not None:
            for byte in response(big, "x-padding: " + "p" * 300):
                await conn.send(bytes([byte]))

    async with RawServer(trickle) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == orjson.loads(big)
        assert await client.post("sub", QUERY + b" ") == orjson.loads(big)
        assert server.accepted == 1


async def test_connection_close_response_and_body_until_eof(clients: Any) -> None:
    async def close_each(conn: Conn) -> None:
        if await conn.read_request() is None:
            return
        if conn.index == 0:  # Content-Length and Connection: close
            await conn.send(response(ANSWER, "connection: close"))
        else:  # no length at all: the body ends with the connection
            await conn.send(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", ANSWER[:7])
            await asyncio.sleep(0.01)
            await conn.send(ANSWER[7:])

    async with RawServer(close_each) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        assert await client.post("sub", QUERY + b" ") == {"data": {"ok": True}}
        assert server.accepted == 2


async def test_http10_answer_is_not_reused(clients: Any) -> None:
    async def http10(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response().replace(b"HTTP/1.1", b"HTTP/1.0", 1))

    async with RawServer(http10) as server:
        client = clients(server.url)
        for i in range(2):
            assert await client.post("sub", QUERY + b" " * i) == {"data": {"ok": True}}
        assert server.accepted == 2


async def test_timeout_then_a_fresh_connection(clients: Any) -> None:
    async def slow_first(conn: Conn) -> None:
        while await conn.read_request() is not None:
            if conn.index == 0:
                await asyncio.sleep(30)
            await conn.send(response())

    async with RawServer(slow_first) as server:
        client = clients(server.url, timeout=1.0)
        error = await failure(client)
        assert error.message == "HTTP fetch failed from 'sub': request timed out"
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        assert server.accepted == 2  # the timed-out connection was not reused


async def test_connection_refused(clients: Any) -> None:
    port = free_port()
    error = await failure(clients(f"http://127.0.0.1:{port}/graphql"))
    assert error.message.startswith(
        f"HTTP fetch failed from 'sub': cannot connect to 127.0.0.1:{port}: "
    )
    assert "refused" in error.message.lower() or "connect call failed" in error.message.lower()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"<html>not http</html>\r\n\r\n", "invalid HTTP response: "),
        (response(b"Internal Server Error", status="500 Internal Server Error"),
         "500: invalid JSON response"),
        (response(b"<html>not json"), "200: invalid JSON response"),
        (response(b'{"result": 1}'), "200: not a GraphQL response"),
        (response(b"[1]"), "200: not a GraphQL response"),
        (b"HTTP/1.1 200 OK\r\nx-long: " + b"a" * 100_000, "response head larger than 65536 bytes"),
        (response(ANSWER, "content-length: 5000"), "server closed the connection mid-response"),
        (response(b"zz", "content-encoding: br"), "undecodable response body: "),
    ],
)  # fmt: skip
async def test_bad_answers(clients: Any, answer: bytes, message: str) -> None:
    async def bad(conn: Conn) -> None:
        if await conn.read_request() is not None:
            await conn.send(answer)

    async with RawServer(bad) as server:
        error = await failure(clients(server.url))
        assert error.message.startswith(f"HTTP fetch failed from 'sub': {message}")


async def test_bytes_beyond_the_answer_retire_the_connection(clients: Any) -> None:
    async def overlong(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response() + response(b'{"data": {"ok": false}}'))

    async with RawServer(overlong) as server:
        client = clients(server.url)
        assert await client.post("sub", QUERY) == {"data": {"ok": True}}
        assert await client.post("sub", QUERY + b" ") == {"data": {"ok": True}}
        assert server.accepted == 2


async def test_interim_100_continue_is_skipped(clients: Any) -> None:
    async def interim(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(b"HTTP/1.1 100 Continue\r\n\r\n", response())

    async with RawServer(interim) as server:
        client = clients(server.url)
        for i in range(2):
            assert await client.post("sub", QUERY + b" " * i) == {"data": {"ok": True}}
        assert server.accepted == 1


async def test_graphql_error_answer_with_500_status_is_passed_on(clients: Any) -> None:
    body = orjson.dumps({"errors": [{"message": "boom"}]})

    async def fail(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response(body, status="500 Internal Server Error"))

    async with RawServer(fail) as server:
        assert await clients(server.url).post("sub", QUERY) == {"errors": [{"message": "boom"}]}


async def test_gzip_answer_is_decoded(clients: Any) -> None:
    async def zipped(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response(gzip.compress(ANSWER), "content-encoding: gzip"))

    async with RawServer(zipped) as server:
        assert await clients(server.url).post("sub", QUERY) == {"data": {"ok": True}}


async def test_oversized_body_is_refused() -> None:
    async def big(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response(b" " * 5000 + ANSWER))

    async with RawServer(big) as server:
        origin = Origin(server.url, timeout=5, max_body_bytes=4096)
        with pytest.raises(Exception, match="response body larger than 4096 bytes"):
            await origin.post(origin.encode(QUERY, ()))
        origin.close()


async def test_concurrent_requests_beyond_the_pool_bound(clients: Any) -> None:
    open_now = peak = 0

    async def slow(conn: Conn) -> None:
        nonlocal open_now, peak
        open_now += 1
        peak = max(peak, open_now)
        try:
            while await conn.read_request() is not None:
                await asyncio.sleep(0.02)
                await conn.send(response())
        finally:
            open_now -= 1

    async with RawServer(slow) as server:
        client = clients(server.url, max_connections=2)
        bodies = [orjson.dumps({"query": "{ ok }", "variables": {"i": i}}) for i in range(12)]
        results = await asyncio.gather(*(client.post("sub", b) for b in bodies))
        assert results == [{"data": {"ok": True}}] * 12
        assert server.accepted == 2 and peak == 2
        assert len(server.requests) == 12


async def test_waiting_for_a_pool_slot_counts_toward_the_timeout() -> None:
    taken = asyncio.Event()

    async def hang(conn: Conn) -> None:
        await conn.read_request()
        taken.set()
        await asyncio.sleep(30)

    async with RawServer(hang) as server:
        origin = Origin(server.url, timeout=30, max_connections=1)
        holder = asyncio.create_task(origin.post(origin.encode(QUERY, ())))
        await taken.wait()  # the one connection is busy
        origin.timeout = 0.2  # the next request waits for the slot longer than this
        with pytest.raises(TimeoutError):
            await origin.post(origin.encode(QUERY + b" ", ()))
        assert server.accepted == 1 and len(server.requests) == 1
        assert not holder.done()
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
        assert origin.size == 0  # the cancelled request gave its slot back
        origin.close()


async def test_cancelled_request_frees_its_connection(clients: Any) -> None:
    async def first_hangs(conn: Conn) -> None:
        while await conn.read_request() is not None:
            if conn.index == 0:
                await asyncio.sleep(5)
            await conn.send(response())

    async with RawServer(first_hangs) as server:
        client = clients(server.url, max_connections=1)
        task = asyncio.create_task(client.post("sub", QUERY))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await client.post("sub", QUERY + b" ") == {"data": {"ok": True}}
        assert server.accepted == 2


async def test_close_ends_idle_connections_and_busy_ones_when_done() -> None:
    third, release = asyncio.Event(), asyncio.Event()

    async def third_waits(conn: Conn) -> None:
        while await conn.read_request() is not None:
            if len(conn.server.requests) == 3:
                third.set()
                await release.wait()
            await conn.send(response())

    async with RawServer(third_waits) as server:
        origin = Origin(server.url)
        await asyncio.gather(*(origin.post(origin.encode(b, ())) for b in (QUERY, QUERY + b" ")))
        assert server.accepted == 2 and len(origin.idle) == 2
        busy = asyncio.create_task(origin.post(origin.encode(QUERY + b"  ", ())))
        await third.wait()
        origin.close()
        assert origin.size == 1  # the idle one is closed at once
        release.set()
        assert await busy == (200, ANSWER, ())  # the busy one finishes its request, then closes
        assert origin.size == 0 and origin.idle == []


async def test_identical_inflight_requests_are_sent_once(clients: Any) -> None:
    async def slow(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await asyncio.sleep(0.05)
            await conn.send(response())

    async with RawServer(slow) as server:
        client = clients(server.url)
        results = await asyncio.gather(*(client.post("sub", QUERY) for _ in range(5)))
        assert results == [{"data": {"ok": True}}] * 5
        assert len(server.requests) == 1


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def test_https_with_a_trusted_self_signed_certificate(clients: Any, tmp_path: Path) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    async with RawServer(keep_answering, ssl=server_context) as server:
        trusted = ssl.create_default_context(cafile=str(cert_file))
        client = clients(server.url, ssl_context=trusted)
        for i in range(3):
            assert await client.post("sub", QUERY + b" " * i) == {"data": {"ok": True}}
        assert server.accepted == 1
        # The system's CAs do not know this certificate: the handshake is refused.
        error = await failure(clients(server.url))
        assert "certificate verify failed" in error.message
        assert error.message.startswith(
            f"HTTP fetch failed from 'sub': cannot connect to 127.0.0.1:{server.port}: "
        )


async def test_keep_alive_against_an_aiohttp_server(clients: Any) -> None:
    """A real HTTP server: one client port for all requests; chunked answers too."""
    peers: set[Any] = set()

    async def handle(request: web.Request) -> web.StreamResponse:
        peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        payload = await request.json()
        if payload.get("chunked"):
            stream = web.StreamResponse(headers={"content-type": "application/json"})
            stream.enable_chunked_encoding()
            await stream.prepare(request)
            await stream.write(ANSWER[:6])
            await stream.write(ANSWER[6:])
            await stream.write_eof()
            return stream
        return web.json_response({"data": {"echo": payload["variables"]}})

    app = web.Application()
    app.router.add_post("/graphql", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        client = clients(f"http://127.0.0.1:{port}/graphql")
        for i in range(10):
            body = orjson.dumps({"query": "{ echo }", "variables": {"i": i}, "chunked": i % 2})
            expected = {"data": {"ok": True}} if i % 2 else {"data": {"echo": {"i": i}}}
            assert await client.post("sub", body) == expected
        assert len(peers) == 1
    finally:
        await runner.cleanup()


UVLOOP_CASES = [
    test_one_connection_serves_sequential_requests,
    test_request_lost_on_stale_connection_is_sent_once_more,
    test_request_is_never_resent_after_response_bytes,
    test_response_split_into_single_bytes,
    test_connection_close_response_and_body_until_eof,
    test_timeout_then_a_fresh_connection,
    test_connection_refused,
    test_concurrent_requests_beyond_the_pool_bound,
    test_https_with_a_trusted_self_signed_certificate,
]


@pytest.mark.parametrize("case", UVLOOP_CASES, ids=lambda case: case.__name__[5:])
def test_under_uvloop(case: Callable[..., Awaitable[None]], tmp_path: Path) -> None:
    """The router serves on uvloop (`mosaic router`): the same cases on that event loop."""

    async def main() -> None:
        assert "uvloop" in type(asyncio.get_running_loop()).__module__
        made: list[SubgraphClients] = []

        def make(url: str, **options: Any) -> SubgraphClients:
            made.append(SubgraphClients({"sub": url}, **options))
            return made[-1]

        try:
            if "tmp_path" in case.__code__.co_varnames:
                await case(make, tmp_path)
            else:
                await case(make)
        finally:
            for client in made:
                await client.close()

    uvloop.run(main())
