"""The template new subgraphs copy works as it is: migrations, the app over real HTTP, a
mutation whose event goes through the outbox, federation's `_entities`; on SQLite and
PostgreSQL. And its migration matches its models, so a copy starts without drift."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db import Database, migrations
from subgraphs._template import MIGRATIONS, NAME
from subgraphs._template.app import build
from subgraphs._template.models import Base
from subgraphs.common.events import InProcessEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient

CREATE = "mutation ($name: String!) { createThing(name: $name) { id name ownerId } }"


async def test_the_template_serves_and_emits_through_the_outbox(settings: Settings) -> None:
    url = settings.database_url_for(NAME)
    await migrations.upgrade(url, MIGRATIONS, NAME)
    bus = InProcessEventBus()
    token = mint_access_token(settings, dev_signing_key(settings.data_dir), "alice", ("USER",))
    async with (
        bus.subscribe(["thing.created"]) as created,
        serve(build(settings, events=bus)) as base,
    ):
        client = GraphQLClient(base)
        try:
            made = await client.execute(CREATE, {"name": " Lamp "}, token=token)
            assert made.errors == [], made.errors
            thing = made.data["createThing"]
            assert thing["name"] == "Lamp" and thing["ownerId"] == "alice"
            event = await asyncio.wait_for(anext(aiter(created)), 10)
            assert event.aggregate_id == thing["id"] and event.actor_id == "alice"
            assert event.payload == {"id": thing["id"], "name": "Lamp", "owner_id": "alice"}
            assert event.correlation_id is None  # the request carried no id

            # A request's x-request-id stamps the events of its units of work.
            traced = await client.http.post(
                "/graphql",
                json={"query": CREATE, "variables": {"name": "Traced"}},
                headers={"authorization": f"Bearer {token}", "x-request-id": "req-42"},
            )
            assert traced.json()["data"]["createThing"]["name"] == "Traced"
            event = await asyncio.wait_for(anext(aiter(created)), 10)
            assert event.payload["name"] == "Traced" and event.correlation_id == "req-42"

            refused = await client.execute(CREATE, {"name": " "}, token=token)
            assert refused.codes == ["BAD_USER_INPUT"]
            anonymous = await client.execute(CREATE, {"name": "x"})
            assert anonymous.codes == ["UNAUTHENTICATED"]

            entities = await client.execute(
                "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { name } } }",
                {"r": [{"__typename": "Thing", "id": thing["id"]}]},
            )
            assert entities.data == {"_entities": [{"name": "Lamp"}]}
        finally:
            await client.aclose()


async def test_the_template_migration_matches_its_models(database_url: str) -> None:
    await migrations.upgrade(database_url, MIGRATIONS, NAME)
    db = Database.from_url(database_url)
    try:
        async with db.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"version_table": migrations.version_table(NAME)}
                    ),
                    Base.metadata,
                )
            )
    finally:
        await db.dispose()
    assert diff == []
