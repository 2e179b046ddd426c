"""Fixtures for the tasks subgraph: a fresh database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from subgraphs.tasks.domain import Caller
from subgraphs.tasks.models import Base
from subgraphs.tasks.unit import Unit


class FrozenClock:
    """A clock the test moves by hand, so "overdue" and durations are exact."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


class RecordingEvents:
    """An EventSink that keeps what it was given (the real publisher is tested separately)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any], str | None]] = []

    async def publish(
        self, event_type: str, payload: dict[str, Any], *, actor_id: str | None = None
    ) -> None:
        self.published.append((event_type, payload, actor_id))

    def types(self) -> list[str]:
        return [event_type for event_type, _, _ in self.published]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def recorded() -> RecordingEvents:
    return RecordingEvents()


UnitFactory = Callable[[str], Unit]


@pytest.fixture
async def unit_for(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, recorded: RecordingEvents
) -> AsyncIterator[Callable[..., Unit]]:
    """unit_for(user_id, admin=False): a fresh session acting as that user."""
    opened: list[AsyncSession] = []

    def make(user_id: str, admin: bool = False) -> Unit:
        session = sessions()
        opened.append(session)
        return Unit(session, Caller(user_id, admin), recorded, clock)

    yield make
    for session in opened:
        await session.close()
