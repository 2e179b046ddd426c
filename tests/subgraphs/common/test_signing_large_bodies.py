"""A signed upload spooled to disk is hashed off the event loop: the subgraph answers other
requests while it is checked, and the verdict is the one the inline check gives."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import threading
from collections.abc import Iterable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from router.executor.signing import Signer
from subgraphs.common import signing
from subgraphs.common.signing import SignatureError, SignatureMiddleware, Verifier
from tests.utils.asgi import serve

KEY = "k" * 40
MULTIPART = "multipart/form-data; boundary=x"
# How long the hashing thread waits for the loop to answer another request; only a loop
# blocked by the hashing (the fault this tests) ever lets it run out.
GATE_SECONDS = 30.0


def _app() -> Starlette:
    async def graphql(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({"sha256": hashlib.sha256(body).hexdigest()})

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/health", health)]
    )


async def test_other_requests_are_answered_while_a_50_mb_upload_is_verified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    hashing = asyncio.Event()  # set (from the hashing thread) once the hashing has begun
    answered = threading.Event()  # set by the test once another request was answered
    real = signing.streamed_signature

    def gated(
        key: bytes, method: str, path: str, timestamp: int, nonce: str, chunks: Iterable[bytes]
    ) -> str:
        pieces = iter(chunks)
        first = next(pieces)
        loop.call_soon_threadsafe(hashing.set)
        # Hashing on the event loop would block it here: no other request, no `answered`.
        if not answered.wait(GATE_SECONDS):
            raise AssertionError("no other request was answered while the body was hashed")
        return real(key, method, path, timestamp, nonce, itertools.chain([first], pieces))

    monkeypatch.setattr(signing, "streamed_signature", gated)
    body = b"--x\r\n" + os.urandom(50 * 1024 * 1024) + b"\r\n--x--\r\n"
    name, value = Signer(KEY).header("POST", "/graphql", body)
    app = SignatureMiddleware(_app(), Verifier(KEY), required=True)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=120) as client:
        upload = asyncio.create_task(
            client.post("/graphql", content=body, headers={"content-type": MULTIPART, name: value})
        )
        await asyncio.wait_for(hashing.wait(), GATE_SECONDS)
        other = await client.get("/health")
        assert other.json() == {"status": "ok"}
        answered.set()
        response = await upload
    assert response.status_code == 200, response.text
    assert response.json() == {"sha256": hashlib.sha256(body).hexdigest()}  # replayed whole


def _header(body: bytes, key: str = KEY) -> str:
    return Signer(key).header("POST", "/graphql", body)[1]


@pytest.mark.parametrize("size", [100, 3 * signing.IN_MEMORY_BYTES])
async def test_threaded_and_inline_checks_agree_on_good_and_tampered_bodies(size: int) -> None:
    body = os.urandom(size)
    tampered = body[:-1] + bytes([body[-1] ^ 1])
    spooled = signing.RequestBody()
    spooled_tampered = signing.RequestBody()
    try:
        for start in range(0, size, signing.CHUNK_BYTES):
            spooled.add(body[start : start + signing.CHUNK_BYTES])
            spooled_tampered.add(tampered[start : start + signing.CHUNK_BYTES])
        assert (spooled.file is None) == (size <= signing.IN_MEMORY_BYTES)
        for content in (body, spooled.content()):  # inline, then threaded past 1 MB
            await Verifier(KEY).verify(_header(body), "POST", "/graphql", content)
        for content in (tampered, spooled_tampered.content()):
            with pytest.raises(SignatureError, match="invalid request signature"):
                await Verifier(KEY).verify(_header(body), "POST", "/graphql", content)
        with pytest.raises(SignatureError, match="invalid request signature"):
            await Verifier(KEY).verify(
                _header(body, "w" * 40), "POST", "/graphql", spooled.content()
            )
    finally:
        spooled.close()
        spooled_tampered.close()


async def test_a_replayed_large_upload_is_refused() -> None:
    verifier = Verifier(KEY)
    body = os.urandom(2 * signing.IN_MEMORY_BYTES)
    spooled = signing.RequestBody()
    try:
        spooled.add(body)
        header = _header(body)
        await verifier.verify(header, "POST", "/graphql", spooled.content())
        with pytest.raises(SignatureError, match="replayed"):
            await verifier.verify(header, "POST", "/graphql", spooled.content())
    finally:
        spooled.close()
