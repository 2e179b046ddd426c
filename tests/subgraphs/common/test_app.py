"""The app factory with a tiny inline schema: health, readiness, error codes, caller,
and subscriptions over graphql-transport-ws with a real websocket client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import strawberry
import websockets
from starlette.applications import Starlette

from subgraphs.common.app import Runtime, create_app
from subgraphs.common.context import Context
from subgraphs.common.errors import CodedErrors, NotFound
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient
from tests.utils.servers import free_port

TinyInfo = strawberry.Info[Context[dict[str, object]], None]


@strawberry.type
class Query:
    @strawberry.field
    async def whoami(self, info: TinyInfo) -> str | None:
        caller = await info.context.caller()
        return None if caller is None else caller.user_id

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret internal detail")

    @strawberry.field
    def missing(self) -> str:
        raise NotFound("Nothing here", id="x1")


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def say(self, info: TinyInfo, text: str) -> bool:
        await info.context.events.publish("chat.said", {"text": text})
        return True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def said(self, info: TinyInfo) -> AsyncIterator[str]:
        caller = await info.context.require_caller()
        async with info.context.events.subscribe(["chat.said"]) as events:
            async for event in events:
                yield f"{caller.user_id}: {event.payload['text']}"


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, subscription=Subscription, extensions=[CodedErrors]
)


def tiny_app(settings: Settings) -> Starlette:
    def loaders(_: Runtime) -> dict[str, object]:
        return {}

    return create_app(name="tiny", schema=schema, settings=settings, loaders=loaders)


def _settings(tmp_path: Path, url: str | None = None) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        database_url=url or f"sqlite+aiosqlite:///{tmp_path}/{{subgraph}}.db",
    )


async def test_health_ready_and_error_codes(tmp_path: Path) -> None:
    async with serve(tiny_app(_settings(tmp_path))) as base:
        client = GraphQLClient(base)
        assert (await client.http.get("/health")).json() == {"status": "ok", "subgraph": "tiny"}
        assert (await client.http.get("/ready")).status_code == 200
        assert (tmp_path / "tiny.db").exists()  # one database per subgraph from the template

        boom = await client.execute("{ boom }")
        assert boom.codes == ["INTERNAL_SERVER_ERROR"]
        assert boom.errors[0]["message"] == "Internal server error"
        assert "secret" not in json.dumps(boom.errors)
        page = await client.http.get("/graphql", headers={"accept": "text/html"})
        assert "<script" not in page.text  # no GraphiQL pulling scripts from a CDN
        missing = await client.execute("{ missing }")
        assert missing.codes == ["NOT_FOUND"]
        assert missing.errors[0]["extensions"]["id"] == "x1"
        assert missing.errors[0]["path"] == ["missing"]
        await client.aclose()


async def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    async with serve(tiny_app(_settings(tmp_path, url))) as base:
        client = GraphQLClient(base)
        ready = await client.http.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable" and "database" in ready.json()
        assert (await client.http.get("/health")).status_code == 200
        await client.aclose()


async def test_caller_over_http_and_subscriptions_over_graphql_transport_ws(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    token = mint_access_token(settings, dev_signing_key(tmp_path), "user-7", ["USER"])
    async with serve(tiny_app(settings)) as base:
        client = GraphQLClient(base)
        assert (await client.execute("{ whoami }", token=token)).data == {"whoami": "user-7"}
        assert (await client.execute("{ whoami }")).data == {"whoami": None}
        ws_url = base.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": "subscription { said }"}}
                )
            )
            # The subscription registers asynchronously: publish until the first event arrives.
            for _ in range(50):
                assert (await client.execute('mutation { say(text: "hi") }')).data == {"say": True}
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                    break
                except TimeoutError:
                    continue
            else:
                pytest.fail("no subscription event within 50 publishes")
            assert message == {
                "id": "1",
                "type": "next",
                "payload": {"data": {"said": "user-7: hi"}},
            }
            await ws.send(json.dumps({"id": "1", "type": "complete"}))
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {"id": "2", "type": "subscribe", "payload": {"query": "subscription { said }"}}
                )
            )
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert message["type"] == "next" and message["payload"]["data"] is None
            assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        await client.aclose()
