"""The per-process subscription cap, and hot reload: subscriptions whose operation still
validates keep flowing on the same upstream, the others end with an error."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.router.subscriptions.conftest import Federation, federation_running, supergraph_sdl
from tests.router.subscriptions.helpers import init, open_ws, poll, receive, send


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
