"""Real clients from npm against the router: the `graphql-ws` client, Apollo Client with
GraphQLWsLink and Apollo Client with HttpLink (multipart subscriptions) each receive a federated
event (inbox + people); the graphql-ws socket also answers a query; multipart completes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.router.subscriptions.conftest import Federation
from tests.utils.node import run_node

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("clients.mjs")


@pytest.mark.peers
async def test_graphql_ws_and_apollo_client_links(federation: Federation) -> None:
    args = {"router": federation.router, "inbox": federation.inbox}
    result = await run_node(SCRIPT, args, within=120)
    assert result["ok"], result.get("error")
    for client, text in (("graphqlWs", "via graphql-ws"), ("apolloWs", "via GraphQLWsLink"),
                         ("apolloMultipart", "via HttpLink multipart")):  # fmt: skip
        event = result[client]["data"]["messageAdded"]
        assert event["text"] == text and event["author"]["name"] == "Grace", (client, result)
    assert result["graphqlWsQuery"] == {"data": {"person": {"name": "Ada"}}}
    assert result["apolloMultipartCountdown"] == [3, 2, 1]
    assert federation.broker.callers == ["alice", "alice", "alice"]
