"""Verifying the router's request signatures (upstream trust).

The router signs each subgraph request (router/executor/signing.py writes this format:
`x-mosaic-signature: v1,t=<unix seconds>,n=<nonce>,s=<hex HMAC-SHA256 of
"METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY">`). Here a subgraph checks it before the GraphQL app
sees the request: a missing signature (when required), a bad one, one older or newer than
`max_age` seconds, or a nonce already seen within that window is refused with 401 and a GraphQL
error UNAUTHENTICATED. Required in production (MOSAIC_ENV=production), checked whenever present
in dev, so `make dev` works with or without a key.

Seen nonces live in this process's memory for `max_age` seconds: a replay to the same process is
refused; the window bounds what a replay to another replica could do.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import deque
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("mosaic.subgraph")
HEADER = b"x-mosaic-signature"
MAX_BODY_BYTES = 16 * 1024 * 1024


class SignatureError(Exception):
    pass


def signature(key: bytes, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    message = b"%s\n%s\n%d\n%s\n%s" % (
        method.encode(),
        path.encode(),
        timestamp,
        nonce.encode(),
        body,
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class Verifier:
    def __init__(self, key: str, max_age: float = 300.0) -> None:
        self.key = key.encode()
        self.max_age = max_age
        self._seen: set[str] = set()
        self._order: deque[tuple[float, str]] = deque()

    def verify(
        self, value: str, method: str, path: str, body: bytes, now: float | None = None
    ) -> None:
        """Raises SignatureError unless `value` signs this request and its nonce is new."""
        now = time.time() if now is None else now
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
        self._forget(now)
        nonce = fields["n"]
        if nonce in self._seen:
            raise SignatureError("replayed request")
        self._seen.add(nonce)
        self._order.append((now, nonce))

    def _forget(self, now: float) -> None:
        order = self._order
        while order and now - order[0][0] > self.max_age:
            self._seen.discard(order.popleft()[1])


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
                self.verifier.verify(value.decode("latin-1"), method, scope["path"], body)
            except SignatureError as error:
                problem = str(error)
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


async def _refuse(scope: Scope, send: Send, problem: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4401, "reason": problem[:120]})
        return
    body = orjson.dumps(
        {"errors": [{"message": f"Unauthenticated: {problem}", "extensions": _code()}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _code() -> dict[str, Any]:
    return {"code": "UNAUTHENTICATED"}
