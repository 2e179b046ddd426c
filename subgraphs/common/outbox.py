"""The transactional outbox: event tables every subgraph database has, and the relay that
publishes what the outbox holds.

Tables (declared once here; each subgraph's `models.py` calls `event_tables(Base.metadata)`
so its Alembic revisions create them):
- `outbox`: events written by `UnitOfWork.emit` in the transaction of the change.
  `seq` orders them; `published_at` is set once the bus has accepted the event.
- `consumed_events`: (group, event id) of every event a consumer has applied, written in the
  consumer's own transaction (`UnitOfWork.first_delivery`), so a redelivery is a no-op.

The relay (`publish_pending`) holds one lock per database while it publishes (`lock_key`:
an advisory lock on PostgreSQL, the write lock on SQLite), reads unpublished rows in `seq`
order, publishes each with its own event id and marks it. Two relays never interleave, so
the bus sees each aggregate's events in the order they were committed: a transaction writes
its outbox rows last, after the row locks of its change, so a later change of the same
aggregate gets a later `seq`. A crash after publishing and before marking publishes again
(at least once; consumers deduplicate by event id); a crash before publishing loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db import Database
from db.base import NAMING_CONVENTION, UTCDateTime
from subgraphs.common.events import Event, EventPublisher
from subgraphs.common.writes import lock_key

log = logging.getLogger("mosaic.outbox")

OUTBOX_TABLE = "outbox"
CONSUMED_TABLE = "consumed_events"


def event_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare the outbox and consumed-events tables on a subgraph's metadata."""
    outbox = Table(
        OUTBOX_TABLE,
        metadata,
        # INTEGER PRIMARY KEY is SQLite's rowid: increasing, as BIGSERIAL is on PostgreSQL.
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("type", String(200), nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("actor_id", String(64)),
        Column("aggregate_id", String(64)),
        Column("aggregate_version", BigInteger),  # a counter, or updated_at in microseconds
        Column("correlation_id", String(200)),
        Column("payload", JSON, nullable=False),
        Column("published_at", UTCDateTime),
        Index("ix_outbox_published_at_seq", "published_at", "seq"),
    )
    consumed = Table(
        CONSUMED_TABLE,
        metadata,
        Column("consumer_group", String(100), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("consumed_at", UTCDateTime, nullable=False),
        PrimaryKeyConstraint("consumer_group", "event_id"),
    )
    return outbox, consumed


# The tables every query here uses (the same definition, on metadata of their own).
OUTBOX, CONSUMED = event_tables(MetaData(naming_convention=NAMING_CONVENTION))


def outbox_row(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "aggregate_id": event.aggregate_id,
        "aggregate_version": event.aggregate_version,
        "correlation_id": event.correlation_id,
        "payload": dict(event.payload),
    }


def event_of(row: Any) -> Event:
    return Event(
        id=row.id,
        type=row.type,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        payload=row.payload,
        aggregate_id=row.aggregate_id,
        aggregate_version=row.aggregate_version,
        correlation_id=row.correlation_id,
    )


_UNPUBLISHED = OUTBOX.c.published_at.is_(None)


async def publish_pending(session: AsyncSession, bus: EventPublisher, *, limit: int = 100) -> int:
    """Publish up to `limit` unpublished outbox rows in order; how many were published.

    Commits (or rolls back) its own transaction on `session`. A publish that fails stops the
    batch: the rows before it are marked, the rest wait for the next pass."""
    try:
        # A cheap look first, so an idle relay never takes the write lock.
        waiting = await session.scalar(select(OUTBOX.c.seq).where(_UNPUBLISHED).limit(1))
        await session.commit()  # ends the read (a rollback would expire the session's rows)
        if waiting is None:
            return 0
        await lock_key(session, "mosaic.outbox", "relay")
        rows = (
            await session.execute(
                select(OUTBOX).where(_UNPUBLISHED).order_by(OUTBOX.c.seq).limit(limit)
            )
        ).all()
        published: list[int] = []
        try:
            for row in rows:
                await bus.publish_event(event_of(row))
                published.append(row.seq)
        finally:
            if published:
                await session.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.seq.in_(published))
                    .values(published_at=datetime.now(UTC))
                )
            await session.commit()
        return len(published)
    except BaseException:
        await session.rollback()
        raise


async def prune_published(session: AsyncSession, older_than: timedelta) -> None:
    """Forget published rows after a while (they stay a little for inspection)."""
    async with session.begin():
        cutoff = datetime.now(UTC) - older_than
        await session.execute(delete(OUTBOX).where(OUTBOX.c.published_at < cutoff))


class OutboxRelay:
    """Drains a subgraph's outbox into the bus: once at start-up (what a crashed process
    left behind), then every `interval` seconds (what a failed publish left behind; writes
    publish their own events right after their commit)."""

    def __init__(
        self,
        db: Database,
        bus: EventPublisher,
        *,
        interval: float = 1.0,
        retention: timedelta = timedelta(days=1),
    ) -> None:
        self.db = db
        self.bus = bus
        self.interval = interval
        self.retention = retention

    async def drain(self) -> int:
        """Publish everything unpublished now; how many were published."""
        total = 0
        async with self.db.sessions() as session:
            while count := await publish_pending(session, self.bus):
                total += count
        return total

    async def run(self) -> None:
        passes = 0
        failures = 0
        while True:
            try:
                await self.drain()
                if passes % 3600 == 0:
                    async with self.db.sessions() as session:
                        await prune_published(session, self.retention)
                if failures:
                    log.info("outbox relay recovered after %d failed passes", failures)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # the bus or database is down: keep the rows, try again
                if failures == 0:  # once per outage, not once per pass
                    log.warning("outbox relay pass failed; retrying", exc_info=True)
                failures += 1
            passes += 1
            # Back off while failing (up to a minute), so an outage does not spin.
            await asyncio.sleep(min(self.interval * 2 ** min(failures, 10), 60.0))
