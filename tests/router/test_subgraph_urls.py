"""MOSAIC_ROUTER_SUBGRAPH_URLS (Apollo Router's override_subgraph_url): the router sends each
named subgraph's requests to the given URL instead of the supergraph's routing URL; malformed
values and unknown subgraph names stop `mosaic router` before it serves, with a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import ValidationError

from router.server.app import create_app
from router.settings import RouterSettings
from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs
from tests.utils.servers import free_port

ROOT = Path(__file__).parents[2]
CASES = Path(__file__).parent / "cases"
SCHEMAS = Path(__file__).parent / "schemas"
SHOP = case_supergraph(CASES / "shop-basic").read_text()
NAMES = ("accounts", "inventory", "products", "reviews")


@pytest_asyncio.fixture
async def canned() -> AsyncIterator[CannedServer]:
    server = CannedServer()
    data = json.loads((SCHEMAS / "shop" / "data.json").read_text())
    for name, sdl in load_case_subgraphs(CASES / "shop-basic", SCHEMAS).items():
        server.add("shop", name, sdl, data[name])
    await server.start()
    yield server
    await server.stop()


def test_settings_parse_name_url_pairs() -> None:
    settings = RouterSettings(
        subgraph_urls=" users=http://users:4001/graphql , tasks=https://tasks.internal/graphql,"
    )
    assert settings.subgraph_urls == {
        "users": "http://users:4001/graphql",
        "tasks": "https://tasks.internal/graphql",
    }
    assert RouterSettings().subgraph_urls == {}
    for bad in ("users", "users=", "=http://x", "users=ftp://x/graphql"):
        with pytest.raises(ValidationError):
            RouterSettings(subgraph_urls=bad)


async def test_requests_go_to_the_overriding_urls(canned: CannedServer, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"  # nothing listens: the routing URLs would fail
    path = tmp_path / "supergraph.graphql"
    path.write_text(SHOP.replace("http://subgraphs/", dead))
    query = {"query": "{ me { name reviews { body product { name inStock } } } }"}
    plain = create_app(RouterSettings(supergraph=str(path), hot_reload=False))
    overrides = ",".join(f"{n}=http://127.0.0.1:{canned.port}/shop/{n}" for n in NAMES)
    app = create_app(
        RouterSettings(supergraph=str(path), hot_reload=False, subgraph_urls=overrides)
    )
    try:
        for served, ok in ((plain, False), (app, True)):
            transport = httpx.ASGITransport(app=served)
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
                body = (await client.post("/graphql", json=query)).json()
            if ok:
                assert "errors" not in body, body
                assert body["data"]["me"]["name"] == "Ada Lovelace"
                assert body["data"]["me"]["reviews"][0]["product"]["inStock"] is not None
            else:
                assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
        # Every subgraph the query touches was reached at its overriding URL.
        for name in NAMES:
            assert canned.subgraphs[f"shop/{name}"].requests, name
    finally:
        await plain.state.holder.stop()
        await app.state.holder.stop()


def _router(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mosaic", "router", "--port", str(free_port()), *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_router_refuses_to_start_on_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SHOP)
    unknown = _router(
        {"MOSAIC_ROUTER_SUBGRAPH_URLS": "acounts=http://127.0.0.1:1/graphql"},
        "--supergraph", str(path),
    )  # fmt: skip
    assert unknown.returncode == 2
    assert (
        "error: MOSAIC_ROUTER_SUBGRAPH_URLS names subgraphs the supergraph does not have: "
        "acounts (it has: accounts, inventory, products, reviews)"
    ) in unknown.stderr
    malformed = _router({"MOSAIC_ROUTER_SUBGRAPH_URLS": "accounts"}, "--supergraph", str(path))
    assert malformed.returncode == 2
    assert "invalid router settings" in malformed.stderr and "NAME=URL" in malformed.stderr
    missing = _router({}, "--supergraph", str(tmp_path / "nope.graphql"))
    assert missing.returncode == 2
    assert f"error: cannot read the supergraph {tmp_path / 'nope.graphql'}" in missing.stderr
    (tmp_path / "broken.graphql").write_text("type Query { x: Int }")
    broken = _router({}, "--supergraph", str(tmp_path / "broken.graphql"))
    assert broken.returncode == 2 and "cannot be served" in broken.stderr
    assert "Traceback" not in unknown.stderr + malformed.stderr + missing.stderr + broken.stderr
