"""Upstream trust for subscriptions: subgraphs that require signed requests accept the router's
signed websocket upgrade, and refuse an unsigned one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from router.server.app import create_app
from router.settings import RouterSettings
from subgraphs.common.signing import SignatureMiddleware, Verifier
from tests.router.subscriptions.conftest import supergraph_sdl
from tests.router.subscriptions.helpers import init, open_ws, receive, send
from tests.router.subscriptions.subgraphs import Broker, app, inbox_schema, people_schema
from tests.utils.asgi import serve

KEY = "k" * 40


@contextlib.asynccontextmanager
async def signed_federation(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """(router ws URL, inbox base URL); both subgraphs require the router's signature."""

    def guarded(schema: object) -> SignatureMiddleware:
        return SignatureMiddleware(app(schema), Verifier(KEY), required=True)  # type: ignore[arg-type]

    async with contextlib.AsyncExitStack() as stack:
        inbox = await stack.enter_async_context(serve(guarded(inbox_schema(Broker()))))
        people = await stack.enter_async_context(serve(guarded(people_schema())))
        path = tmp_path / "supergraph.graphql"
        path.write_text(supergraph_sdl(inbox, people))
        settings = RouterSettings(
            _env_file=None,  # type: ignore[call-arg]
            supergraph=str(path),
            hot_reload=False,
            signing_key=KEY,
        )
        router = await stack.enter_async_context(serve(create_app(settings)))
        yield router.replace("http://", "ws://") + "/graphql", inbox


async def test_a_signed_subscription_reaches_a_strict_subgraph(tmp_path: Path) -> None:
    async with signed_federation(tmp_path) as (router_ws, inbox):
        async with open_ws(router_ws) as ws:
            await init(ws)
            query = "subscription { countdown(start: 2) }"
            await send(ws, {"id": "c", "type": "subscribe", "payload": {"query": query}})
            events = [await receive(ws) for _ in range(3)]
        assert [e["type"] for e in events] == ["next", "next", "complete"]
        assert [e["payload"]["data"]["countdown"] for e in events[:2]] == [2, 1]

        direct = inbox.replace("http://", "ws://") + "/graphql"
        with pytest.raises(InvalidStatus):  # no signature: the upgrade is refused
            async with open_ws(direct):
                pass
