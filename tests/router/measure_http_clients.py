"""Measure subgraph HTTP clients (Mosaic's own, aiohttp, httpx): CPU per request, by hand.

    .venv/bin/python -m tests.router.measure_http_clients

Starts a fixed-answer subgraph stand-in (uvicorn, another process), then POSTs a small body and
a 40-representation `_entities` body with each client, 10 in flight, and prints the client's
CPU milliseconds per request. Not a test (it measures time). The router uses its own client
(router/executor/http1.py, through SubgraphClients with sharing of identical requests off).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import aiohttp
import httpx
import orjson
import uvloop

from router.executor import SubgraphClients
from tests.utils.servers import free_port, wait_for_port

SERVER = """
import orjson, uvicorn
ENTITIES = [{"id": str(i), "name": "x" * 40} for i in range(40)]
ANSWER = orjson.dumps({"data": {"_entities": ENTITIES}})
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": ANSWER})
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="error",
            loop="uvloop", http="httptools")
"""

REPS = [{"__typename": "User", "id": str(i)} for i in range(40)]
BODIES = {
    "small": orjson.dumps({"query": "{__typename}"}),
    "entities-40": orjson.dumps(
        {"query": "query($representations:[_Any!]!){_entities(representations:$representations)"
                  "{...on User{id name}}}", "variables": {"representations": REPS}}
    ),
}  # fmt: skip
N = 1000


async def with_mosaic(url: str, body: bytes) -> float:
    clients = SubgraphClients({"sub": url}, dedup=False)
    try:
        await clients.post("sub", body)
        start = time.process_time()
        for _ in range(N // 10):
            await asyncio.gather(*(clients.post("sub", body) for _ in range(10)))
        return (time.process_time() - start) * 1000 / N
    finally:
        await clients.close()


async def with_aiohttp(url: str, body: bytes) -> float:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def one() -> None:
            async with session.post(
                url, data=body, headers={"content-type": "application/json"}
            ) as r:
                orjson.loads(await r.read())

        await one()
        start = time.process_time()
        for _ in range(N // 10):
            await asyncio.gather(*(one() for _ in range(10)))
        return (time.process_time() - start) * 1000 / N


async def with_httpx(url: str, body: bytes) -> float:
    async with httpx.AsyncClient() as client:

        async def one() -> None:
            r = await client.post(url, content=body, headers={"content-type": "application/json"})
            orjson.loads(r.content)

        await one()
        start = time.process_time()
        for _ in range(N // 10):
            await asyncio.gather(*(one() for _ in range(10)))
        return (time.process_time() - start) * 1000 / N


async def main() -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])  # noqa: ASYNC220
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/graphql"
        for name, body in BODIES.items():
            m = await with_mosaic(url, body)
            a = await with_aiohttp(url, body)
            h = await with_httpx(url, body)
            print(
                f"{name}: mosaic {m:.3f} ms CPU/request, aiohttp {a:.3f} ms ({a / m:.1f}x), "
                f"httpx {h:.3f} ms ({h / m:.1f}x)"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    uvloop.run(main())
