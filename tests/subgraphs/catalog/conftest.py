"""Catalog test fixtures: a migrated catalog database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

import subgraphs.catalog
from db import Database, migrations
from subgraphs.catalog.app import build
from subgraphs.common.events import Event, EventBus, InProcessEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient, Result


@dataclass(frozen=True)
class CatalogDb:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    backend: str


@dataclass
class Published:
    """An EventSink that records what the service publishes (the buses are tested elsewhere)."""

    events: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    async def publish_event(self, event: Event) -> None:
        self.events.append((event.type, dict(event.payload), event.actor_id))

    def of(self, type: str) -> list[dict[str, Any]]:
        return [payload for t, payload, _ in self.events if t == type]


MIGRATIONS = Path(subgraphs.catalog.__file__).parent / "migrations"


@pytest.fixture
async def catalog_db(database_url: str) -> AsyncIterator[CatalogDb]:
    """A catalog database migrated to head, on SQLite and on PostgreSQL (`database_url`)."""
    await migrations.upgrade(database_url, MIGRATIONS, "catalog")
    database = Database.from_url(database_url)
    try:
        yield CatalogDb(database.engine, database.sessions, database.engine.dialect.name)
    finally:
        await database.dispose()


@pytest.fixture
def published() -> Published:
    return Published()


@dataclass
class CatalogApi:
    """The catalog subgraph served over real HTTP, with tokens for any user."""

    app: Starlette
    client: GraphQLClient
    settings: Settings
    events: EventBus

    @property
    def db(self) -> Database:
        return self.app.state.runtime.db  # type: ignore[no-any-return]

    def token(self, user_id: str, *roles: str) -> str:
        key = dev_signing_key(self.settings.data_dir)
        return mint_access_token(self.settings, key, user_id, roles or ("USER",))

    async def run(
        self, query: str, variables: dict[str, Any] | None = None, *, as_user: str | None = None,
        admin: bool = False,
    ) -> Result:  # fmt: skip
        token = None
        if as_user is not None:
            token = self.token(as_user, *(("ADMIN", "USER") if admin else ("USER",)))
        return await self.client.execute(query, variables, token=token)

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, as_user: str | None = None,
        admin: bool = False,
    ) -> Any:  # fmt: skip
        result = await self.run(query, variables, as_user=as_user, admin=admin)
        assert result.errors == [], result.errors
        return result.data


@pytest.fixture
async def catalog(settings: Settings, database_url: str) -> AsyncIterator[CatalogApi]:
    await migrations.upgrade(database_url, MIGRATIONS, "catalog")
    events = InProcessEventBus()
    app = build(settings, events=events)
    async with serve(app) as base_url:
        client = GraphQLClient(base_url)
        try:
            yield CatalogApi(app=app, client=client, settings=settings, events=events)
        finally:
            await client.aclose()
