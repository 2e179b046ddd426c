"""router/server/http.py: a response with a Content-Length leaves in one write (headers and
body together); everything else behaves as uvicorn's own cycle."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from router.server.http import OneWriteCycle
from tests.router.canned import case_supergraph
from tests.utils.servers import free_port, wait_for_port

CASE = Path(__file__).parent / "cases" / "shop-basic"


class RecordingTransport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[bytes, ...]]] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", (data,)))

    def writelines(self, chunks: Any) -> None:
        self.calls.append(("writelines", tuple(chunks)))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _cycle(transport: RecordingTransport, method: str = "POST") -> RequestResponseCycle:
    cycle = RequestResponseCycle(
        scope={"type": "http", "method": method, "path": "/graphql"},  # type: ignore[typeddict-item]
        transport=transport,  # type: ignore[arg-type]
        flow=FlowControl(transport),  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=[(b"date", b"today")],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )
    cycle.__class__ = OneWriteCycle
    return cycle


async def test_headers_and_body_leave_in_one_write() -> None:
    transport = RecordingTransport()
    cycle = _cycle(transport)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
    await cycle.send({"type": "http.response.start", "status": 200, "headers": headers})
    assert transport.calls == []  # held back until the body
    await cycle.send({"type": "http.response.body", "body": b'{"data":{}}'})
    assert len(transport.calls) == 1
    kind, (head, body) = transport.calls[0]
    assert kind == "writelines"
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert b"content-length: 11\r\n" in head
    assert body == b'{"data":{}}'
    assert cycle.response_complete


async def test_head_and_chunked_responses_still_write_their_headers() -> None:
    transport = RecordingTransport()
    cycle = _cycle(transport, method="HEAD")
    start: Any = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-length", b"5")],
    }
    await cycle.send(start)
    await cycle.send({"type": "http.response.body", "body": b""})
    assert [kind for kind, _ in transport.calls] == ["write"]
    assert transport.calls[0][1][0].startswith(b"HTTP/1.1 200 OK")
    assert cycle.response_complete

    transport = RecordingTransport()
    cycle = _cycle(transport)
    await cycle.send({"type": "http.response.start", "status": 200, "headers": []})  # chunked
    assert b"transfer-encoding: chunked" in transport.calls[0][1][0]
    await cycle.send({"type": "http.response.body", "body": b"abc", "more_body": True})
    await cycle.send({"type": "http.response.body", "body": b""})
    assert transport.calls[1:] == [("write", (b"3\r\nabc\r\n",)), ("write", (b"0\r\n\r\n",))]


@pytest.fixture
def router_port() -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mosaic", "router", "--supergraph", str(case_supergraph(CASE)),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """`count` complete responses (Content-Length framed) from sock."""
    data = b""
    responses: list[bytes] = []
    deadline = time.monotonic() + 10
    while len(responses) < count and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        while b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(rest) < length:
                break
            responses.append(head + b"\r\n\r\n" + rest[:length])
            data = rest[length:]
    return responses


def test_pipelined_requests_on_one_connection_get_whole_answers_in_order(
    router_port: int,
) -> None:
    body = b'{"query":"{ __typename }"}'
    post = (
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )
    head = b"HEAD /health HTTP/1.1\r\nhost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", router_port), timeout=10) as sock:
        sock.sendall(post + post)
        first, second = _read_responses(sock, 2)
        sock.sendall(head + post)
        # HEAD: headers only (its Content-Length describes the GET answer), then the POST.
        raw = b""
        while raw.count(b"\r\n\r\n") < 2 or not raw.endswith(b"}"):
            raw += sock.recv(65536)
    for response in (first, second):
        assert response.startswith(b"HTTP/1.1 200 OK\r\n")
        assert response.endswith(b'\r\n\r\n{"data":{"__typename":"Query"}}')
    head_answer, _, post_answer = raw.partition(b"\r\n\r\n")
    assert head_answer.startswith(b"HTTP/1.1 200 OK") and b"content-length: 15" in head_answer
    assert post_answer.startswith(b"HTTP/1.1 200 OK")
    assert post_answer.endswith(b'{"data":{"__typename":"Query"}}')
