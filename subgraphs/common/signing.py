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

import hashlib
import hmac
import logging
import math
import time
from collections import deque
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("mosaic.subgraph")
HEADER = b"x-mosaic-signature"
MAX_BODY_BYTES = 16 * 1024 * 1024


class SignatureError(Exception):
    pass


class NonceStoreUnavailable(Exception):
    """The seen-nonce store cannot be asked: the request cannot be checked for a replay."""


def signature(key: bytes, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    message = b"%s\n%s\n%d\n%s\n%s" % (
        method.encode(),
        path.encode(),
        timestamp,
        nonce.encode(),
        body,
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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

    def check(self, value: str, method: str, path: str, body: bytes, now: float) -> tuple[str, int]:
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
        expected = signature(self.key, method, path, timestamp, fields["n"], body)
        if not hmac.compare_digest(expected, fields["s"]):
            raise SignatureError("invalid request signature")
        return fields["n"], timestamp

    async def verify(
        self, value: str, method: str, path: str, body: bytes, now: float | None = None
    ) -> None:
        """Raises SignatureError unless `value` signs this request and its nonce is new
        (NonceStoreUnavailable when that cannot be known)."""
        now = time.time() if now is None else now
        nonce, timestamp = self.check(value, method, path, body, now)
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
        method = "GET" if scope["type"] == "websocket" else scope["method"]
        body = b""
        if scope["type"] == "http":
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    await _refuse(scope, send, "request body too large")
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
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
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
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
