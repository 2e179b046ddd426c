"""Two routers behind one port (Debian's nginx, round robin, websocket upgrade passed through,
no buffering): clients land on different routers and each gets its event from the same
subgraph event stream; an SSE stream arrives through the proxy unbuffered. Then production's
shape: the real notifications subgraph as two replica processes on PostgreSQL and Redis, each
router's upstream subscription on either replica, and every notification reaches its
recipient whichever router holds the socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from db import migrations
from mosaic.dev import point_supergraph_at
from router.server.app import RouterApp, create_app
from router.settings import RouterSettings
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.notifications import MIGRATIONS
from tests.router.subscriptions.conftest import Federation, federation_running
from tests.router.subscriptions.helpers import init, open_ws, poll, receive, send
from tests.utils.asgi import serve
from tests.utils.servers import RedisServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[3]

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


# -- the real notifications subgraph: two replicas on PostgreSQL + Redis ------------------------
SUBSCRIPTION = "subscription { notificationAdded { type title recipient { id } } }"
LIVE_CHANNEL = "mosaic:events:notification.created"  # the replicas' Redis pub/sub channel


@contextlib.asynccontextmanager
async def replica(env: dict[str, str]) -> AsyncIterator[str]:
    """One notifications subgraph process (what `mosaic dev` and docker-compose run)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "subgraphs.notifications.app:app", "--host",
        "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio", "--no-access-log",
        "--log-level", "warning", cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as client:

            async def ready() -> bool:  # its database and Redis answer
                assert process.returncode is None, "the replica exited"
                with contextlib.suppress(httpx.HTTPError):
                    return (await client.get(base + "/ready")).status_code == 200
                return False

            await poll(ready, "the replica's /ready", 60)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("subgraph_side", ["pinned", "balanced"])
async def test_notifications_replicas_and_routers_behind_nginx(
    tmp_path: Path, postgres_url: str, redis: RedisServer, subgraph_side: str
) -> None:
    """Production's shape on loopback: two notifications replicas on one PostgreSQL database
    sharing Redis (pub/sub for live events), two routers, nginx round robin in front of the
    routers. Alice's and Bob's sockets land on different routers; one admin mutation through
    nginx reaches one replica, and each recipient gets their own notification, only theirs.
    "pinned": each router subscribes upstream to its own replica, so one of the two events
    must cross replicas through Redis. "balanced": the routers reach the replicas through a
    second nginx (round robin), as behind a load-balanced service."""
    await migrations.upgrade(postgres_url, MIGRATIONS, "notifications")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    key = dev_signing_key(settings.data_dir)  # created once, before the replicas share it
    alice, bob = "user-alice", "user-bob"
    tokens = {u: mint_access_token(settings, key, u, ["USER"]) for u in (alice, bob)}
    admin = mint_access_token(settings, key, "user-admin", ["ADMIN", "USER"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    env.update(MOSAIC_DATA_DIR=str(settings.data_dir), MOSAIC_DATABASE_URL=postgres_url,
               MOSAIC_EVENT_BACKEND="redis", MOSAIC_REDIS_URL=redis.url())  # fmt: skip
    committed = (ROOT / "schema" / "supergraph.graphql").read_text()
    async with contextlib.AsyncExitStack() as stack:
        replicas = [await stack.enter_async_context(replica(env)) for _ in range(2)]
        if subgraph_side == "balanced":
            balancer = await stack.enter_async_context(nginx(tmp_path / "nginx-sub", *replicas))
            replicas = [balancer, balancer]
        routers: list[RouterApp] = []
        urls = []
        for n, upstream in enumerate(replicas):
            path = tmp_path / f"supergraph-{n}.graphql"  # the real supergraph
            path.write_text(
                point_supergraph_at(committed, {"notifications": f"{upstream}/graphql"})
            )
            app = create_app(RouterSettings(_env_file=None, supergraph=str(path), hot_reload=False))  # type: ignore[call-arg]
            routers.append(app)
            urls.append(await stack.enter_async_context(serve(app)))
        proxy = await stack.enter_async_context(nginx(tmp_path / "nginx", *urls))
        url = proxy.replace("http://", "ws://") + "/graphql"
        sockets = {u: await stack.enter_async_context(open_ws(url)) for u in (alice, bob)}
        for user, ws in sockets.items():
            await init(ws, {"authorization": f"Bearer {tokens[user]}"})
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})

        async def spread() -> bool:  # round robin: one socket on each router
            return [r.graphql.streams.hub.subscribers for r in routers] == [1, 1]

        await poll(spread, "one subscription on each router")
        live = aioredis.Redis.from_url(redis.url())
        stack.push_async_callback(live.aclose)

        async def upstream_live() -> bool:  # each replica listens on Redis for its subscriber
            ((_, listeners),) = await live.pubsub_numsub(LIVE_CHANNEL)
            return int(listeners) == 2

        await poll(upstream_live, "both replicas' live subscriptions", 30)
        mutation = ('mutation ($to: [ID!]!) { sendBulkNotification(userIds: $to, '
                    'title: "Hello", body: "from one replica") }')  # fmt: skip
        async with httpx.AsyncClient(base_url=proxy, timeout=30) as client:
            response = await client.post(
                "/graphql",
                json={"query": mutation, "variables": {"to": [alice, bob]}},
                headers={"authorization": f"Bearer {admin}"},
            )
        assert response.json() == {"data": {"sendBulkNotification": 2}}
        for user, ws in sockets.items():
            event = (await receive(ws))["payload"]["data"]["notificationAdded"]
            assert event == {"type": "admin.message", "title": "Hello", "recipient": {"id": user}}
