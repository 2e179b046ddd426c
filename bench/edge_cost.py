"""CPU per request of the router's front door (router/server/edge.py), measured in process:
JWT verification (a token seen before, and a new token each time), rate limiting in memory and
in Redis, and the whole `Edge.admit` as each configuration runs it.

    .venv/bin/python -m bench.edge_cost [REDIS_URL]

Process CPU time (time.process_time) over many calls, so other load on the machine barely moves
it (unlike the end-to-end benchmarks' CPU ms/request on a busy machine). Prints one line per
case: microseconds of CPU per call. The Redis case counts this process's CPU only (Redis's own
work and the wait are not the router's CPU).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

import jwt
import orjson

from router.auth.jwt import Authenticator, JwtConfig, KeySource, parse_jwks
from router.server.edge import Edge
from router.settings import RouterSettings
from router.traffic.ratelimit import RateLimiter, parse_limit
from subgraphs.common.keys import SigningKey, generate_private_pem

LIMITS = [parse_limit(x) for x in ("100000000/minute", "100000000/hour", "100000000/day")]


async def _measure(name: str, calls: int, make: Callable[[int], Awaitable[object]]) -> None:
    for i in range(min(calls, 200)):  # warm up caches and the event loop
        await make(i)
    started = time.process_time()
    for i in range(calls):
        await make(i)
    micros = (time.process_time() - started) / calls * 1e6
    print(f"{name:<46} {micros:8.1f} µs CPU per request")


def _token(key: SigningKey, i: int) -> str:
    now = int(time.time())
    claims = {"sub": f"user-{i}", "iat": now, "exp": now + 3600, "scope": "read"}
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


async def main(redis_url: str | None) -> None:
    key = SigningKey(kid="bench", private_pem=generate_private_pem())
    auth = Authenticator(KeySource(parse_jwks(key.jwks())), JwtConfig(frozenset({"RS256"})))
    token = _token(key, 0)
    fresh = [_token(key, i) for i in range(2000)]
    await _measure("JWT, the same token (remembered)", 20_000, lambda _: auth.verify(token))
    await _measure("JWT, a new token each request (RS256)", 2000, lambda i: auth.verify(fresh[i]))

    memory = RateLimiter(LIMITS)
    await _measure("rate limit, 3 windows, in memory", 20_000, lambda i: memory.hit(f"ip={i % 50}"))
    if redis_url:
        shared = RateLimiter(LIMITS, redis_url)
        await _measure("rate limit, 3 windows, Redis", 5000, lambda i: shared.hit(f"ip={i % 50}"))
        await shared.close()

    jwks = orjson.dumps(key.jwks()).decode()
    params = {"query": "{ topProducts { upc } }"}
    configurations = {
        "edge: nothing configured (APQ on, unused)": {},
        "edge: JWT": {"jwt_jwks": jwks},
        "edge: rate limits in memory": {"rate_limits": [str(x) for x in LIMITS]},
        "edge: JWT + rate limits per user in memory": {
            "jwt_jwks": jwks,
            "rate_limits": [str(x) for x in LIMITS],
            "rate_limit_by": ["user"],
        },
    }
    for name, options in configurations.items():
        edge = Edge(RouterSettings(_env_file=None, **options))  # type: ignore[call-arg]

        async def admit(_: int, edge: Edge = edge) -> object:
            if not edge.always and "extensions" not in params:
                return None  # what the endpoint does: no admit call at all
            return await edge.admit(params, "127.0.0.1", f"Bearer {token}", "")

        await _measure(name, 10_000, admit)
        await edge.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
