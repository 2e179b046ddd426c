"""Rate limits and IP lists: the 101st request in a minute gets 429 + RATE_LIMITED +
Retry-After, counted across two router processes that share one real Redis; fail-open and
fail-closed when Redis is down; CIDR allow and deny lists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from router.server.app import create_app
from router.settings import RouterSettings
from router.traffic.iplist import IpFilter
from router.traffic.ratelimit import RateLimiter, parse_limit
from tests.router.canned import case_supergraph
from tests.utils.asgi import serve
from tests.utils.servers import RedisServer, free_port

CASE = Path(__file__).parent / "cases" / "shop-basic"
QUERY = {"query": "{ __typename }"}


async def test_windows_in_memory() -> None:
    limiter = RateLimiter([parse_limit("100/minute"), parse_limit("150/hour")])
    start = 1_700_000_080.0  # 40 s into a minute
    for i in range(100):
        assert (await limiter.hit("ip=a", now=start + i * 0.1)).allowed
    refused = await limiter.hit("ip=a", now=start + 15)
    assert not refused.allowed
    assert str(refused.limit) == "100/minute" and refused.retry_after == 5
    assert (await limiter.hit("ip=b", now=start + 15)).allowed  # another client
    # The next minute opens a new window, until the hour's 150 run out (the refused request
    # counted too: a client that keeps hammering while refused stays refused).
    for i in range(49):
        assert (await limiter.hit("ip=a", now=start + 20 + i * 0.1)).allowed, i
    hourly = await limiter.hit("ip=a", now=start + 25)
    assert not hourly.allowed and str(hourly.limit) == "150/hour"
    assert hourly.retry_after == 3600 - (1_700_000_105 % 3600)


def test_limit_syntax() -> None:
    assert parse_limit("10000/day").seconds == 86400
    for bad in ("100", "0/minute", "10/week", "x/hour"):
        with pytest.raises(ValueError):
            parse_limit(bad)
    with pytest.raises(ValueError):
        RouterSettings(_env_file=None, rate_limits="100/fortnight")  # type: ignore[call-arg]


def _router(port: int, redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MOSAIC_ROUTER_RATE_LIMITS": "100/minute,1000/hour",
        "MOSAIC_ROUTER_REDIS_URL": redis_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mosaic", "router", "--supergraph", str(case_supergraph(CASE)),
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the router exited"
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} never answered")


@pytest.fixture
def two_routers(redis: RedisServer) -> Iterator[tuple[str, str, str]]:
    redis_url = redis.url(3)
    ports = [free_port(), free_port()]
    procs = [_router(port, redis_url) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, proc in zip(urls, procs, strict=True):
            _wait_ready(url, proc)
        yield urls[0], urls[1], redis_url
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(20)


@pytest.mark.redis
def test_two_routers_share_one_count_in_redis(two_routers: tuple[str, str, str]) -> None:
    first, second, redis_url = two_routers
    import redis as redis_client

    store = redis_client.Redis.from_url(redis_url)
    for _attempt in range(3):  # a burst that straddles a minute boundary is tried again
        store.flushdb()
        minute = int(time.time() // 60)
        statuses = []
        with httpx.Client(timeout=10) as client:
            for i in range(100):
                response = client.post(f"{(first, second)[i % 2]}/graphql", json=QUERY)
                statuses.append(response.status_code)
            last = client.post(f"{second}/graphql", json=QUERY)
        if int(time.time() // 60) != minute:
            continue
        assert statuses == [200] * 100
        assert last.status_code == 429
        error = last.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= int(last.headers["retry-after"]) <= 60
        return
    raise AssertionError("three bursts in a row crossed a minute boundary")


async def test_fail_open_and_fail_closed_when_redis_is_down() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    for mode, status in (("open", 200), ("closed", 503)):
        settings = RouterSettings(
            _env_file=None,  # type: ignore[call-arg]
            supergraph=str(case_supergraph(CASE)),
            hot_reload=False,
            rate_limits=["100/minute"],
            redis_url=dead,
            rate_limit_on_redis_failure=mode,  # type: ignore[arg-type]
        )
        async with (
            serve(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=60) as client,
        ):
            response = await client.post("/graphql", json=QUERY)
        assert response.status_code == status, (mode, response.text)


async def test_rate_limit_per_user_and_operation_in_memory() -> None:
    settings = RouterSettings(
        _env_file=None,  # type: ignore[call-arg]
        supergraph=str(case_supergraph(CASE)),
        hot_reload=False,
        rate_limits=["2/day"],
        rate_limit_by=["ip", "operation"],
    )
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        a = {"query": "query A { __typename }", "operationName": "A"}
        b = {"query": "query B { __typename }", "operationName": "B"}
        codes = [(await client.post("/graphql", json=body)).status_code for body in (a, a, b, a)]
    assert codes == [200, 200, 200, 429]


def test_ip_lists() -> None:
    deny_first = IpFilter(allow=["10.0.0.0/8"], deny=["10.1.0.0/16"])
    assert deny_first.permits("10.2.3.4")
    assert not deny_first.permits("10.1.3.4")
    assert not deny_first.permits("192.168.1.1")
    assert IpFilter(deny=["::1/128"]).permits("127.0.0.1")
    assert not IpFilter(deny=["127.0.0.0/8"]).permits("::ffff:127.0.0.1")


async def test_router_refuses_denied_addresses() -> None:
    for options, status in (
        ({"ip_deny": ["127.0.0.0/8"]}, 403),
        ({"ip_allow": ["10.0.0.0/8"]}, 403),
        ({"ip_allow": ["127.0.0.1/32"]}, 200),
    ):
        settings = RouterSettings(
            _env_file=None,  # type: ignore[call-arg]
            supergraph=str(case_supergraph(CASE)),
            hot_reload=False,
            **options,
        )
        async with (
            serve(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=60) as client,
        ):
            response = await client.post("/graphql", json=QUERY)
        assert response.status_code == status, options
        if status == 403:
            assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
