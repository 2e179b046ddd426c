"""The GraphiQL playground in a real browser (Debian's headless Chromium through playwright-core)
on `make dev`'s stack: the page and its assets come from the router only, a query shows its plan,
the notificationAdded subscription started in the page shows its plan and the event of a task
assigned through the router; a screenshot is kept in .build/test-output/. Plus the switch:
off in production unless enabled."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.router.subscriptions.conftest import federation_running
from tests.utils.dev_stack import DEMO_PROJECT, DevStack
from tests.utils.node import run_node

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("playground.mjs")
OUTPUT = ROOT / ".build" / "test-output"


QUERY = "{ me { name } projects { edges { node { name } } } }"
SUBSCRIPTION = """subscription {
  notificationAdded {
    type title recipient { name } subject { ... on Task { title project { name } } }
  }
}"""


@pytest.mark.peers
async def test_playground_on_the_dev_stack(dev_stack: DevStack) -> None:
    """The issue's flow in the browser on `make dev`'s stack: a query with its plan, the
    notificationAdded subscription with its Subscription plan, and the event of a task assigned
    through the router (fields of notifications, users and tasks) shown on the page."""
    assert shutil.which("chromium"), "Debian's chromium is missing: run `make chromium`"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    screenshot = OUTPUT / "playground.png"
    screenshot.unlink(missing_ok=True)
    admin = await dev_stack.sign_in("admin@mosaic.dev")
    alice = await dev_stack.sign_in("alice@mosaic.dev")
    admin_id = await dev_stack.user_id(admin)
    task_id, title = await dev_stack.task_to_assign(alice, admin_id)
    args = {"router": dev_stack.router, "token": admin, "assigner": alice, "taskId": task_id,
            "assigneeId": admin_id, "query": QUERY, "subscription": SUBSCRIPTION,
            "expect": ['"task.assigned"', f'"title": "{title}"', DEMO_PROJECT],
            "screenshot": str(screenshot)}  # fmt: skip
    result = await run_node(SCRIPT, args, within=240, cwd=ROOT / "tests" / "peers")
    assert result["ok"], result
    assert result["offOrigin"] == []  # no CDN: every script and style came from the router
    assert 'Fetch(service: "users")' in result["plan"]
    assert 'Fetch(service: "tasks")' in result["plan"]
    assert json.loads(result["query"])["data"]["me"] == {"name": "Ada Admin"}
    plan = result["subscriptionPlan"]  # the Subscription node and the fetches of each event
    assert "Subscription {" in plan and "Primary: {" in plan and "Rest: {" in plan
    for service in ("notifications", "users", "tasks"):
        assert f'Fetch(service: "{service}")' in plan, plan
    event = json.loads(result["event"])["data"]["notificationAdded"]
    assert event["type"] == "task.assigned" and title in event["title"]
    assert event["recipient"] == {"name": "Ada Admin"}
    assert event["subject"] == {"title": title, "project": {"name": DEMO_PROJECT}}
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
