"""How many concurrent subscriptions one router process holds, its memory, and the latency from
a mutation to the client's event at that load. Prints numbers; never a test.

Three processes: the subgraphs (inbox + people, the subscription tests' Strawberry subgraphs),
the router (uvicorn, pinned to CPU 0) and this process with N websocket clients (graphql-
transport-ws, pinned with the subgraphs to CPU 1). Each event is federated: the inbox's
`messageAdded` plus the author's name from people (an entity fetch per event).

Whatever the mode, one more client ("probe", its own token) then gets 200 sequential events
alone: the mutation -> event latency of one subscriber while the router holds the N others.
Modes: `shared`: N clients with the same operation and token (one upstream subscription; each
event runs the plan once and is fanned out to N sockets): latency = mutation -> each client's
event. `distinct`: N clients, each its own token (N upstream subscriptions): latency of 200
sequential mutations, each to one random client.

Usage: .venv/bin/python -m bench.subscriptions.run --mode shared --clients 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.router.subscriptions.conftest import supergraph_sdl
from tests.utils.servers import free_port, wait_for_port

QUERY = "subscription { messageAdded { text author { name } } }"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def subscribe(url: str, token: str) -> ClientConnection:
    ws = await connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                       compression=None, proxy=None, open_timeout=60)  # fmt: skip
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"authorization": f"Bearer {token}"}}))  # fmt: skip
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))
    return ws


async def wait_active(inbox: str, n: int, deadline: float = 300) -> None:
    end = time.monotonic() + deadline
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            r = await client.post(inbox, json={"query": "{ activeSubscriptions }"})
            if r.json()["data"]["activeSubscriptions"] >= n:
                return
            if time.monotonic() > end:
                raise SystemExit(f"only {r.json()} upstream subscriptions after {deadline} s")
            await asyncio.sleep(0.2)


async def send(client: httpx.AsyncClient, inbox: str, to: str, text: str) -> None:
    mutation = f'mutation {{ send(to: "{to}", text: "{text}", author: "u2") {{ id }} }}'
    r = await client.post(inbox, json={"query": mutation})
    assert "errors" not in r.json(), r.text


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def start(
    supergraph: Path, inbox_port: int, people_port: int, router_port: int
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """The router on CPU 0, the subgraphs on CPU 1 (with this process)."""
    env = {**os.environ, "MOSAIC_ROUTER_SUPERGRAPH": str(supergraph),
           "MOSAIC_ROUTER_HOT_RELOAD": "false", "MOSAIC_ROUTER_MAX_SUBSCRIPTIONS": "100000",
           "MOSAIC_ROUTER_MAX_CONNECTIONS_PER_CALLER": "100000"}  # fmt: skip
    subgraphs = subprocess.Popen(
        ["taskset", "-c", "1", sys.executable, "-m", "bench.subscriptions.subgraphs",
         str(inbox_port), str(people_port)], env=env)  # fmt: skip
    router = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "uvicorn",
         "router.server.app:create_app_from_env", "--factory", "--port", str(router_port),
         "--ws", "websockets-sansio", "--no-access-log", "--log-level", "warning"],
        env=env)  # fmt: skip
    return router, subgraphs


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    inbox_port, people_port, router_port = free_port(), free_port(), free_port()
    inbox = f"http://127.0.0.1:{inbox_port}/graphql"
    tmp = Path(tempfile.mkdtemp(prefix="mosaic-subs-bench-"))
    supergraph = tmp / "supergraph.graphql"
    supergraph.write_text(
        supergraph_sdl(f"http://127.0.0.1:{inbox_port}", f"http://127.0.0.1:{people_port}")
    )
    router, subgraphs = start(supergraph, inbox_port, people_port, router_port)
    os.sched_setaffinity(0, {1})
    sockets: list[ClientConnection] = []
    try:
        for port in (inbox_port, people_port, router_port):
            wait_for_port(port)
        url = f"ws://127.0.0.1:{router_port}/graphql"
        idle = rss_mib(router.pid)
        tokens = ["alice"] * args.clients if args.mode == "shared" else [
            f"user{i}" for i in range(args.clients)
        ]  # fmt: skip
        started = time.monotonic()
        gate = asyncio.Semaphore(200)

        async def one(token: str) -> ClientConnection:
            async with gate:
                return await subscribe(url, token)

        sockets = list(await asyncio.gather(*(one(t) for t in tokens)))
        await wait_active(inbox, 1 if args.mode == "shared" else args.clients)
        probe = await subscribe(url, "probe")  # one more caller: its events reach it alone
        await wait_active(inbox, (1 if args.mode == "shared" else args.clients) + 1)
        setup = time.monotonic() - started
        held = rss_mib(router.pid)
        latencies: list[float] = []
        async with httpx.AsyncClient(timeout=60) as client:
            if args.mode == "shared":
                for n in range(args.rounds):
                    sent = time.monotonic()

                    async def receive(ws: ClientConnection, sent: float = sent) -> float:
                        await ws.recv()
                        return time.monotonic() - sent

                    waiting = [asyncio.ensure_future(receive(ws)) for ws in sockets]
                    await send(client, inbox, "alice", f"round {n}")
                    latencies += await asyncio.gather(*waiting)
            else:
                for i in range(args.rounds):
                    n = random.randrange(args.clients)
                    sent = time.monotonic()
                    await send(client, inbox, tokens[n], f"event {i}")
                    message = json.loads(await asyncio.wait_for(sockets[n].recv(), 30))
                    latencies.append(time.monotonic() - sent)
                    assert message["payload"]["data"]["messageAdded"]["author"]["name"] == "Grace"
            probe_latencies: list[float] = []
            for i in range(200):  # one event to one client while all the others are held
                sent = time.monotonic()
                await send(client, inbox, "probe", f"probe {i}")
                await asyncio.wait_for(probe.recv(), 30)
                probe_latencies.append((time.monotonic() - sent) * 1000)
        after = rss_mib(router.pid)
        ms = [x * 1000 for x in latencies]
        return {
            "mode": args.mode, "clients": args.clients, "events_measured": len(ms),
            "router_rss_idle_mib": round(idle, 1), "router_rss_holding_mib": round(held, 1),
            "router_rss_after_events_mib": round(after, 1),
            "kib_per_subscription": round((held - idle) * 1024 / args.clients, 1),
            "setup_seconds": round(setup, 1),
            "latency_ms_median": round(statistics.median(ms), 1),
            "latency_ms_p99": round(percentile(ms, 99), 1),
            "latency_ms_max": round(max(ms), 1),
            "probe_latency_ms_median": round(statistics.median(probe_latencies), 1),
            "probe_latency_ms_p99": round(percentile(probe_latencies, 99), 1),
        }  # fmt: skip
    finally:
        for ws in sockets:
            ws.transport.abort()
        for process in (router, subgraphs):
            process.terminate()
        for process in (router, subgraphs):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("shared", "distinct"), default="shared")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 5 if args.mode == "shared" else 200
    print(json.dumps(asyncio.run(bench(args))))


if __name__ == "__main__":
    main()
