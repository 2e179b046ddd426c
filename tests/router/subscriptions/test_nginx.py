"""Two routers behind one port (Debian's nginx, round robin, websocket upgrade passed through,
no buffering): clients land on different routers and each gets its event from the same
subgraph event stream; an SSE stream arrives through the proxy unbuffered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from router.server.app import RouterApp, create_app
from router.settings import RouterSettings
from tests.router.subscriptions.conftest import Federation, federation_running
from tests.router.subscriptions.helpers import init, open_ws, poll, receive, send
from tests.utils.asgi import serve
from tests.utils.servers import free_port, wait_for_port

CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
daemon off;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    upstream routers {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://routers;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def _nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"  # sbin may be off a user's PATH
    assert os.path.exists(binary), "Debian's nginx is missing: run `make nginx`"
    return binary


def _write_conf(tmp: Path, a: str, b: str, port: int) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(CONF.format(tmp=tmp, a=a.rsplit(":", 1)[1], b=b.rsplit(":", 1)[1], port=port))
    return conf


@contextlib.asynccontextmanager
async def nginx(tmp: Path, a: str, b: str) -> AsyncIterator[str]:
    binary = _nginx_binary()
    port = free_port()
    conf = _write_conf(tmp, a, b, port)
    process = await asyncio.create_subprocess_exec(
        binary, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")
    )
    try:
        await asyncio.to_thread(wait_for_port, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


async def test_two_routers_behind_nginx_share_one_event_stream(tmp_path: Path) -> None:
    async with federation_running(tmp_path) as federation:
        second: RouterApp = create_app(
            RouterSettings(_env_file=None, supergraph=str(federation.supergraph), hot_reload=False)  # type: ignore[call-arg]
        )
        async with (
            serve(second) as other,
            nginx(tmp_path / "nginx", federation.router, other) as proxy,
        ):
            hubs = [federation.app.graphql.streams.hub, second.graphql.streams.hub]
            url = proxy.replace("http://", "ws://") + "/graphql"
            query = {"query": "subscription { messageAdded { text author { name } } }"}
            async with open_ws(url) as first, open_ws(url) as last:
                for ws in (first, last):
                    await init(ws, {"authorization": "Bearer alice"})
                    await send(ws, {"id": "1", "type": "subscribe", "payload": query})

                async def spread() -> bool:  # round robin: one socket on each router
                    return [h.subscribers for h in hubs] == [1, 1]

                await poll(spread, "one subscription on each router")
                await _upstreams(federation, 2)
                await federation.send("alice", "to both routers")
                for ws in (first, last):
                    event = (await receive(ws))["payload"]["data"]["messageAdded"]
                    assert event == {"text": "to both routers", "author": {"name": "Ada"}}
            async with httpx.AsyncClient(base_url=proxy, timeout=10) as client:
                headers = {"accept": "text/event-stream", "authorization": "Bearer bob"}
                async with client.stream("POST", "/graphql", json=query, headers=headers) as r:
                    chunks = r.aiter_text()

                    async def bob_subscribed() -> bool:  # registered with its identity
                        return "bob" in federation.broker.callers

                    await poll(bob_subscribed, "bob's subscription on the inbox")
                    await federation.send("bob", "through the proxy")
                    seen = ""
                    while "through the proxy" not in seen:
                        seen += await anext(chunks)
            data = json.loads(seen.split("data: ", 1)[1].split("\n", 1)[0])
            assert data["data"]["messageAdded"]["text"] == "through the proxy"


async def _upstreams(federation: Federation, n: int) -> None:
    async def check() -> bool:
        body = await federation.inbox_query("{ activeSubscriptions }")
        return bool(body["data"]["activeSubscriptions"] == n)

    await poll(check, f"{n} upstream subscriptions")
