"""Real clients from npm against the router: the `graphql-ws` client, Apollo Client with
GraphQLWsLink and Apollo Client with HttpLink (multipart subscriptions) each receive a federated
event (inbox + people); the graphql-ws socket also answers a query; multipart completes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.router.subscriptions.conftest import Federation

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("clients.mjs")


@pytest.mark.peers
async def test_graphql_ws_and_apollo_client_links(federation: Federation) -> None:
    args = {"router": federation.router, "inbox": federation.inbox}
    process = await asyncio.create_subprocess_exec(
        "node", str(SCRIPT), json.dumps(args),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    lines = stdout.decode().strip().splitlines()
    assert lines, stderr.decode()
    result = json.loads(lines[-1])
    assert result["ok"], result.get("error")
    for client, text in (("graphqlWs", "via graphql-ws"), ("apolloWs", "via GraphQLWsLink"),
                         ("apolloMultipart", "via HttpLink multipart")):  # fmt: skip
        event = result[client]["data"]["messageAdded"]
        assert event["text"] == text and event["author"]["name"] == "Grace", (client, result)
    assert result["graphqlWsQuery"] == {"data": {"person": {"name": "Ada"}}}
    assert result["apolloMultipartCountdown"] == [3, 2, 1]
    assert federation.broker.callers == ["alice", "alice", "alice"]
