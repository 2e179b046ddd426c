"""Subscriptions over plain HTTP: GraphQL over SSE and Apollo's multipart protocol, read with a
real HTTP client as bytes arrive; plus the subprotocol-free legacy websocket protocol."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.router.subscriptions.conftest import Federation, federation_running
from tests.router.subscriptions.helpers import closed_with, init, open_ws, receive, send
from tests.utils.servers import free_port

COUNTDOWN = {"query": "subscription { countdown(start: 2) }"}


async def _read(response: httpx.Response, separator: str, stop: str) -> list[str]:
    chunks: list[str] = []
    buffer = ""
    async for text in response.aiter_text():
        buffer += text
        if stop in buffer:
            break
    chunks = [c for c in buffer.split(separator) if c.strip()]
    return chunks


async def test_sse_distinct_connections(federation: Federation) -> None:
    async with httpx.AsyncClient(base_url=federation.router, timeout=10) as client:
        headers = {"accept": "text/event-stream"}
        async with client.stream("POST", "/graphql", json=COUNTDOWN, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = await _read(response, "\n\n", "event: complete")
        parsed = [dict(line.split(": ", 1) for line in e.split("\n")) for e in events]
        assert [e["event"] for e in parsed] == ["next", "next", "complete"]
        assert [json.loads(e["data"]) for e in parsed[:2]] == [
            {"data": {"countdown": 2}}, {"data": {"countdown": 1}}
        ]  # fmt: skip
        query = {"query": '{ person(id: "u2") { name } }'}
        async with client.stream("POST", "/graphql", json=query, headers=headers) as response:
            events = await _read(response, "\n\n", "event: complete")
        assert events[0] == 'event: next\ndata: {"data":{"person":{"name":"Grace"}}}'
        bad = await client.post(
            "/graphql", json={"query": "subscription { nope }"}, headers=headers
        )
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_multipart_subscription_with_failure(federation: Federation) -> None:
    headers = {"accept": 'multipart/mixed;subscriptionSpec="1.0", application/json'}
    async with httpx.AsyncClient(base_url=federation.router, timeout=10) as client:
        body = {"query": "subscription { failing }"}
        async with client.stream("POST", "/graphql", json=body, headers=headers) as response:
            assert response.headers["content-type"] == (
                'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
            )
            parts = await _read(response, "\r\n--graphql", "--graphql--")
    payloads: list[Any] = [json.loads(p.split("\r\n\r\n", 1)[1]) for p in parts[:-1]]
    assert parts[-1].strip() == "--"
    assert payloads[0] == {"payload": {"data": {"failing": 1}}}
    # The subgraph reports its resolver's failure as a result with errors, then completes.
    assert payloads[1]["payload"]["data"] is None
    assert payloads[1]["payload"]["errors"][0]["message"] == "the inbox broke"


async def test_unreachable_subgraph_ends_the_stream_with_an_error(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    async with federation_running(tmp_path, subgraph_urls={"inbox": dead}) as federation:
        headers = {"accept": 'multipart/mixed;subscriptionSpec="1.0"'}
        async with httpx.AsyncClient(base_url=federation.router, timeout=10) as client:
            async with client.stream(
                "POST", "/graphql", json=COUNTDOWN, headers=headers
            ) as response:
                parts = await _read(response, "\r\n--graphql", "--graphql--")
    payload = json.loads(parts[0].split("\r\n\r\n", 1)[1])
    assert payload["payload"] is None
    assert payload["errors"][0]["extensions"] == {
        "code": "SUBREQUEST_WEBSOCKET_ERROR", "service": "inbox"
    }  # fmt: skip
    assert "Subscription to subgraph 'inbox' failed" in payload["errors"][0]["message"]


async def test_legacy_subscriptions_transport_ws(federation: Federation) -> None:
    async with open_ws(federation.ws, protocol="graphql-ws") as ws:
        await send(ws, {"type": "connection_init", "payload": {}})
        assert await receive(ws) == {"type": "connection_ack"}
        assert await receive(ws) == {"type": "ka"}
        await send(ws, {"id": "1", "type": "start", "payload": COUNTDOWN})
        got = [await receive(ws) for _ in range(3)]
        assert got == [
            {"id": "1", "type": "data", "payload": {"data": {"countdown": 2}}},
            {"id": "1", "type": "data", "payload": {"data": {"countdown": 1}}},
            {"id": "1", "type": "complete"},
        ]
        await send(ws, {"type": "bogus"})
        error = await receive(ws)
        assert error["type"] == "error" and "bogus" in error["payload"]["message"]
    async with open_ws(federation.ws) as ws:  # graphql-transport-ws on the same path still works
        await init(ws)


async def test_bad_requests_on_every_stream_transport(federation: Federation) -> None:
    """The bad ones of each transport besides graphql-transport-ws (test_transport_ws.py): a
    request that cannot start a stream is a plain JSON refusal with its code, and the legacy
    protocol answers a bad message with an error (subscriptions-transport-ws has no close codes
    for them) and cuts off an oversized one."""
    streams = ('multipart/mixed;subscriptionSpec="1.0"', "text/event-stream")
    async with httpx.AsyncClient(base_url=federation.router, timeout=10) as client:
        for accept in streams:
            headers = {"accept": accept, "content-type": "application/json"}
            invalid = await client.post(
                "/graphql", json={"query": "subscription { nope }"}, headers=headers
            )
            assert invalid.status_code == 400, accept
            assert invalid.headers["content-type"].startswith("application/json")
            assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            garbled = await client.post("/graphql", content=b"{not json", headers=headers)
            assert garbled.status_code == 400, accept
            assert garbled.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    async with open_ws(federation.ws, protocol="graphql-ws") as ws:
        await send(ws, {"id": "1", "type": "start", "payload": COUNTDOWN})  # before init
        early = await receive(ws)
        assert early["id"] == "1" and early["type"] == "data"
        assert early["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await receive(ws) == {"id": "1", "type": "complete"}  # nothing ran
        await send(ws, "{not json")
        assert await receive(ws) == {
            "type": "error", "payload": {"message": "Invalid message received: not JSON"}
        }  # fmt: skip
    async with open_ws(federation.ws, protocol="graphql-ws") as ws:
        await send(ws, {"type": "connection_init", "payload": {}})
        assert await receive(ws) == {"type": "connection_ack"}
        await send(ws, "x" * 300_000)
        code, reason = await closed_with(ws)
        assert code == 1009 and reason is not None and "262144" in reason
