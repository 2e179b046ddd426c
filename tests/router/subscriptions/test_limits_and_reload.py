"""Backpressure and limits (a client that stops reading is cut off with 4490 while the router
holds at most its queue; the per-process subscription cap), and hot reload: subscriptions whose
operation still validates keep flowing on the same upstream, the others end with an error."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.router.subscriptions.conftest import Federation, federation_running, supergraph_sdl
from tests.router.subscriptions.helpers import (
    StalledClient,
    closed_with,
    init,
    open_ws,
    poll,
    receive,
    send,
)


async def test_a_client_that_stops_reading_is_cut_off(tmp_path: Path) -> None:
    flood = "subscription { flood(count: 400, size: 65536) }"  # 26 MB of events
    async with federation_running(tmp_path, subscription_queue=4) as federation:
        hub = federation.app.graphql.streams.hub
        async with StalledClient(federation.ws) as slow, open_ws(federation.ws) as reader:
            slow.send({"type": "connection_init"})
            await slow.events()  # connection_ack
            slow.send({"id": "f", "type": "subscribe", "payload": {"query": flood}})

            async def started() -> bool:
                return hub.subscribers == 1

            await poll(started, "the slow client's subscription to start")
            # A second client shares the upstream subscription and reads everything.
            await init(reader)
            await send(reader, {"id": "f", "type": "subscribe", "payload": {"query": flood}})
            # The slow client reads nothing now: it is dropped once 4 events wait for it.

            async def done() -> bool:
                return hub.subscribers == 0 and not hub.tasks

            got = 0
            while (message := await receive(reader))["type"] == "next":
                got += 1
            assert message == {"id": "f", "type": "complete"}
            await poll(done, "both subscriptions to end")
            code, texts = await slow.read_to_close()
        assert code == 4490 and texts[-1] == "Client too slow: 4 events waiting"
        assert 0 < len(texts) - 1 < got  # what the socket buffers held, far from everything
        assert got > 300  # the reader joined late, then got every event that followed


async def test_subscriptions_per_process_are_capped(tmp_path: Path) -> None:
    async with federation_running(tmp_path, max_subscriptions=1) as federation:
        async with open_ws(federation.ws) as ws:
            await init(ws)
            query = {"query": "subscription { messageAdded { text } }"}
            await send(ws, {"id": "1", "type": "subscribe", "payload": query})
            await send(ws, {"id": "2", "type": "subscribe", "payload": query})
            refused = await receive(ws)
            assert refused["type"] == "error" and refused["id"] == "2"
            assert refused["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT"
            async with httpx.AsyncClient(base_url=federation.router) as client:
                sse = await client.post("/graphql", json=query,
                                        headers={"accept": "text/event-stream"})  # fmt: skip
            assert sse.status_code == 503
            assert sse.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT"


async def _opened(federation: Federation, n: int) -> None:
    async def check() -> bool:
        body = await federation.inbox_query("{ openedSubscriptions }")
        return bool(body["data"]["openedSubscriptions"] == n)

    await poll(check, f"{n} upstream subscriptions opened")


async def test_hot_reload_keeps_valid_subscriptions(tmp_path: Path) -> None:
    async with federation_running(tmp_path) as federation:
        async with open_ws(federation.ws) as still, open_ws(federation.ws) as broken:
            await init(still, {"authorization": "Bearer alice"})
            await init(broken, {"authorization": "Bearer alice"})
            await send(
                still,
                {
                    "id": "s",
                    "type": "subscribe",
                    "payload": {"query": "subscription { messageAdded { text } }"},
                },
            )
            names = "subscription { messageAdded { text author { name } } }"
            await send(broken, {"id": "b", "type": "subscribe", "payload": {"query": names}})
            await _opened(federation, 2)
            # people renames User.name: the second operation no longer validates.
            federation.supergraph.write_text(
                supergraph_sdl(federation.inbox, federation.people, renamed=True)
            )
            assert federation.app.holder.check()  # what the file watcher does on a change
            ended = await receive(broken)
            assert ended["id"] == "b" and ended["type"] == "next"
            error = ended["payload"]["errors"][0]
            assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert "Cannot query field 'name' on type 'User'" in error["message"]
            assert await receive(broken) == {"id": "b", "type": "complete"}
            await federation.send("alice", "after the reload")
            event = await receive(still)
            assert event["payload"] == {"data": {"messageAdded": {"text": "after the reload"}}}
            body = await federation.inbox_query("{ openedSubscriptions }")
            assert body["data"]["openedSubscriptions"] == 2  # the same upstream kept flowing


async def test_init_timeout_operation_cap_and_heartbeats(tmp_path: Path) -> None:
    settings = {"ws_init_timeout": 0.2, "ws_max_operations": 1, "subscription_heartbeat": 0.05}
    async with federation_running(tmp_path, **settings) as federation:
        async with open_ws(federation.ws) as silent:  # never sends connection_init
            assert await closed_with(silent) == (4408, "Connection initialisation timeout")
        async with open_ws(federation.ws) as ws:
            await init(ws)
            query = {"query": "subscription { messageAdded { text } }"}
            await send(ws, {"id": "1", "type": "subscribe", "payload": query})
            await send(ws, {"id": "2", "type": "subscribe", "payload": query})
            refused = await receive(ws)
            assert refused["id"] == "2" and refused["type"] == "error"
            assert refused["payload"][0]["extensions"]["code"] == "OPERATION_LIMIT"
        async with httpx.AsyncClient(base_url=federation.router, timeout=10) as client:
            for accept, beat in (
                ("text/event-stream", ":\n\n"),
                (
                    'multipart/mixed;subscriptionSpec="1.0"',
                    "\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql",
                ),
            ):
                body = {"query": "subscription { messageAdded { text } }"}  # no event comes
                headers = {"accept": accept}
                async with client.stream("POST", "/graphql", json=body, headers=headers) as r:
                    seen = ""
                    async for text in r.aiter_text():
                        seen += text
                        if seen.count(beat) >= 2:
                            break  # idle streams carry heartbeats
