"""The router serves a Mosaic-composed and an Apollo-composed supergraph identically.

For every router fixture case (tests/router/cases: Apollo-composed supergraph, canned
subgraphs over real HTTP, a query, the @apollo/gateway response), Mosaic composes the same
subgraph SDLs; the router then answers the query from each supergraph. Responses (data and
errors) and query plans must be identical, and match the gateway's response. One case also
runs through two real `mosaic router` processes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from router.compose import SubgraphSource, compose
from router.server.app import create_app
from router.settings import RouterSettings
from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs
from tests.utils.servers import free_port, wait_for_port

ROUTER_TESTS = Path(__file__).parents[1]
CASES = sorted(p for p in (ROUTER_TESTS / "cases").iterdir() if p.is_dir())
SCHEMAS = ROUTER_TESTS / "schemas"
ROOT = Path(__file__).parents[3]


def _json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.exists() else default


def case_data(case: Path) -> dict[str, Any]:
    shared: dict[str, Any] = {}
    schema_file = case / "schema"
    if schema_file.exists():
        shared = _json(SCHEMAS / schema_file.read_text().strip() / "data.json", {})
    return {**shared, **_json(case / "data.json", {})}


def mosaic_supergraph(case: Path) -> str:
    """Mosaic's composition of the case's subgraphs, with the URLs Apollo's file uses."""
    apollo = case_supergraph(case).read_text()
    urls = dict(re.findall(r'@join__graph\(name: "([^"]+)", url: "([^"]+)"\)', apollo))
    sources = [
        SubgraphSource(name, urls[name], sdl)
        for name, sdl in load_case_subgraphs(case, SCHEMAS).items()
    ]
    result = compose(sources)
    assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
    return result.supergraph_sdl


def localize(sdl: str, case: Path, port: int) -> str:
    return sdl.replace("http://subgraphs/", f"http://127.0.0.1:{port}/{case.name}/")


@pytest_asyncio.fixture(scope="module")
async def canned() -> AsyncIterator[CannedServer]:
    server = CannedServer()
    for case in CASES:
        data = case_data(case)
        for name, sdl in load_case_subgraphs(case, SCHEMAS).items():
            server.add(case.name, name, sdl, data.get(name, {}))
    await server.start()
    yield server
    await server.stop()


async def serve_once(case: Path, supergraph: Path) -> tuple[int, dict[str, Any], str]:
    request = _json(case / "request.json", {})
    settings = RouterSettings(
        supergraph=str(supergraph),
        expose_query_plan=True,
        hot_reload=False,
        subgraph_timeout=float(request.get("timeout", 5)),
        override_labels=request.get("labels", []),
    )
    app = create_app(settings)
    body = {
        "query": (case / "query.graphql").read_text(),
        "variables": request.get("variables"),
        "operationName": request.get("operationName"),
    }
    headers = {"x-mosaic-query-plan": "true", **request.get("headers", {})}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            response = await client.post("/graphql", json=body, headers=headers)
    finally:
        await app.state.holder.stop()
    result = response.json()
    plan = (result.get("extensions") or {}).pop("queryPlan", None) or ""
    if not result.get("extensions"):
        result.pop("extensions", None)
    return response.status_code, result, plan


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    errors = body.get("errors") or []
    return {
        "data": body.get("data"),
        "error_paths": sorted(json.dumps(e.get("path")) for e in errors),
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_same_answer_from_both_supergraphs(
    case: Path, canned: CannedServer, tmp_path: Path
) -> None:
    apollo_file, mosaic_file = tmp_path / "apollo.graphql", tmp_path / "mosaic.graphql"
    apollo_file.write_text(localize(case_supergraph(case).read_text(), case, canned.port))
    mosaic_file.write_text(localize(mosaic_supergraph(case), case, canned.port))
    apollo_status, apollo_body, apollo_plan = await serve_once(case, apollo_file)
    mosaic_status, mosaic_body, mosaic_plan = await serve_once(case, mosaic_file)
    assert mosaic_status == apollo_status
    assert mosaic_body == apollo_body
    assert mosaic_plan == apollo_plan
    expected = json.loads((case / "expected.json").read_text())
    assert comparable(mosaic_body) == comparable(expected)


@pytest.fixture
def two_routers(canned: CannedServer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`mosaic router` twice, as processes: Apollo's supergraph and Mosaic's, same subgraphs."""
    case = next(c for c in CASES if c.name.startswith("keys-conversion"))
    processes, urls = [], []
    try:
        for label, sdl in (
            ("apollo", case_supergraph(case).read_text()),
            ("mosaic", mosaic_supergraph(case)),
        ):
            path = tmp_path / f"{label}.graphql"
            path.write_text(localize(sdl, case, canned.port))
            port = free_port()
            env = {**os.environ, "MOSAIC_ROUTER_HOT_RELOAD": "false"}
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "mosaic",
                        "router",
                        "--supergraph",
                        str(path),
                        "--port",
                        str(port),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_for_port(port)
            urls.append(f"http://127.0.0.1:{port}/graphql")
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


async def test_two_router_processes_answer_alike(two_routers: tuple[str, str]) -> None:
    case = next(c for c in CASES if c.name.startswith("keys-conversion"))
    query = (case / "query.graphql").read_text()
    async with httpx.AsyncClient(timeout=30) as client:
        answers = [(await client.post(url, json={"query": query})).json() for url in two_routers]
    assert answers[0] == answers[1]
    assert comparable(answers[1]) == comparable(json.loads((case / "expected.json").read_text()))
    assert answers[1]["data"]
