"""Traffic shaping towards subgraphs over real HTTP: retries of queries only, and the circuit
breaker (5 failures open it, fail fast while open, one half-open trial closes or reopens it),
with its state on /ready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from router.executor import SubgraphClients, SubgraphFailure
from router.server.app import create_app
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from tests.router.canned import case_supergraph
from tests.utils.asgi import serve

QUERY = b'{"query":"{ a }"}'
CASE = Path(__file__).parent / "cases" / "shop-basic"


@dataclass
class Flaky:
    """Answers 502 with an HTML page (not GraphQL) while `failing` > 0, then real answers."""

    failing: int = 0
    requests: int = 0
    bodies: list[bytes] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.bodies.append(await request.read())
        if self.failing > 0:
            self.failing -= 1
            return web.Response(status=502, text="<html>bad gateway</html>")
        return web.json_response({"data": {"a": 1}})


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[Flaky, str]]:
    state = Flaky()
    app = web.Application()
    app.router.add_post("/graphql", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield state, f"http://127.0.0.1:{port}/graphql"
    finally:
        await runner.cleanup()


async def test_queries_are_retried_and_mutations_are_not(flaky: tuple[Flaky, str]) -> None:
    server, url = flaky
    clients = SubgraphClients({"s": url}, retries=2, backoff=0.001)
    try:
        server.failing = 2
        assert await clients.post("s", QUERY) == {"data": {"a": 1}}
        assert server.requests == 3

        server.failing, server.requests = 1, 0
        with pytest.raises(SubgraphFailure):
            await clients.post("s", b'{"query":"mutation { a }"}', idempotent=False)
        assert server.requests == 1

        server.failing, server.requests = 5, 0
        with pytest.raises(SubgraphFailure):
            await clients.post("s", QUERY)
        assert server.requests == 3  # 1 + 2 retries, then the failure is the client's
    finally:
        await clients.close()


async def test_five_failures_open_the_circuit(flaky: tuple[Flaky, str]) -> None:
    server, url = flaky
    clients = SubgraphClients({"s": url}, breaker_failures=5, breaker_seconds=60)
    breaker = clients.breakers["s"]
    try:
        server.failing = 5
        for _ in range(5):
            with pytest.raises(SubgraphFailure) as caught:
                await clients.post("s", QUERY)
            assert caught.value.code == "SUBREQUEST_HTTP_ERROR"
        assert server.requests == 5
        assert breaker.state() == "open"

        with pytest.raises(SubgraphFailure) as caught:
            await clients.post("s", QUERY)
        assert caught.value.code == "SUBREQUEST_CIRCUIT_OPEN"
        assert server.requests == 5  # failed fast: the subgraph saw nothing

        # 60 s later (moved back in time rather than waited for): half-open, one trial.
        assert breaker.opened_at is not None
        breaker.opened_at -= 61
        assert breaker.state() == "half_open"
        server.failing = 1
        with pytest.raises(SubgraphFailure):
            await clients.post("s", QUERY)
        assert server.requests == 6
        assert breaker.state() == "open"  # the trial failed: open again for 60 s

        breaker.opened_at -= 61
        assert await clients.post("s", QUERY) == {"data": {"a": 1}}
        assert breaker.state() == "closed" and breaker.failures == 0
        assert clients.details()["s"]["circuit"]["times_opened"] == 2
    finally:
        await clients.close()


async def test_the_breaker_state_is_on_ready(flaky: tuple[Flaky, str]) -> None:
    server, url = flaky
    supergraph = case_supergraph(CASE)
    names = [g.name for g in load_supergraph(supergraph.read_text()).graphs.values()]
    settings = RouterSettings(
        _env_file=None,  # type: ignore[call-arg]
        supergraph=str(supergraph),
        hot_reload=False,
        subgraph_urls={name: url for name in names},
        subgraph_retries=0,
    )
    server.failing = 100
    query = {"query": "{ topProducts { upc } }"}
    async with (
        serve(create_app(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as client,
    ):
        codes = []
        for _ in range(6):
            body = (await client.post("/graphql", json=query)).json()
            codes.append(body["errors"][0]["extensions"]["code"])
        assert codes == ["SUBREQUEST_HTTP_ERROR"] * 5 + ["SUBREQUEST_CIRCUIT_OPEN"]
        ready = (await client.get("/ready")).json()
    circuits = {
        name: entry["circuit"]["state"] for name, entry in ready["details"]["subgraphs"].items()
    }
    assert "open" in circuits.values()
