"""Traffic shaping per subgraph (MOSAIC_ROUTER_TRAFFIC_SHAPING, as Apollo Router's
`traffic_shaping.all` + `traffic_shaping.subgraphs.NAME`), over real HTTP: a slow subgraph
with a longer timeout answers while another one times out; one subgraph's breaker opens while
the other keeps being asked; each subgraph's settings and circuit are on /ready."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.compose import SubgraphSource, compose
from router.server.app import create_app
from router.server.reload import StartupError, preflight
from router.settings import RouterSettings
from router.traffic.shaping import Traffic
from tests.router.canned import CannedServer, CannedSubgraph
from tests.utils.asgi import serve

FED = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])\n'
SDL = {"media": FED + "type Query { media: String }", "tasks": FED + "type Query { tasks: String }"}


@dataclass
class Running:
    router: str
    subgraphs: dict[str, CannedSubgraph]

    async def post(self, query: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.router, timeout=60) as client:
            response = await client.post("/graphql", json={"query": query})
        return dict(response.json())

    async def ready(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.router, timeout=60) as client:
            details: dict[str, Any] = (await client.get("/ready")).json()["details"]
        return dict(details["subgraphs"])


def _supergraph(tmp_path: Path, base: str) -> Path:
    result = compose([SubgraphSource(n, f"{base}/{n}", s) for n, s in SDL.items()])
    assert result.supergraph_sdl is not None, result.errors
    path = tmp_path / "supergraph.graphql"
    path.write_text(result.supergraph_sdl)
    return path


@pytest.fixture
async def canned() -> AsyncIterator[CannedServer]:
    server = CannedServer()
    for name in SDL:
        server.add("traffic", name, SDL[name], {"Query": {name: f"{name} ok"}})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _router(tmp_path: Path, server: CannedServer, **settings: Any) -> Any:
    path = _supergraph(tmp_path, f"http://127.0.0.1:{server.port}/traffic")
    options = {"supergraph": str(path), "hot_reload": False, **settings}
    return serve(create_app(RouterSettings(_env_file=None, **options)))  # type: ignore[call-arg]


def _subgraphs(server: CannedServer) -> dict[str, CannedSubgraph]:
    return {name.split("/", 1)[1]: sub for name, sub in server.subgraphs.items()}


async def test_a_slow_subgraph_gets_its_longer_timeout(
    tmp_path: Path, canned: CannedServer
) -> None:
    subgraphs = _subgraphs(canned)
    for sub in subgraphs.values():
        sub.data["__delay"] = 1.0  # both answer after a second
    shaping = {"all": {"timeout": "300ms"}, "subgraphs": {"media": {"timeout": 30}}}
    async with await _router(tmp_path, canned, traffic_shaping=json.dumps(shaping)) as url:
        running = Running(url, subgraphs)
        body = await running.post("{ media tasks }")
        assert body["data"] == {"media": "media ok", "tasks": None}
        assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
            ("HTTP fetch failed from 'tasks': request timed out", "SUBREQUEST_HTTP_ERROR")
        ]
        ready = await running.ready()
    assert ready["media"]["traffic"]["timeout"] == 30
    assert ready["tasks"]["traffic"]["timeout"] == 0.3


async def test_one_subgraphs_breaker_opens_alone(tmp_path: Path, canned: CannedServer) -> None:
    subgraphs = _subgraphs(canned)
    for sub in subgraphs.values():
        sub.data["__fail"] = "http500"
    shaping = """
all: {retries: 0, breaker_failures: 0}
subgraphs:
  tasks: {breaker_failures: 2, breaker_open_seconds: 120}
"""
    async with await _router(tmp_path, canned, traffic_shaping=shaping) as url:
        running = Running(url, subgraphs)
        codes: dict[str, list[str]] = {"media": [], "tasks": []}
        for _ in range(4):
            for name in codes:
                body = await running.post(f"{{ {name} }}")
                codes[name].append(body["errors"][0]["extensions"]["code"])
        ready = await running.ready()
    assert codes["media"] == ["SUBREQUEST_HTTP_ERROR"] * 4  # no breaker: asked every time
    assert len(subgraphs["media"].requests) == 4
    assert codes["tasks"] == ["SUBREQUEST_HTTP_ERROR"] * 2 + ["SUBREQUEST_CIRCUIT_OPEN"] * 2
    assert len(subgraphs["tasks"].requests) == 2  # failed fast once open
    assert ready["tasks"]["circuit"]["state"] == "open"
    assert ready["tasks"]["traffic"]["breaker_open_seconds"] == 120
    assert "circuit" not in ready["media"]


def test_precedence_and_refusals(tmp_path: Path) -> None:
    settings = RouterSettings(  # type: ignore[call-arg]
        _env_file=None,
        subgraph_timeout=7,
        max_connections_per_subgraph=50,
        traffic_shaping='{"all": {"retries": 1}, "subgraphs": {"media": {"retries": 4, '
        '"max_connections": 5}}}',
    )
    assert settings.traffic("media") == Traffic(7, 4, 0.05, 5, 60, 5)
    assert settings.traffic("tasks") == Traffic(7, 1, 0.05, 5, 60, 50)
    for bad in ('{"subgraphs": {"media": {"timout": 1}}}', "{all: {timeout: soon}}", "[1"):
        with pytest.raises(ValueError, match="traffic_shaping"):
            RouterSettings(_env_file=None, traffic_shaping=bad)  # type: ignore[call-arg]
    path = _supergraph(tmp_path, "http://127.0.0.1:1/traffic")
    typo = RouterSettings(  # type: ignore[call-arg]
        _env_file=None, supergraph=str(path), traffic_shaping='{"subgraphs": {"medai": {}}}'
    )
    with pytest.raises(StartupError, match="MOSAIC_ROUTER_TRAFFIC_SHAPING names subgraphs"):
        preflight(typo)
