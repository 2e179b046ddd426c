"""Router CPU per request with and without the front door's work: the real router process
(`mosaic router`, pinned to CPU 0) serving one simple query from a trivial subgraph, in five
configurations run side by side and measured in interleaved rounds:

    none              nothing configured
    jwt               RS256 JWT verified (static JWKS), one token reused as a client does
    jwt-new-tokens    the same, with a token never seen before on every request (worst case)
    jwt+limits-memory JWT + rate limits (3 windows, per user) counted in the router's memory
    jwt+limits-redis  JWT + the same rate limits counted in Redis

    .venv/bin/python -m bench.edge.run        (BENCH_EDGE_REQUESTS, BENCH_EDGE_ROUNDS)

CPU ms per request = the router process tree's user + system CPU time (/proc) over the measured
requests, divided by their number: the figure least moved by other load on the machine. The
load generator (Python, here) and the subgraph run on CPU 1. Every answer is checked.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives import serialization

from bench.edge.subgraph import SDL
from bench.harness.env import load_averages, machine_description
from bench.harness.procs import Process, cpu_seconds, free_port, process_tree, wait_http
from bench.harness.services import start_redis
from router.compose import SubgraphSource, compose
from subgraphs.common.keys import SigningKey, generate_private_pem

ROOT = Path(__file__).resolve().parents[2]
QUERY = orjson.dumps({"query": "{ hello }"})
LIMITS = "100000000/minute,100000000/hour,100000000/day"  # counted, never reached
CONCURRENCY = 16
COMMAND = ".venv/bin/python -m bench.edge.run"


@dataclass
class Router:
    name: str
    process: Process
    url: str
    tokens: list[str]  # one per request (cycled); [] = no Authorization header


def _tokens(key: SigningKey, subjects: range) -> list[str]:
    private = serialization.load_pem_private_key(key.private_pem, password=None)
    now = int(time.time())
    return [
        jwt.encode({"sub": f"user-{i}", "iat": now, "exp": now + 3600, "scope": "read"},
                   private, algorithm="RS256", headers={"kid": key.kid})  # type: ignore[arg-type]
        for i in subjects
    ]  # fmt: skip


async def _load(router: Router, requests: int) -> tuple[float, int]:
    """Send `requests` requests, CONCURRENCY at a time; (wall seconds, failed answers)."""
    sent = 0
    failed = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent, failed
        while sent < requests:
            index = sent
            sent += 1
            headers = {"content-type": "application/json"}
            if router.tokens:
                headers["authorization"] = f"Bearer {router.tokens[index % len(router.tokens)]}"
            response = await client.post(router.url, content=QUERY, headers=headers)
            if response.status_code != 200 or response.content != b'{"data":{"hello":"world"}}':
                failed += 1

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, failed


async def _measure(router: Router, requests: int) -> tuple[float, float, int]:
    """(router CPU ms per request, requests per second, failed)."""
    pids = process_tree(router.process.pid)
    before = cpu_seconds(pids)
    wall, failed = await _load(router, requests)
    used = cpu_seconds(pids) - before
    return used / requests * 1000, requests / wall, failed


def _start_router(
    name: str, supergraph: Path, work: Path, env: dict[str, str], tokens: list[str]
) -> Router:
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_")}
    settings = {
        "MOSAIC_ROUTER_HOT_RELOAD": "false",
        "MOSAIC_ROUTER_DEDUP_SUBGRAPH_REQUESTS": "false",  # every request fetches: comparable
        "PYTHONPATH": str(ROOT),
    }
    argv = [sys.executable, "-m", "mosaic", "router", "--supergraph", str(supergraph),
            "--port", str(port)]  # fmt: skip
    process = Process(f"router-{name}", argv, log_path=work / f"router-{name}.log",
                      cwd=ROOT, env={**base, **settings, **env}, cpus="0")  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/health", process)
    return Router(name, process, f"http://127.0.0.1:{port}/graphql", tokens)


async def main() -> None:
    requests = int(os.environ.get("BENCH_EDGE_REQUESTS", "1500"))
    rounds = int(os.environ.get("BENCH_EDGE_ROUNDS", "3"))
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {1})  # the load generator off the router's core
    work = ROOT / "bench" / ".work" / "edge"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load_at_start = load_averages()

    port = free_port()
    subgraph = Process("subgraph", [sys.executable, "-m", "bench.edge.subgraph", str(port)],
                       log_path=work / "subgraph.log", cwd=ROOT, cpus="1")  # fmt: skip
    redis, redis_url = start_redis(work)
    routers: list[Router] = []
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        result = compose([SubgraphSource("hello", url, SDL)])
        assert result.supergraph_sdl is not None, result.errors
        supergraph = work / "supergraph.graphql"
        supergraph.write_text(result.supergraph_sdl)

        key = SigningKey(kid="bench", private_pem=generate_private_pem())
        jwks = orjson.dumps(key.jwks()).decode()
        one = _tokens(key, range(1))
        fresh = _tokens(key, range(requests * rounds + 500))
        jwt_env = {"MOSAIC_ROUTER_JWT_JWKS": jwks}
        limits_env = {**jwt_env, "MOSAIC_ROUTER_RATE_LIMITS": LIMITS,
                      "MOSAIC_ROUTER_RATE_LIMIT_BY": "user"}  # fmt: skip
        configurations = [
            ("none", {}, one),
            ("jwt", jwt_env, one),
            ("jwt-new-tokens", jwt_env, fresh),
            ("jwt+limits-memory", limits_env, one),
            ("jwt+limits-redis", {**limits_env, "MOSAIC_ROUTER_REDIS_URL": redis_url}, one),
        ]
        for name, env, tokens in configurations:
            routers.append(_start_router(name, supergraph, work, env, tokens))
        # Warm-up: imports, the prepared-document cache, pools, the JIT-free Python caches.
        for router in routers:
            await _load(router, 300)
        results: dict[str, list[tuple[float, float, int]]] = {r.name: [] for r in routers}
        for _ in range(rounds):
            for router in routers:
                results[router.name].append(await _measure(router, requests))
    finally:
        for router in routers:
            router.process.stop()
        subgraph.stop()
        redis.stop()
    _report(results, requests, rounds, load_at_start)


def _report(
    results: dict[str, list[tuple[float, float, int]]], requests: int, rounds: int, load: str
) -> None:
    base = statistics.median(cpu for cpu, _, _ in results["none"])
    lines = [
        f"# Router CPU per request with and without JWT and rate limits, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{COMMAND}` (BENCH_EDGE_REQUESTS={requests}, BENCH_EDGE_ROUNDS={rounds}).",
        "",
        f"- Machine: {machine_description()}; load average at start {load}.",
        "- One `mosaic router --workers 1` process per configuration, all pinned to CPU 0; the",
        f"  Python load generator ({CONCURRENCY} concurrent keep-alive requests) and the",
        "  trivial subgraph on CPU 1; subgraph request deduplication off.",
        "- Query `{ hello }`, answered by one fetch; every answer checked.",
        f"- {rounds} interleaved rounds of {requests} requests per configuration after a",
        "  300-request warm-up; CPU ms/request = the router's user + system CPU (/proc) over a",
        "  round / requests; the median round, and the range over the rounds.",
        "",
        "| configuration | CPU ms/request (median) | range | added vs none | RPS (median) "
        "| failed |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        cpus = [cpu for cpu, _, _ in rows]
        cpu = statistics.median(cpus)
        rps = statistics.median(r for _, r, _ in rows)
        failed = sum(f for _, _, f in rows)
        added = "–" if name == "none" else f"{cpu - base:+.3f} ms ({(cpu / base - 1) * 100:+.0f} %)"
        lines.append(
            f"| {name} | {cpu:.3f} | {min(cpus):.3f}–{max(cpus):.3f} | {added} | {rps:.0f} "
            f"| {failed} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}-edge.md"
    out.write_text(text)
    print(f"written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
