"""The GraphiQL playground in a real browser (Debian's headless Chromium through playwright-core):
the page and its assets come from the router only, a query shows its plan, a subscription started
in the page shows the event; a screenshot is kept in .build/test-output/. Plus the switch:
off in production unless enabled."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.router.subscriptions.conftest import federation_running

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("playground.mjs")
OUTPUT = ROOT / ".build" / "test-output"


@pytest.mark.peers
async def test_playground_runs_a_query_with_its_plan_and_a_subscription(tmp_path: Path) -> None:
    assert shutil.which("chromium"), "Debian's chromium is missing: run `make chromium`"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    screenshot = OUTPUT / "playground.png"
    screenshot.unlink(missing_ok=True)
    async with federation_running(tmp_path, expose_query_plan=True) as federation:
        args = {"router": federation.router, "inbox": federation.inbox, "token": "alice",
                "screenshot": str(screenshot)}  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            "node", str(SCRIPT), json.dumps(args),
            cwd=ROOT / "tests" / "peers", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(process.communicate(), 180)
    lines = stdout.decode().strip().splitlines()
    assert lines, stderr.decode()
    result = json.loads(lines[-1])
    assert result["ok"], result
    assert result["offOrigin"] == []  # no CDN: every script and style came from the router
    assert 'Fetch(service: "people")' in result["plan"]
    assert json.loads(result["query"]) == {"data": {"person": {"name": "Ada"}}}
    event = json.loads(result["event"])
    assert event["data"]["messageAdded"] == {
        "text": "from the browser",
        "author": {"name": "Grace"},
    }
    assert screenshot.stat().st_size > 10_000
    print(f"playground screenshot: {screenshot}")


async def test_playground_page_and_production_switch(tmp_path: Path) -> None:
    html = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with federation_running(tmp_path) as federation:
        async with httpx.AsyncClient(base_url=federation.router) as client:
            page = await client.get("/graphql", headers=html)
            assert page.status_code == 200 and "<title>Mosaic playground</title>" in page.text
            assert "default-src 'self'" in page.headers["content-security-policy"]
            assert "https://" not in page.text  # nothing from a CDN
            asset = await client.get("/playground/graphiql.min.js")
            assert asset.status_code == 200 and asset.headers["content-type"].startswith(
                "text/javascript"
            )
            assert (await client.get("/playground/../../settings.py")).status_code == 404
            query = await client.get(  # API clients unaffected (a GET shows it is no form: CSRF)
                "/graphql",
                params={"query": "{ __typename }"},
                headers={"apollo-require-preflight": "true"},
            )
            assert query.json() == {"data": {"__typename": "Query"}}
    async with federation_running(tmp_path, MOSAIC_ENV="production") as federation:
        async with httpx.AsyncClient(base_url=federation.router) as client:
            page = await client.get("/graphql", headers=html)
            assert page.headers["content-type"].startswith("application/json")
            assert (await client.get("/playground/graphiql.min.js")).status_code == 404
    async with federation_running(tmp_path, MOSAIC_ENV="production", playground=True) as federation:
        async with httpx.AsyncClient(base_url=federation.router) as client:
            assert (await client.get("/graphql", headers=html)).status_code == 200
