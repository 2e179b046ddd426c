"""graphql-transport-ws on the router's /graphql, driven with raw messages by a real
websocket client against real subgraphs: federated events, queries and mutations over the
socket, identity forwarded, shared upstream subscriptions, and every protocol violation."""

from __future__ import annotations

from tests.router.subscriptions.conftest import Federation
from tests.router.subscriptions.helpers import closed_with, init, open_ws, poll, receive, send

MESSAGES = "subscription { messageAdded { text to author { id name } } }"


async def _active(federation: Federation, n: int) -> None:
    async def check() -> bool:
        body = await federation.inbox_query("{ activeSubscriptions }")
        return bool(body["data"]["activeSubscriptions"] == n)

    await poll(check, f"{n} upstream subscriptions on the inbox")


async def test_federated_event_carries_fields_of_both_subgraphs(federation: Federation) -> None:
    async with open_ws(federation.ws) as ws:
        await init(ws, {"authorization": "Bearer alice"})
        await send(ws, {"id": "s1", "type": "subscribe", "payload": {"query": MESSAGES}})
        await _active(federation, 1)
        await federation.send("bob", "not for alice")
        await federation.send("alice", "hello", author="u2")
        message = await receive(ws)
        assert message == {
            "id": "s1",
            "type": "next",
            "payload": {
                "data": {
                    "messageAdded": {
                        "text": "hello",
                        "to": "alice",
                        "author": {"id": "u2", "name": "Grace"},
                    }
                }
            },
        }
        assert federation.broker.callers == ["alice"]  # the identity reached the subgraph
        await send(ws, {"id": "s1", "type": "complete"})
        await _active(federation, 0)  # the client's complete ended the upstream subscription


async def test_queries_and_mutations_over_the_socket(federation: Federation) -> None:
    async with open_ws(federation.ws) as ws:
        await init(ws)
        await send(ws, {"id": "q", "type": "subscribe",
                        "payload": {"query": 'query P($id: ID!) { person(id: $id) { name } }',
                                    "variables": {"id": "u1"}}})  # fmt: skip
        assert await receive(ws) == {
            "id": "q", "type": "next", "payload": {"data": {"person": {"name": "Ada"}}}
        }  # fmt: skip
        assert await receive(ws) == {"id": "q", "type": "complete"}
        mutation = 'mutation { send(to: "x", text: "t", author: "u1") { text author { name } } }'
        await send(ws, {"id": "m", "type": "subscribe", "payload": {"query": mutation}})
        result = await receive(ws)
        assert result["payload"] == {"data": {"send": {"text": "t", "author": {"name": "Ada"}}}}
        assert await receive(ws) == {"id": "m", "type": "complete"}
        await send(ws, {"id": "bad", "type": "subscribe", "payload": {"query": "{ nope }"}})
        error = await receive(ws)
        assert error["type"] == "error" and error["id"] == "bad"
        assert error["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        await send(ws, {"type": "ping"})
        assert await receive(ws) == {"type": "pong"}


async def test_upstream_completion_and_failure_reach_the_client(federation: Federation) -> None:
    async with open_ws(federation.ws) as ws:
        await init(ws)
        await send(ws, {"id": "c", "type": "subscribe",
                        "payload": {"query": "subscription { countdown(start: 3) }"}})  # fmt: skip
        got = [await receive(ws) for _ in range(4)]
        assert [m.get("payload") for m in got[:3]] == [
            {"data": {"countdown": n}} for n in (3, 2, 1)
        ]
        assert got[3] == {"id": "c", "type": "complete"}
        await send(ws, {"id": "f", "type": "subscribe",
                        "payload": {"query": "subscription { failing }"}})  # fmt: skip
        assert (await receive(ws))["payload"] == {"data": {"failing": 1}}
        failure = await receive(ws)
        assert failure["type"] == "next" and failure["id"] == "f"
        assert failure["payload"]["errors"][0]["message"] == "the inbox broke"
        assert await receive(ws) == {"id": "f", "type": "complete"}


async def test_identical_subscriptions_share_one_upstream(federation: Federation) -> None:
    async with (
        open_ws(federation.ws) as a,
        open_ws(federation.ws) as b,
        open_ws(federation.ws) as c,
    ):
        for ws in (a, b):
            await init(ws, {"authorization": "Bearer alice"})
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": MESSAGES}})
        await init(c, {"authorization": "Bearer carol"})
        await send(c, {"id": "1", "type": "subscribe", "payload": {"query": MESSAGES}})
        await _active(federation, 2)  # alice's two share one, carol has her own
        await federation.send("alice", "to both")
        for ws in (a, b):
            assert (await receive(ws))["payload"]["data"]["messageAdded"]["text"] == "to both"
        await federation.send("carol", "to carol")
        assert (await receive(c))["payload"]["data"]["messageAdded"]["text"] == "to carol"
        assert sorted(federation.broker.callers) == ["alice", "carol"]


async def test_protocol_violations_close_with_the_protocol_codes(federation: Federation) -> None:
    async with open_ws(federation.ws) as ws:  # subscribe before connection_ack
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        assert await closed_with(ws) == (4401, "Unauthorized")
    async with open_ws(federation.ws) as ws:
        await init(ws)
        await send(ws, {"type": "what"})
        assert await closed_with(ws) == (4400, "Invalid message received: unknown type 'what'")
    async with open_ws(federation.ws) as ws:
        await send(ws, "{not json")
        assert (await closed_with(ws))[0] == 4400
    async with open_ws(federation.ws) as ws:
        await init(ws)
        await send(ws, {"type": "connection_init"})
        assert await closed_with(ws) == (4429, "Too many initialisation requests")
    async with open_ws(federation.ws) as ws:
        await init(ws)
        for _ in range(2):
            await send(ws, {"id": "dup", "type": "subscribe", "payload": {"query": MESSAGES}})
        assert await closed_with(ws) == (4409, "Subscriber for dup already exists")
    async with open_ws(federation.ws) as ws:
        await init(ws)
        await send(ws, "x" * 300_000)
        code, reason = await closed_with(ws)
        assert code == 1009 and reason is not None and "262144" in reason
    async with open_ws(federation.ws, protocol="mqtt") as ws:
        assert (await closed_with(ws))[0] == 4406
