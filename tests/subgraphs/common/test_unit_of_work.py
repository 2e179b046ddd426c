"""The unit of work and the outbox: events are written with the change or not at all, are
published after the commit, and what a failed publish left behind goes out with the relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from db import Database
from subgraphs.common.events import Event, InProcessEventBus
from subgraphs.common.outbox import OUTBOX, OutboxRelay, event_tables
from subgraphs.common.unit_of_work import UnitOfWork

metadata = MetaData()
event_tables(metadata)
THINGS = Table("things", metadata, Column("id", String(36), primary_key=True), Column("n", Integer))


@dataclass(frozen=True)
class Someone:
    user_id: str | None


ALICE = Someone("alice")


class Recording(InProcessEventBus):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[Event] = []

    async def publish_event(self, event: Event) -> None:
        await super().publish_event(event)
        self.published.append(event)


class Unreachable(InProcessEventBus):
    """A bus whose every publish fails, as when Redis is down."""

    async def publish_event(self, event: Event) -> None:
        raise ConnectionError("bus unreachable")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def _outbox(db: Database) -> list[tuple[str, bool]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(OUTBOX.c.type, OUTBOX.c.published_at.is_not(None)).order_by(OUTBOX.c.seq)
        )
        return [(row[0], row[1]) for row in rows]


async def test_emitted_events_are_committed_with_the_change_and_published(db: Database) -> None:
    bus = Recording()
    async with db.sessions() as session, UnitOfWork(session, ALICE, bus) as uow:
        await uow.session.execute(insert(THINGS).values(id="t1", n=1))
        first = uow.emit("thing.created", {"id": "t1"}, aggregate_id="t1", version=1)
        uow.emit("thing.counted", {"id": "t1", "n": 1}, aggregate_id="t1", version=2)
    assert [e.type for e in bus.published] == ["thing.created", "thing.counted"]
    published = bus.published[0]
    assert published.id == first.id and published.actor_id == "alice"
    assert (published.aggregate_id, published.aggregate_version) == ("t1", 1)
    assert published.payload == {"id": "t1"}
    assert published.occurred_at.tzinfo is not None
    assert await _outbox(db) == [("thing.created", True), ("thing.counted", True)]


async def test_a_failed_unit_writes_neither_the_change_nor_its_events(db: Database) -> None:
    bus = Recording()
    with pytest.raises(LookupError):
        async with db.sessions() as session, UnitOfWork(session, ALICE, bus) as uow:
            await uow.session.execute(insert(THINGS).values(id="t1", n=1))
            uow.emit("thing.created", {"id": "t1"})
            raise LookupError("a rule refused it")
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(THINGS)) == 0
    assert await _outbox(db) == [] and bus.published == []


async def test_an_unreachable_bus_leaves_events_to_the_relay(db: Database) -> None:
    async with db.sessions() as session, UnitOfWork(session, ALICE, Unreachable()) as uow:
        for n in range(3):
            uow.emit("thing.counted", {"n": n}, aggregate_id="t1", version=n)
    assert await _outbox(db) == [("thing.counted", False)] * 3  # committed all the same

    bus = Recording()
    relay = OutboxRelay(db, bus)
    assert await relay.drain() == 3
    assert [e.payload["n"] for e in bus.published] == [0, 1, 2]  # in commit order
    assert await relay.drain() == 0  # acknowledged rows are never published again
    assert len(bus.published) == 3


async def test_concurrent_units_publish_each_event_once_in_order_per_aggregate(
    db: Database,
) -> None:
    bus = Recording()

    async def bump(aggregate: str, times: int) -> None:
        for n in range(times):
            async with db.sessions() as session, UnitOfWork(session, ALICE, bus) as uow:
                uow.emit("thing.counted", {"n": n}, aggregate_id=aggregate, version=n)

    await asyncio.gather(*(bump(f"a{i}", 5) for i in range(4)))
    await OutboxRelay(db, bus).drain()
    assert len(bus.published) == 20 and len({e.id for e in bus.published}) == 20
    for i in range(4):
        versions = [e.aggregate_version for e in bus.published if e.aggregate_id == f"a{i}"]
        assert versions == [0, 1, 2, 3, 4]


async def test_first_delivery_is_true_once_per_group(db: Database) -> None:
    event = Event.new("thing.created", {"id": "t1"})
    seen = []
    for group in ("search", "search", "notifications"):
        async with db.sessions() as session, UnitOfWork(session, None) as uow:
            seen.append(await uow.first_delivery(event, group))
    assert seen == [True, False, True]
