"""Subscriptions over plain HTTP responses: GraphQL over SSE (distinct-connections mode) and
Apollo's multipart subscriptions (`multipart/mixed;subscriptionSpec="1.0"`, what HttpLink
uses). Both send heartbeats so proxies and clients keep an idle stream open."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import orjson
from starlette.types import Receive, Send

from router.pipeline import GraphQLResponse as Response
from router.subscriptions.queue import Failed, SlowConsumer, Subscriber, Terminal

log = logging.getLogger("mosaic.router")

SSE = "text/event-stream"
MULTIPART = "multipart/mixed"
BOUNDARY = b"\r\n--graphql"
CLOSE_WAIT = 5.0  # seconds the end of a cut-off stream may wait for a client that stopped reading


class StreamFormat:
    content_type: bytes
    opening = b""
    heartbeat: bytes
    closing = b""

    def item(self, payload: bytes) -> bytes:
        raise NotImplementedError

    def end(self, terminal: Terminal | None) -> bytes:
        raise NotImplementedError


class SSEFormat(StreamFormat):
    """`event: next` per result, `event: complete` at the end (the graphql-sse protocol)."""

    content_type = b"text/event-stream; charset=utf-8"
    heartbeat = b":\n\n"

    def item(self, payload: bytes) -> bytes:
        return b"event: next\ndata: " + payload + b"\n\n"

    def end(self, terminal: Terminal | None) -> bytes:
        out = b""
        if isinstance(terminal, Failed | SlowConsumer):
            out = self.item(orjson.dumps({"errors": _errors(terminal)}))
        return out + b"event: complete\ndata: \n\n"


class MultipartFormat(StreamFormat):
    """Each part `{"payload": result}`; `{}` as a heartbeat; a transport error as
    `{"payload": null, "errors": [...]}`; the closing boundary ends the subscription."""

    content_type = b'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
    opening = BOUNDARY
    heartbeat = b"\r\ncontent-type: application/json\r\n\r\n{}" + BOUNDARY
    closing = b"--\r\n"

    def item(self, payload: bytes) -> bytes:
        part = b'{"payload":' + payload + b"}"
        return b"\r\ncontent-type: application/json\r\n\r\n" + part + BOUNDARY

    def end(self, terminal: Terminal | None) -> bytes:
        out = b""
        if isinstance(terminal, Failed | SlowConsumer):
            body = orjson.dumps({"payload": None, "errors": _errors(terminal)})
            out = b"\r\ncontent-type: application/json\r\n\r\n" + body + BOUNDARY
        return out + self.closing


def _errors(terminal: Failed | SlowConsumer) -> list[dict[str, object]]:
    if isinstance(terminal, Failed):
        return terminal.errors
    message = f"Client too slow: {terminal.queued} events waiting"
    return [{"message": message, "extensions": {"code": "SLOW_CONSUMER"}}]


def stream_format(accept: str) -> StreamFormat | None:
    """The streaming format a client asked for in Accept, if any."""
    lowered = accept.lower()
    if SSE in lowered:
        return SSEFormat()
    if MULTIPART in lowered and "subscriptionspec" in lowered:
        return MultipartFormat()
    return None


async def stream(
    fmt: StreamFormat,
    result: Response | Subscriber,
    receive: Receive,
    send: Send,
    heartbeat: float,
    release: Callable[[], None],
) -> None:
    """Write `result` as one streaming response; stops early when the client disconnects."""
    headers = [
        (b"content-type", fmt.content_type),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),  # nginx: pass events through unbuffered
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def body(chunk: bytes, more: bool = True) -> None:
        await send({"type": "http.response.body", "body": chunk, "more_body": more})

    writer = asyncio.get_running_loop().create_task(
        _write(fmt, result, body, heartbeat), name="mosaic-stream"
    )
    watcher = asyncio.get_running_loop().create_task(_disconnected(receive))
    slow: list[SlowConsumer] = []
    if isinstance(result, Subscriber):

        def overflow(item: SlowConsumer) -> None:  # the writer may be stuck on a full socket
            slow.append(item)
            writer.cancel()

        result.on_overflow = overflow
    try:
        await asyncio.wait({writer, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if slow:
            log.info("closing an event stream that read too slowly (%d queued)", slow[0].queued)
            with contextlib.suppress(OSError, RuntimeError, TimeoutError):
                await asyncio.wait_for(body(fmt.end(slow[0]), more=False), CLOSE_WAIT)
    finally:
        watcher.cancel()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        if isinstance(result, Subscriber):
            result.close()
        release()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _write(
    fmt: StreamFormat,
    result: Response | Subscriber,
    body: Callable[..., Awaitable[None]],
    heartbeat: float,
) -> None:
    if fmt.opening:
        await body(fmt.opening)
    if isinstance(result, Response):
        await body(fmt.item(result.encoded()))
        await body(fmt.end(None), more=False)
        return
    terminal: Terminal | None = None
    while terminal is None:
        try:
            item = await asyncio.wait_for(result.next(), heartbeat)
        except TimeoutError:
            await body(fmt.heartbeat)
            continue
        if isinstance(item, bytes):
            await body(fmt.item(item))
        else:
            terminal = item
    if isinstance(terminal, SlowConsumer):
        return  # `stream` writes the end
    await body(fmt.end(terminal), more=False)
