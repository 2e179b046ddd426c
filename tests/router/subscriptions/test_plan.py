"""The planner's Subscription node: the root field's fetch is the upstream subscription, the
entity fetches after it run per event (Apollo's `Subscription { Primary, Rest }`)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from graphql import parse

from router.planner import FetchNode, FlattenNode, SubscriptionNode, build_plan, normalize
from router.supergraph import load_supergraph
from tests.router.subscriptions.conftest import Federation, federation_running, supergraph_sdl
from tests.router.subscriptions.helpers import init, open_ws, poll, receive, send


def test_subscription_plan_splits_primary_and_rest() -> None:
    sg = load_supergraph(supergraph_sdl("http://inbox", "http://people"))
    query = "subscription { messageAdded { text author { name } } }"
    plan = build_plan(sg, normalize(sg.schema, parse(query), None))
    node = plan.node
    assert isinstance(node, SubscriptionNode)
    assert node.primary.service == "inbox" and node.primary.operation_kind == "subscription"
    assert node.primary.operation == "subscription{messageAdded{text author{__typename id}}}"
    assert isinstance(node.rest, FlattenNode) and node.rest.path == ("messageAdded", "author")
    assert isinstance(node.rest.node, FetchNode) and node.rest.node.service == "people"
    assert plan.pretty().splitlines()[:4] == [
        "QueryPlan {", "  Subscription {", "    Primary: {", '      Fetch(service: "inbox") {'
    ]  # fmt: skip
    assert "    Rest: {" in plan.pretty().splitlines()
    local = build_plan(
        sg, normalize(sg.schema, parse("subscription { countdown(start: 1) }"), None)
    )
    assert isinstance(local.node, SubscriptionNode) and local.node.rest is None


async def test_events_carry_the_plan_for_who_asked(tmp_path: Path) -> None:
    """With plans exposed, a websocket whose `connection_init` asks for them (the playground's
    "Query plan") and an SSE stream with the header get `extensions.queryPlan` on each event;
    a client that did not ask shares the same upstream subscription and gets none."""
    query = {"query": "subscription { messageAdded { text author { name } } }"}
    async with federation_running(tmp_path, expose_query_plan=True) as federation:
        async with (
            open_ws(federation.ws) as planned,
            open_ws(federation.ws) as plain,
            httpx.AsyncClient(base_url=federation.router, timeout=10) as http,
        ):
            await init(planned, {"authorization": "Bearer alice", "x-mosaic-query-plan": "true"})
            await init(plain, {"authorization": "Bearer alice"})
            for ws in (planned, plain):
                await send(ws, {"id": "1", "type": "subscribe", "payload": query})
            headers = {"accept": "text/event-stream", "authorization": "Bearer alice",
                       "x-mosaic-query-plan": "true"}  # fmt: skip
            async with http.stream("POST", "/graphql", json=query, headers=headers) as sse:
                hub = federation.app.graphql.streams.hub

                async def subscribed() -> bool:
                    return hub.subscribers == 3

                await poll(subscribed, "three subscribers")
                assert len(hub.sources) == 1  # one upstream subscription for all three
                await federation.send("alice", "hello")
                with_plan = (await receive(planned))["payload"]
                without = (await receive(plain))["payload"]
                seen = ""
                async for text in sse.aiter_text():
                    seen += text
                    if "\n\n" in seen:
                        break
        streamed = json.loads(seen.split("data: ", 1)[1].split("\n", 1)[0])
    event = {"messageAdded": {"text": "hello", "author": {"name": "Ada"}}}
    assert without == {"data": event}
    for result in (with_plan, streamed):
        assert result["data"] == event
        plan = result["extensions"]["queryPlan"]
        assert plan.startswith("QueryPlan {\n  Subscription {\n    Primary: {")
        assert 'Fetch(service: "inbox")' in plan and 'Fetch(service: "people")' in plan
        assert "Rest: {" in plan and 'Flatten(path: "messageAdded.author")' in plan


async def test_plans_are_not_sent_unless_exposed(federation: Federation) -> None:
    query = {"query": "subscription { countdown(start: 1) }"}
    async with open_ws(federation.ws) as ws:
        await init(ws, {"x-mosaic-query-plan": "true"})
        await send(ws, {"id": "1", "type": "subscribe", "payload": query})
        assert (await receive(ws))["payload"] == {"data": {"countdown": 1}}
