"""A running federation for the subscription tests: the inbox and people subgraphs and the
router, each on its own loopback port (real HTTP and websockets between them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.compose import SubgraphSource, compose
from router.server.app import RouterApp, create_app
from router.settings import RouterSettings
from tests.router.subscriptions.subgraphs import Broker, app, inbox_schema, people_schema
from tests.utils.asgi import serve


@dataclass
class Federation:
    router: str  # base URL
    inbox: str
    people: str
    broker: Broker
    app: RouterApp
    supergraph: Path

    @property
    def ws(self) -> str:
        return self.router.replace("http://", "ws://") + "/graphql"

    async def inbox_query(self, query: str) -> Any:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(self.inbox + "/graphql", json={"query": query})
        return response.json()

    async def send(self, to: str, text: str, author: str = "u1") -> None:
        mutation = f'mutation {{ send(to: "{to}", text: "{text}", author: "{author}") {{ id }} }}'
        assert "errors" not in await self.inbox_query(mutation)


def supergraph_sdl(inbox: str, people: str, renamed: bool = False) -> str:
    """The two subgraphs composed; `renamed`: after people renamed User.name to fullName."""
    sources = [
        SubgraphSource("inbox", inbox + "/graphql", inbox_schema(Broker()).as_str()),
        SubgraphSource("people", people + "/graphql", people_schema(renamed).as_str()),
    ]
    result = compose(sources)
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


@contextlib.asynccontextmanager
async def federation_running(tmp_path: Path, **settings: Any) -> AsyncIterator[Federation]:
    broker = Broker()
    async with contextlib.AsyncExitStack() as stack:
        inbox = await stack.enter_async_context(serve(app(inbox_schema(broker))))
        people = await stack.enter_async_context(serve(app(people_schema())))
        path = tmp_path / "supergraph.graphql"
        path.write_text(supergraph_sdl(inbox, people))
        options: dict[str, Any] = {"supergraph": str(path), "hot_reload": False, **settings}
        router_app = create_app(RouterSettings(_env_file=None, **options))  # type: ignore[call-arg]
        router = await stack.enter_async_context(serve(router_app))
        yield Federation(router, inbox, people, broker, router_app, path)


@pytest.fixture
async def federation(tmp_path: Path) -> AsyncIterator[Federation]:
    async with federation_running(tmp_path) as running:
        yield running
