"""The planner's Subscription node: the root field's fetch is the upstream subscription, the
entity fetches after it run per event (Apollo's `Subscription { Primary, Rest }`)."""

from __future__ import annotations

from graphql import parse

from router.planner import FetchNode, FlattenNode, SubscriptionNode, build_plan, normalize
from router.supergraph import load_supergraph
from tests.router.subscriptions.conftest import supergraph_sdl


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
