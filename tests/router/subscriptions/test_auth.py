"""Websocket callers pass the router's front door like HTTP requests: the token of the
`connection_init` payload is verified (a bad one closes the socket with 4403), verified claims
reach the subgraph, a client cannot forge them, and one caller's connections are capped."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from pathlib import Path

import jwt

from tests.router.subscriptions.conftest import Federation, federation_running
from tests.router.subscriptions.helpers import closed_with, init, open_ws, poll, receive, send
from tests.router.subscriptions.subgraphs import CLAIMS_HEADER

SECRET = b"a-test-secret-of-32-bytes-length!"
JWKS = {"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256",
                  "k": base64.urlsafe_b64encode(SECRET).rstrip(b"=").decode()}]}  # fmt: skip
MESSAGES = "subscription { messageAdded { text } }"


def _token(sub: str) -> str:
    now = int(time.time())
    claims = {"sub": sub, "iss": "mosaic", "aud": "mosaic", "iat": now, "exp": now + 600}
    return jwt.encode(claims, SECRET, "HS256", headers={"kid": "k1"})


def _jwt_router(tmp_path: Path) -> contextlib.AbstractAsyncContextManager[Federation]:
    return federation_running(
        tmp_path,
        jwt_jwks=json.dumps(JWKS),
        jwt_algorithms=["HS256"],
        jwt_issuer="mosaic",
        jwt_audience="mosaic",
        jwt_claims_header=CLAIMS_HEADER,
        propagate_headers=["authorization", CLAIMS_HEADER],
        max_connections_per_caller=2,
    )


async def _opened(federation: Federation, n: int) -> None:
    async def check() -> bool:
        body = await federation.inbox_query("{ openedSubscriptions }")
        return bool(body["data"]["openedSubscriptions"] == n)

    await poll(check, f"{n} subscriptions opened on the inbox")


async def test_tokens_are_verified_and_claims_forwarded(tmp_path: Path) -> None:
    async with _jwt_router(tmp_path) as federation:
        async with open_ws(federation.ws) as ws:
            await send(ws, {"type": "connection_init",
                            "payload": {"authorization": "Bearer not.a.token"}})  # fmt: skip
            code, reason = await closed_with(ws)
            assert code == 4403 and reason is not None and reason.startswith("Forbidden")
        async with open_ws(federation.ws) as ws:
            await init(ws, {"authorization": f"Bearer {_token('alice')}"})
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": MESSAGES}})
            await _opened(federation, 1)
            await federation.send("alice", "verified")
            assert (await receive(ws))["payload"] == {
                "data": {"messageAdded": {"text": "verified"}}
            }
        async with open_ws(federation.ws) as ws:  # anonymous, trying to pass as alice
            await init(ws, {CLAIMS_HEADER: json.dumps({"sub": "alice"})})
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": MESSAGES}})
            await _opened(federation, 2)
        assert federation.broker.callers == ["alice", None]


async def test_connections_per_caller_are_capped(tmp_path: Path) -> None:
    async with _jwt_router(tmp_path) as federation:
        payload = {"authorization": f"Bearer {_token('bob')}"}
        async with open_ws(federation.ws) as a, open_ws(federation.ws) as b:
            await init(a, payload)
            await init(b, payload)
            async with open_ws(federation.ws) as c:
                await send(c, {"type": "connection_init", "payload": payload})
                code, reason = await closed_with(c)
                assert code == 1013 and reason == "Too many connections for this caller (limit 2)"
            async with open_ws(federation.ws) as other:  # another caller is not affected
                await init(other, {"authorization": f"Bearer {_token('carol')}"})


async def test_the_auth_cookie_counts_only_for_same_origin_pages(tmp_path: Path) -> None:
    async with _jwt_router(tmp_path) as federation:
        host = federation.router.removeprefix("http://")
        cookie = f"mosaic_auth={_token('alice')}"
        for origin, expected in (("https://evil.example", None), (f"http://{host}", "alice")):
            async with open_ws(federation.ws, origin=origin, cookie=cookie) as ws:
                await init(ws)
                opened = len(federation.broker.callers) + 1
                await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": MESSAGES}})
                await _opened(federation, opened)
                assert federation.broker.callers[-1] == expected, origin
