"""CORS for the GraphQL endpoint: an origin allow-list (MOSAIC_ROUTER_CORS_ORIGINS), optionally
with credentials (cookies) — never for any origin ("*"), which the settings refuse.

A browser asks first (preflight: OPTIONS with Access-Control-Request-Method) for everything
but "simple" requests, and CSRF prevention (router/pipeline/read.py) refuses simple ones, so
every cross-origin GraphQL request from a browser meets this allow-list.
"""

from __future__ import annotations

from starlette.types import Send

from router.settings import RouterSettings

EXPOSED = b"x-request-id, server-timing, x-process-time"
METHODS = b"GET, POST, OPTIONS"
MAX_AGE = b"600"


class Cors:
    def __init__(self, settings: RouterSettings) -> None:
        self.any = "*" in settings.cors_origins
        self.origins = frozenset(
            o.rstrip("/").encode("latin-1") for o in settings.cors_origins if o != "*"
        )
        self.credentials = settings.cors_allow_credentials

    def allowed(self, origin: bytes) -> bool:
        return self.any or origin in self.origins

    def headers(self, origin: bytes) -> list[tuple[bytes, bytes]] | None:
        """The CORS headers of an actual response to `origin` (None: not allowed)."""
        if not self.allowed(origin):
            return None
        if self.any and not self.credentials:
            out = [(b"access-control-allow-origin", b"*")]
        else:
            out = [(b"access-control-allow-origin", origin), (b"vary", b"origin")]
        if self.credentials:
            out.append((b"access-control-allow-credentials", b"true"))
        out.append((b"access-control-expose-headers", EXPOSED))
        return out

    async def preflight(
        self, origin: bytes, request_headers: list[tuple[bytes, bytes]], send: Send
    ) -> None:
        headers = self.headers(origin)
        if headers is None:
            body = b"Disallowed CORS origin"
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain"),
                        (b"content-length", b"%d" % len(body)),
                        (b"vary", b"origin"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        asked = b""
        for name, value in request_headers:
            if name == b"access-control-request-headers":
                asked = value
        headers = [h for h in headers if h[0] != b"access-control-expose-headers"]
        headers += [
            (b"access-control-allow-methods", METHODS),
            (b"access-control-max-age", MAX_AGE),
            (b"content-length", b"0"),
        ]
        if asked:
            headers.append((b"access-control-allow-headers", asked))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
