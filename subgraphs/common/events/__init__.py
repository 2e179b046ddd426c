"""Domain events: one envelope, one bus interface, three backends.

Writing (every subgraph): never publish by hand. Emit inside the unit of work that makes the
change; the event is written to the subgraph's outbox table in the same transaction and the
relay publishes it after the commit (subgraphs/common/unit_of_work.py):

    async with UnitOfWork(session, caller, events) as uow:
        task = Task(...)
        uow.session.add(task)
        await uow.session.flush()
        uow.emit("task.created", {"task_id": task.id}, aggregate_id=task.id, version=1)

Consuming durable work (search indexing, notification delivery): a consumer group gets every
event at least once, each to one of its consumers; an event is acknowledged when the consumer
asks for the next one, so a consumer that dies mid-event gets it again on restart (same
consumer name), and a live consumer claims what a dead one left pending after
`claim_idle` seconds. Deduplicate by `event.id` in the same transaction as the effect
(`uow.first_delivery(event)`), and use `event.aggregate_version` to skip stale updates:

    async for event in bus.consume("search", "search-1", ["task.created", "task.updated"]):
        async with UnitOfWork(db_session, None, None) as uow:
            if await uow.first_delivery(event):
                await index(uow.session, event)

A worker runs `consume_forever(bus, group, consumer, types, handle)` (consumer.py): the loop
above, reopened after a bus error (Redis restarting).

Live fan-out (GraphQL subscriptions): `async with bus.subscribe(types) as events:` sees every
event published after it entered; nothing is replayed.

Dead letters (work a consumer gave up on: a notification delivery after its last retry) are
a stream per queue on the same bus: `add_dead_letter`, `dead_letters`, `remove_dead_letter`.

Backends (`MOSAIC_EVENT_BACKEND`): `redis` (production: a stream with consumer groups +
pub/sub), `sqlite` (`make dev`: one shared log file that every dev process reads and writes),
`memory` (one process: tests).
"""

from __future__ import annotations

from subgraphs.common.events.bus import (
    DEFAULT_CLAIM_IDLE_SECONDS,
    DeadLetter,
    DeadLetterStream,
    EventBus,
    EventPublisher,
)
from subgraphs.common.events.consumer import consume_forever
from subgraphs.common.events.envelope import Event, matches
from subgraphs.common.events.memory import InProcessEventBus
from subgraphs.common.events.redis_streams import RedisEventBus
from subgraphs.common.events.sqlite_log import SqliteLogEventBus
from subgraphs.common.settings import Settings

__all__ = [
    "DEFAULT_CLAIM_IDLE_SECONDS",
    "DeadLetter",
    "DeadLetterStream",
    "Event",
    "EventBus",
    "EventPublisher",
    "InProcessEventBus",
    "RedisEventBus",
    "SqliteLogEventBus",
    "consume_forever",
    "event_bus_from_settings",
    "matches",
]


def event_bus_from_settings(settings: Settings) -> EventBus:
    """The bus `MOSAIC_EVENT_BACKEND` names (subgraph apps and workers call it once)."""
    if settings.event_backend == "redis":
        if not settings.redis_url:
            raise RuntimeError("MOSAIC_EVENT_BACKEND=redis needs MOSAIC_REDIS_URL")
        return RedisEventBus(
            settings.redis_url,
            maxlen=settings.event_stream_maxlen,
            claim_idle=settings.event_claim_idle_seconds,
        )
    if settings.event_backend == "sqlite":
        return SqliteLogEventBus(
            settings.event_log_path,
            maxlen=settings.event_stream_maxlen,
            claim_idle=settings.event_claim_idle_seconds,
        )
    return InProcessEventBus()
