"""Verifying the router's request signatures (upstream trust).

The router signs each subgraph request (router/executor/signing.py writes this format:
`x-mosaic-signature: v1,t=<unix seconds>,n=<nonce>,s=<hex HMAC-SHA256 of
"METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY">`). Here a subgraph checks it before the GraphQL app
sees the request: a missing signature (when required), a bad one, one older or newer than
`max_age` seconds, or a nonce already seen within that window is refused with 401 and a GraphQL
error UNAUTHENTICATED. Required in production (MOSAIC_ENV=production), checked whenever present
in dev, so `make dev` works with or without a key.

Seen nonces are kept until the signature could no longer pass the age check (its timestamp +
`max_age`): in this process's memory, or, when the subgraph has Redis (MOSAIC_REDIS_URL), in
Redis with `SET NX` and that expiry, so a request replayed to another replica (or to another
subgraph: the nonce is unique per router request) is refused too. Redis unreachable: 503, never
an unchecked request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("mosaic.subgraph")
HEADER = b"x-mosaic-signature"
MAX_BODY_BYTES = 16 * 1024 * 1024
# A signed upload (multipart) from the router: its files (the router allows 20 of 10 MB) are
# spooled to disk past IN_MEMORY_BYTES while the signature is checked, then replayed.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
IN_MEMORY_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024


class SignatureError(Exception):
    pass


class NonceStoreUnavailable(Exception):
    """The seen-nonce store cannot be asked: the request cannot be checked for a replay."""


def _head(method: str, path: str, timestamp: int, nonce: str) -> bytes:
    """What the HMAC covers before the body."""
    return b"%s\n%s\n%d\n%s\n" % (method.encode(), path.encode(), timestamp, nonce.encode())


def signature(key: bytes, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    return hmac.new(key, _head(method, path, timestamp, nonce) + body, hashlib.sha256).hexdigest()


def streamed_signature(
    key: bytes, method: str, path: str, timestamp: int, nonce: str, chunks: Iterable[bytes]
) -> str:
    """`signature` of the concatenated chunks (a spooled upload), never holding them all."""
    mac = hmac.new(key, _head(method, path, timestamp, nonce), hashlib.sha256)
    for chunk in chunks:
        mac.update(chunk)
    return mac.hexdigest()


class RequestBody:
    """A request body as received: in memory up to IN_MEMORY_BYTES, in a temporary file past
    it (an upload of many megabytes), read back in CHUNK_BYTES pieces."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.file: IO[bytes] | None = None

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.file is None and self.size > IN_MEMORY_BYTES:
            self.file = tempfile.TemporaryFile()
            self.file.writelines(self.chunks)
            self.chunks = []
        if self.file is not None:
            self.file.write(chunk)
        else:
            self.chunks.append(chunk)

    def content(self) -> bytes | Iterable[bytes]:
        """The body: bytes when it is small, else something that reads the file afresh."""
        return b"".join(self.chunks) if self.file is None else _Pieces(self.file)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class _Pieces:
    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def __iter__(self) -> Iterator[bytes]:
        self.file.seek(0)
        while piece := self.file.read(CHUNK_BYTES):
            yield piece


class NonceStore(Protocol):
    async def claim(self, nonce: str, expires: float, now: float) -> bool:
        """True the first time `nonce` is seen before `expires` (unix seconds)."""
        ...

    async def close(self) -> None: ...


class MemoryNonces:
    """Seen nonces of this process."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._order: deque[tuple[float, str]] = deque()  # (expires, nonce), about in order

    async def claim(self, nonce: str, expires: float, now: float) -> bool:
        order = self._order
        while order and order[0][0] < now:  # a later entry may wait for an earlier one: fine
            self._seen.discard(order.popleft()[1])
        if nonce in self._seen:
            return False
        self._seen.add(nonce)
        order.append((expires, nonce))
        return True

    async def close(self) -> None:
        pass


class RedisNonces:
    """Seen nonces shared by every replica: one key per nonce, `SET NX` with its expiry."""

    PREFIX = "mosaic:signature-nonce:"

    def __init__(self, url: str) -> None:
        self.client = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    async def claim(self, nonce: str, expires: float, now: float) -> bool:
        ttl = max(1, math.ceil(expires - now))
        try:
            created = await self.client.set(self.PREFIX + nonce, b"1", nx=True, ex=ttl)
        except (RedisError, OSError) as error:
            raise NonceStoreUnavailable(type(error).__name__) from None
        return bool(created)

    async def close(self) -> None:
        await self.client.aclose()


class Verifier:
    def __init__(self, key: str, max_age: float = 300.0, nonces: NonceStore | None = None) -> None:
        self.key = key.encode()
        self.max_age = max_age
        self.nonces: NonceStore = nonces if nonces is not None else MemoryNonces()

    def check(
        self, value: str, method: str, path: str, body: bytes | Iterable[bytes], now: float
    ) -> tuple[str, int]:
        """(nonce, timestamp) of a valid signature of this request; raises SignatureError."""
        fields: dict[str, str] = {}
        version, *parts = value.split(",")
        for part in parts:
            name, _, field_value = part.partition("=")
            fields[name.strip()] = field_value.strip()
        if version.strip() != "v1" or not {"t", "n", "s"} <= fields.keys():
            raise SignatureError("malformed request signature")
        try:
            timestamp = int(fields["t"])
        except ValueError:
            raise SignatureError("malformed request signature") from None
        if abs(now - timestamp) > self.max_age:
            raise SignatureError("request signature expired")
        expected = (
            signature(self.key, method, path, timestamp, fields["n"], body)
            if isinstance(body, bytes)
            else streamed_signature(self.key, method, path, timestamp, fields["n"], body)
        )
        if not hmac.compare_digest(expected, fields["s"]):
            raise SignatureError("invalid request signature")
        return fields["n"], timestamp

    async def verify(
        self,
        value: str,
        method: str,
        path: str,
        body: bytes | Iterable[bytes],
        now: float | None = None,
    ) -> None:
        """Raises SignatureError unless `value` signs this request and its nonce is new
        (NonceStoreUnavailable when that cannot be known)."""
        now = time.time() if now is None else now
        if isinstance(body, bytes):  # held in memory (the middleware: up to 1 MB): hash inline
            nonce, timestamp = self.check(value, method, path, body, now)
        else:
            # A spooled upload (up to MAX_UPLOAD_BYTES, ~1 ms per MB to read and hash) in a
            # worker thread, so the subgraph's other requests go on meanwhile.
            nonce, timestamp = await asyncio.to_thread(self.check, value, method, path, body, now)
        # The signature passes the age check until timestamp + max_age: remember it that long.
        if not await self.nonces.claim(nonce, timestamp + self.max_age, now):
            raise SignatureError("replayed request")


class SignatureMiddleware:
    """Checks signatures on GraphQL HTTP requests (and websocket upgrades, with an empty body)
    under `path`; other routes (/health, /ready, the JWKS) stay open."""

    def __init__(
        self, app: ASGIApp, verifier: Verifier | None, required: bool, path: str = "/graphql"
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.required = required
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        value = next((v for k, v in scope["headers"] if k == HEADER), None)
        if value is None and not self.required:
            await self.app(scope, receive, send)
            return
        received = RequestBody()
        try:
            await self._check(scope, receive, send, value, received)
        finally:
            received.close()

    async def _check(
        self, scope: Scope, receive: Receive, send: Send, value: bytes | None, received: RequestBody
    ) -> None:
        method = "GET" if scope["type"] == "websocket" else scope["method"]
        body: bytes | Iterable[bytes] = b""
        if scope["type"] == "http":
            content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
            # Uploads (multipart) go to disk past 1 MB; other bodies are JSON, held when parsed.
            limit = (
                MAX_UPLOAD_BYTES
                if content_type[:19].lower() == b"multipart/form-data"
                else MAX_BODY_BYTES
            )
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                if received.size + len(chunk) > limit:
                    await _refuse(scope, send, "request body too large")
                    return
                received.add(chunk)
                more = message.get("more_body", False)
            body = received.content()
        problem: str | None = None
        if value is None or self.verifier is None:
            problem = "this subgraph only answers signed requests from the router"
        else:
            try:
                await self.verifier.verify(value.decode("latin-1"), method, scope["path"], body)
            except SignatureError as error:
                problem = str(error)
            except NonceStoreUnavailable as error:
                log.warning("refused %s %s: replay check unavailable (%s)", method,
                            scope["path"], error)  # fmt: skip
                await _refuse(scope, send, "replay check unavailable", 503)
                return
        if problem is not None:
            log.warning("refused %s %s: %s", method, scope["path"], problem)
            await _refuse(scope, send, problem)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        pieces = iter((body,) if isinstance(body, bytes) else body)
        piece = next(pieces, b"")
        replayed = False

        async def replay() -> Message:
            nonlocal piece, replayed
            if not replayed:
                following = next(pieces, None)
                message = {
                    "type": "http.request",
                    "body": piece,
                    "more_body": following is not None,
                }
                if following is None:
                    replayed = True
                else:
                    piece = following
                return message
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send, problem: str, status: int = 401) -> None:
    if scope["type"] == "websocket":
        code = 4401 if status == 401 else 1013  # 1013: try again later
        await send({"type": "websocket.close", "code": code, "reason": problem[:120]})
        return
    if status == 401:
        error = {"message": f"Unauthenticated: {problem}", "extensions": _code()}
    else:
        error = {"message": f"Unavailable: {problem}",
                 "extensions": {"code": "SERVICE_UNAVAILABLE"}}  # fmt: skip
    body = orjson.dumps({"errors": [error]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _code() -> dict[str, Any]:
    return {"code": "UNAUTHENTICATED"}
