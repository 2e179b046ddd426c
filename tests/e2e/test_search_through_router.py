"""Search end to end: every subgraph of supergraph.yaml on its seeded database (as `make dev`
seeds it), one event bus between them, the index rebuilt from the owners through the router
(`mosaic search reindex`), and then kept current by the indexing worker from their events."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from router.compose.config import load_config
from router.compose.output import compose_config
from router.server.app import create_app
from router.settings import RouterSettings
from subgraphs.common.events import InProcessEventBus
from subgraphs.common.settings import Settings
from subgraphs.search import worker
from subgraphs.search.backends import backend_from_settings
from subgraphs.search.reindex import service_token
from tests.e2e.test_federated_me import ROOT, _prepare
from tests.e2e.test_shop_through_router import sign_in
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient

LAPTP = '{ search(query: "laptp") { edges { node { ... on Product { name price { amount } } } } } }'


@dataclass(frozen=True)
class Stack:
    client: GraphQLClient
    settings: Settings

    async def token(self, email: str) -> str:
        return await sign_in(self.client, email)

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Any:
        result = await self.client.execute(query, variables, token=token)
        assert result.errors == [], result.errors
        return result.data


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    config = yaml.safe_load((ROOT / "supergraph.yaml").read_text())
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="dev",
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
    )
    bus = InProcessEventBus()  # what every process of `make dev` shares
    backend = backend_from_settings(settings)
    urls: dict[str, str] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name in config["subgraphs"]:
            await _prepare(name, settings)
            build = importlib.import_module(f"subgraphs.{name}.app").build
            options: dict[str, Any] = {}
            if "events" in inspect.signature(build).parameters:
                options["events"] = bus
            if name == "search":
                options["backend"] = backend
            urls[name] = await stack.enter_async_context(serve(build(settings, **options)))
        for name, entry in config["subgraphs"].items():
            entry["routing_url"] = f"{urls[name]}/graphql"
            entry["schema"]["file"] = str(ROOT / entry["schema"]["file"])
        local = tmp_path / "supergraph.yaml"
        local.write_text(yaml.safe_dump(config))
        composed = compose_config(load_config(local, {}))
        assert composed.supergraph_sdl is not None, composed.errors
        (tmp_path / "supergraph.graphql").write_text(composed.supergraph_sdl)
        router = create_app(
            RouterSettings(supergraph=str(tmp_path / "supergraph.graphql"), hot_reload=False)
        )
        router_url = await stack.enter_async_context(serve(router))
        # What the search worker of `mosaic dev` does: index events, and fill the index that
        # was empty at its start through the router.
        indexing = asyncio.create_task(worker.index(bus, backend, "e2e"))
        stack.push_async_callback(_stop, indexing)
        await worker.bootstrap(backend, f"{router_url}/graphql", partial(service_token, settings))
        client = GraphQLClient(router_url)
        stack.push_async_callback(client.aclose)
        yield Stack(client, settings)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def eventually(check: Callable[[], Awaitable[bool]], deadline: float = 10.0) -> None:
    """Poll until `check()` holds; fail after `deadline` seconds (no fixed sleep)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not await check():
        assert loop.time() < end, "the index did not catch up before the deadline"
        await asyncio.sleep(0.02)


async def test_the_seed_data_is_indexed(stack: Stack) -> None:
    query = "{ search(first: 0) { totalCount facets { field buckets { value count } } } }"
    data = (await stack.ok(query))["search"]
    facets = {f["field"]: {b["value"]: b["count"] for b in f["buckets"]} for f in data["facets"]}
    # the seeded products and professionals; tasks and projects need a member
    assert facets["type"] == {"Product": 11, "Professional": 2}
    assert data["totalCount"] == 13
    alice = await stack.token("alice@mosaic.dev")
    mine = (await stack.ok("{ search(types: [PROJECT]) { totalCount } }", token=alice))["search"]
    assert mine["totalCount"] == 2  # "Website relaunch" and "Mobile app"


async def test_professionals_are_found_by_their_bio_and_resolved_by_bookings(
    stack: Stack,
) -> None:
    query = """{ search(query: "behavioral therapy", types: [PROFESSIONAL]) { edges { node {
      ... on Professional { displayName specialization hourlyRate { currency } } } }
      facets { field buckets { value count } } } }"""
    data = (await stack.ok(query))["search"]
    assert [e["node"]["displayName"] for e in data["edges"]] == ["Dr. Priya Pro"]
    facets = {f["field"]: f["buckets"] for f in data["facets"]}
    assert facets["tags"] == [{"value": "Psychotherapy", "count": 1}]


async def test_the_issue_query_finds_the_laptop(stack: Stack) -> None:
    data = await stack.ok(LAPTP)
    names = [edge["node"] for edge in data["search"]["edges"]]
    assert {"name": "Ultrabook 14", "price": {"amount": 129900}} in names
    assert {"name": "Workstation 16", "price": {"amount": 249900}} in names
    assert all("laptop" not in n["name"].lower() for n in names)  # found by description


async def test_hits_carry_score_highlights_facets_and_pages(stack: Stack) -> None:
    query = """query ($after: String) { search(query: "headphnes", first: 1, after: $after) {
      totalCount edges { cursor score highlights { field snippet } node { __typename
      ... on Product { sku } } } pageInfo { hasNextPage endCursor }
      facets { field buckets { value count } } } }"""
    data = (await stack.ok(query))["search"]
    (edge,) = data["edges"]
    assert edge["node"] == {"__typename": "Product", "sku": "AUD-001"}
    assert edge["score"] > 0
    assert {"field": "name", "snippet": "Noise-cancelling <em>headphones</em>"} in edge[
        "highlights"
    ]
    assert data["totalCount"] == 1 and data["pageInfo"]["hasNextPage"] is False
    facets = {f["field"]: f["buckets"] for f in data["facets"]}
    assert facets["type"] == [{"value": "Product", "count": 1}]
    suggestions = await stack.ok(
        '{ suggest(prefix: "esp") { text node { ... on Product { sku } } } }'
    )
    assert suggestions["suggest"] == [{"text": "Espresso machine", "node": {"sku": "KIT-002"}}]
    bad = await stack.client.execute('{ search(query: "x", after: "nope") { totalCount } }')
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_tasks_show_only_to_members_of_their_project(stack: Stack) -> None:
    """pro@ is in "Ops handbook" only; alice@ is not in it. Whatever the query, nobody sees
    a task of a project they are not in."""
    tasks = """query ($q: String!) { search(query: $q, types: [TASK, PROJECT], first: 100) {
      totalCount edges { node { __typename ... on Task { title } ... on Project { name } } }
      facets { field buckets { value count } } } }"""
    pro, alice = await stack.token("pro@mosaic.dev"), await stack.token("alice@mosaic.dev")
    as_pro = await stack.ok(tasks, {"q": "rota"}, pro)
    assert {"__typename": "Task", "title": "On-call rota"} in [
        e["node"] for e in as_pro["search"]["edges"]
    ]
    for query in ("rota", "on-call", "ops handbook", ""):
        for token in (alice, None):
            found = (await stack.ok(tasks, {"q": query}, token))["search"]
            titles = [e["node"].get("title") or e["node"].get("name") for e in found["edges"]]
            assert "On-call rota" not in titles and "Ops handbook" not in titles, (query, titles)
            if token is None:
                assert found["totalCount"] == 0
    hints = await stack.ok('{ suggest(prefix: "on-call") { text } }', token=alice)
    assert hints["suggest"] == []


async def test_a_product_update_is_searchable_right_after_its_mutation(stack: Stack) -> None:
    admin = await stack.token("admin@mosaic.dev")
    product = (await stack.ok('{ product(sku: "KIT-001") { id } }'))["product"]
    await stack.ok(
        'mutation ($id: ID!) { updateProduct(id: $id, input: {name: "Santoku knife", '
        'description: "Japanese blade"}) { id } }',
        {"id": product["id"]},
        admin,
    )

    async def findable() -> bool:
        data = await stack.ok(
            '{ search(query: "santoku") { edges { node { ... on Product { sku } } } } }'
        )
        return [e["node"] for e in data["search"]["edges"]] == [{"sku": "KIT-001"}]

    await eventually(findable, deadline=1.0)
    old = await stack.ok('{ search(query: "chef") { totalCount } }')
    assert old["search"]["totalCount"] == 0
    await stack.ok("mutation ($id: ID!) { deleteProduct(id: $id) }", {"id": product["id"]}, admin)

    async def gone() -> bool:
        return (await stack.ok('{ search(query: "santoku") { totalCount } }'))["search"][
            "totalCount"
        ] == 0

    await eventually(gone)


async def test_membership_changes_reach_the_index(stack: Stack) -> None:
    pro, alice = await stack.token("pro@mosaic.dev"), await stack.token("alice@mosaic.dev")
    project = await stack.ok(
        'mutation { createProject(input: {name: "Quarterly zeppelin"}) { id } }', token=pro
    )
    project_id = project["createProject"]["id"]
    await stack.ok(
        'mutation ($p: ID!) { createTask(input: {projectId: $p, title: "Inflate the zeppelin", '
        'tags: ["air"]}) { id } }',
        {"p": project_id},
        pro,
    )
    query = '{ search(query: "zepelin", types: [TASK]) { totalCount } }'

    async def count(token: str) -> int:
        return int((await stack.ok(query, token=token))["search"]["totalCount"])

    async def pro_sees_it() -> bool:
        return await count(pro) == 1

    await eventually(pro_sees_it)
    assert await count(alice) == 0
    me = await stack.ok("{ me { id } }", token=alice)
    add = "mutation ($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u) { id } }"
    await stack.ok(add, {"p": project_id, "u": me["me"]["id"]}, pro)

    async def alice_sees_it() -> bool:
        return await count(alice) == 1

    await eventually(alice_sees_it)
    await stack.ok("mutation ($p: ID!) { deleteProject(id: $p) }", {"p": project_id}, pro)

    async def nobody_sees_it() -> bool:
        return await count(pro) == 0 and await count(alice) == 0

    await eventually(nobody_sees_it)
