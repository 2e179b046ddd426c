"""Catalog test fixtures: a migrated catalog database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from subgraphs.catalog.models import Base


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


@pytest.fixture(params=["sqlite", "postgres"])
async def catalog_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CatalogDb]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/catalog.db"
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield CatalogDb(engine, async_sessionmaker(engine, expire_on_commit=False), request.param)
    finally:
        await engine.dispose()


@pytest.fixture
def published() -> Published:
    return Published()
