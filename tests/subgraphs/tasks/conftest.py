"""Fixtures for the tasks subgraph: a fresh migrated database per test, on SQLite and on
PostgreSQL, a hand-moved clock, and the real in-process event bus.

Migrating takes most of a second, so each backend is migrated once per session into a
template that every test copies (a file copy; PostgreSQL's CREATE DATABASE ... TEMPLATE).
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from db import Database
from subgraphs.common.auth import Caller
from subgraphs.common.events import Event, EventBus, InProcessEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.tasks.app import build
from subgraphs.tasks.service.unit import Unit
from tests.subgraphs.tasks.helpers import migrate
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient, Result
from tests.utils.servers import PostgresServer


class FrozenClock:
    """A clock the test moves by hand, so "overdue" and durations are exact."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


class RecordingEvents(InProcessEventBus):
    """The real in-process bus, also keeping every event it publishes for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[Event] = []

    async def publish_event(self, event: Event) -> None:
        await super().publish_event(event)
        self.published.append(event)

    def types(self) -> list[str]:
        return [event.type for event in self.published]


_databases = itertools.count()


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tasks-template") / "tasks.db"
    await migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
async def postgres_template(postgres: PostgresServer) -> str:
    postgres.create_database("tasks_template")
    await migrate(postgres.url("tasks_template"))
    return "tasks_template"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the tasks subgraph's head revision."""
    if request.param == "sqlite":
        path = tmp_path / "tasks.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    postgres: PostgresServer = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    name = f"tasks_{next(_databases)}"
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres.port),
            "-U",
            "postgres",
            "-q",
            "-c",
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
        ],
        check=True,
        capture_output=True,
    )
    return postgres.url(name)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.from_url(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def sessions(database: Database) -> async_sessionmaker[AsyncSession]:
    return database.sessions


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def recorded() -> RecordingEvents:
    return RecordingEvents()


@pytest.fixture
async def unit_for(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, recorded: RecordingEvents
) -> AsyncIterator[Callable[..., Unit]]:
    """unit_for(user_id, admin=False): a fresh session acting as that user."""
    opened: list[AsyncSession] = []

    def make(user_id: str, admin: bool = False) -> Unit:
        session = sessions()
        opened.append(session)
        roles = frozenset({"USER", "ADMIN"} if admin else {"USER"})
        return Unit(session, Caller(user_id, roles), recorded, clock)

    yield make
    for session in opened:
        await session.close()


@dataclass
class TasksApi:
    """The tasks subgraph served over real HTTP, with tokens for any user."""

    app: Starlette
    client: GraphQLClient
    base_url: str
    settings: Settings
    events: EventBus

    @property
    def db(self) -> Database:
        return self.app.state.runtime.db  # type: ignore[no-any-return]

    tokens: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)

    def token(self, user_id: str, *roles: str) -> str:
        wanted = (user_id, roles or ("USER",))
        if wanted not in self.tokens:
            key = dev_signing_key(self.settings.data_dir)
            self.tokens[wanted] = mint_access_token(self.settings, key, user_id, wanted[1])
        return self.tokens[wanted]

    async def run(
        self, query: str, variables: dict[str, Any] | None = None, *, user: str | None = None
    ) -> Result:
        token = None if user is None else self.token(user)
        return await self.client.execute(query, variables, token=token)

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, user: str | None = None
    ) -> Any:
        result = await self.run(query, variables, user=user)
        assert result.errors == [], result.errors
        return result.data


@contextlib.asynccontextmanager
async def serve_tasks(settings: Settings, events: EventBus) -> AsyncIterator[TasksApi]:
    app = build(settings, events=events)
    async with serve(app) as base_url:
        client = GraphQLClient(base_url)
        try:
            yield TasksApi(app, client, base_url, settings, events)
        finally:
            await client.aclose()


@pytest.fixture
async def api(
    settings: Settings, database_url: str, recorded: RecordingEvents
) -> AsyncIterator[TasksApi]:
    """The subgraph on a fresh migrated database, publishing to the recording bus."""
    async with serve_tasks(settings, recorded) as served:
        yield served
