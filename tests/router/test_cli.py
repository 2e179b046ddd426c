"""`mosaic router` as the harness starts it (a subprocess on a port, polled on /health), its
file-watching hot reload, and `mosaic plan`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from mosaic.cli import main
from tests.router.canned import CannedServer, case_supergraph, load_case_subgraphs
from tests.utils.servers import free_port

HERE = Path(__file__).parent
CASES = HERE / "cases"
SCHEMAS = HERE / "schemas"


@pytest_asyncio.fixture
async def canned() -> AsyncIterator[CannedServer]:
    server = CannedServer()
    for case, prefix, schema in (("shop-basic", "shop", "shop"), ("mutation-serial", "mut",
                                                                   "mutations")):  # fmt: skip
        data = json.loads((SCHEMAS / schema / "data.json").read_text())
        for name, sdl in load_case_subgraphs(CASES / case, SCHEMAS).items():
            server.add(prefix, name, sdl, data[name])
    await server.start()
    yield server
    await server.stop()


def _sdl(case: str, prefix: str, port: int) -> str:
    sdl = case_supergraph(CASES / case).read_text()
    return sdl.replace("http://subgraphs/", f"http://127.0.0.1:{port}/{prefix}/")


async def _wait_healthy(client: httpx.AsyncClient, url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the router exited"
        try:
            if (await client.get(url + "/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError("router not healthy")


async def test_router_subprocess_serves_and_hot_reloads(
    canned: CannedServer, tmp_path: Path
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(_sdl("shop-basic", "shop", canned.port))
    port = free_port()
    env = {**os.environ, "MOSAIC_ROUTER_RELOAD_INTERVAL": "0.2"}
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, stopped in finally
        [sys.executable, "-m", "mosaic", "router", "--supergraph", str(supergraph),
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await _wait_healthy(client, url, proc)
            r = await client.post(url + "/graphql", json={"query": "{ topProducts { name } }"})
            assert r.status_code == 200
            assert r.json()["data"]["topProducts"][0] == {"name": "Table"}
            supergraph.write_text(_sdl("mutation-serial", "mut", canned.port))
            deadline = time.monotonic() + 15
            body: dict[str, object] = {}
            while time.monotonic() < deadline:
                r = await client.post(url + "/graphql", json={"query": "mutation { clear }"})
                body = r.json()
                if body.get("data"):
                    break
                await asyncio.sleep(0.1)
            assert body == {"data": {"clear": True}}
    finally:
        proc.terminate()
        proc.wait(10)


def test_plan_command_prints_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES / "shop-basic"
    code = main(["plan", "--supergraph", str(case_supergraph(case)),
                 str(case / "query.graphql")])  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.strip() == (case / "plan.txt").read_text().strip()


def test_plan_command_reports_bad_queries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = tmp_path / "q.graphql"
    query.write_text("{ nope }")
    case = CASES / "shop-basic"
    assert main(["plan", "--supergraph", str(case_supergraph(case)), str(query)]) == 1
    assert "nope" in capsys.readouterr().err
