"""Catalog test fixtures: a migrated catalog database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import subgraphs.catalog
from db import Database, migrations


@dataclass(frozen=True)
class CatalogDb:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    backend: str


@dataclass
class Published:
    """An EventSink that records what the service publishes (the buses are tested elsewhere)."""

    events: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    async def publish(
        self, type: str, payload: Mapping[str, Any], *, actor_id: str | None = None
    ) -> None:
        self.events.append((type, dict(payload), actor_id))

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
