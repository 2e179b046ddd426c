"""Bookings test fixtures: a migrated bookings database on SQLite and on PostgreSQL, units of
work for any caller, and the subgraph served over real HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from db import Database, migrations
from subgraphs.bookings import MIGRATIONS
from subgraphs.bookings.app import build
from subgraphs.bookings.domain import Money, Period, ProfessionalInput, utcnow
from subgraphs.bookings.models import Booking, Professional, Slot
from subgraphs.bookings.service import bookings, professionals
from subgraphs.bookings.service import slots as slot_service
from subgraphs.bookings.service.unit import Unit
from subgraphs.common.auth import Caller
from subgraphs.common.events import Event, EventBus, InProcessEventBus
from subgraphs.common.keys import dev_signing_key
from subgraphs.common.settings import Settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.common.unit_of_work import unit_of_work
from tests.utils.asgi import serve
from tests.utils.graphql import GraphQLClient, Result

ADMIN = Caller("admin-1", frozenset({"ADMIN", "USER"}))
PRO = Caller("user-pro", frozenset({"USER"}))
OTHER_PRO = Caller("user-other-pro", frozenset({"USER"}))
ALICE = Caller("user-alice", frozenset({"USER"}))
BOB = Caller("user-bob", frozenset({"USER"}))


def client(n: int) -> Caller:
    return Caller(f"client-{n}", frozenset({"USER"}))


class Published(InProcessEventBus):
    """The real in-process bus, also keeping every event it publishes for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []

    async def publish_event(self, event: Event) -> None:
        await super().publish_event(event)
        self.events.append(event)

    def of(self, type: str) -> list[dict[str, Any]]:
        """Payloads of events of `type` (or of every type starting with it, given "x.")."""
        wanted = (lambda t: t.startswith(type)) if type.endswith(".") else (lambda t: t == type)
        return [dict(e.payload) for e in self.events if wanted(e.type)]

    def types(self, prefix: str = "booking.") -> list[str]:
        return [e.type for e in self.events if e.type.startswith(prefix)]


@dataclass
class BookingsDb:
    db: Database
    published: Published

    @property
    def backend(self) -> str:
        return self.db.engine.dialect.name

    def write(
        self, caller: Caller | None, *, now: datetime | None = None
    ) -> contextlib.AbstractAsyncContextManager[Unit]:
        """One unit of work of `caller` (events go to `published`), its clock at `now`."""
        clock = utcnow if now is None else (lambda: now)
        return unit_of_work(self.db, caller, self.published, clock=clock)

    async def professional(
        self,
        caller: Caller = PRO,
        *,
        rate: int = 6000,
        specialization: str = "Psychology",
        name: str | None = None,
        bio: str = "",
    ) -> Professional:
        data = ProfessionalInput(
            display_name=name or f"Dr. {caller.user_id}",
            specialization=specialization,
            hourly_rate=Money(rate, "EUR"),
            time_zone="Europe/Berlin",
            bio=bio,
        )
        async with self.write(caller) as uow:
            return await professionals.register_professional(uow, data)

    async def slots(self, caller: Caller = PRO, *periods: Period) -> list[Slot]:
        async with self.write(caller) as uow:
            return await slot_service.create_slots(uow, list(periods))

    async def slot(self, caller: Caller = PRO, *, days: int = 1, hour: int = 9) -> Slot:
        (made,) = await self.slots(caller, period(days=days, hour=hour))
        return made

    async def book(self, caller: Caller, slot: Slot, notes: str = "") -> Booking:
        async with self.write(caller) as uow:
            return await bookings.book_slot(uow, slot.id, notes)

    async def get(self, model: type[Any], row_id: str) -> Any:
        async with self.db.sessions() as session:
            return await session.get(model, row_id)


def period(*, days: int = 1, hour: int = 9, minutes: int = 50) -> Period:
    """A period `days` from today at `hour`:00 UTC."""
    day = utcnow().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return Period(day, day + timedelta(minutes=minutes))


@pytest.fixture
async def bookings_db(database_url: str) -> AsyncIterator[BookingsDb]:
    """A bookings database migrated to head, on SQLite and on PostgreSQL (`database_url`)."""
    await migrations.upgrade(database_url, MIGRATIONS, "bookings")
    database = Database.from_url(database_url)
    try:
        yield BookingsDb(database, Published())
    finally:
        await database.dispose()


@dataclass
class BookingsApi:
    """The bookings subgraph served over real HTTP, with tokens for any user."""

    app: Starlette
    client: GraphQLClient
    settings: Settings
    events: EventBus

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
async def api(settings: Settings, database_url: str) -> AsyncIterator[BookingsApi]:
    await migrations.upgrade(database_url, MIGRATIONS, "bookings")
    events = InProcessEventBus()
    app = build(settings, events=events)
    async with serve(app) as base_url:
        graphql = GraphQLClient(base_url)
        try:
            yield BookingsApi(app=app, client=graphql, settings=settings, events=events)
        finally:
            await graphql.aclose()
