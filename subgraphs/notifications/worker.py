"""The notifications worker (`mosaic worker notifications`, started by `mosaic dev`).

Consumes domain events as the consumer group `notifications` (Redis Streams in production, the
shared log in dev): `user.*` events keep the recipients' copy current; the rest become stored
notifications (one per recipient, rendered from the template in their locale) with their
deliveries queued, and a `notification.created` event that the subscription publishes live.
All of it happens in one transaction that also records the event id (`first_delivery`), and
the event is acknowledged only when the next one is asked for, after that commit: a crash
redelivers it, and the redelivery changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket

from db import Database
from subgraphs.common.events import Event, EventBus, consume_forever, event_bus_from_settings
from subgraphs.common.settings import Settings
from subgraphs.common.unit_of_work import unit_of_work
from subgraphs.notifications import NAME
from subgraphs.notifications.breakers import RedisBreakers
from subgraphs.notifications.channels import WebhookChannel
from subgraphs.notifications.delivery import (
    Deliverer,
    RetryPolicy,
    breakers_from_settings,
    channels_from_settings,
)
from subgraphs.notifications.events import RULES, USER_EVENTS
from subgraphs.notifications.service import SYSTEM, apply_user_event, notify

log = logging.getLogger("mosaic.notifications.worker")

GROUP = "notifications"
CONSUMED_TYPES = tuple(dict.fromkeys((*USER_EVENTS, *RULES)))


def consumer_name() -> str:
    """One name per process: what a dead worker left pending is claimed by a live one after
    the bus's claim timeout."""
    return f"{socket.gethostname()}-{os.getpid()}"


async def handle(db: Database, bus: EventBus | None, event: Event) -> int:
    """Apply one event in one transaction; how many notifications it stored."""
    async with unit_of_work(db, SYSTEM, bus, correlation_id=event.correlation_id) as uow:
        if not await uow.first_delivery(event, GROUP):
            log.info("event %s (%s) seen before; skipped", event.id, event.type)
            return 0
        if event.type in USER_EVENTS:
            await apply_user_event(uow.session, event)
            await uow.session.flush()  # user.registered below needs the copy it just made
        stored = len(await notify(uow, event)) if event.type in RULES else 0
    log.info(
        "event %s (%s) -> %d notification(s) correlation_id=%s",
        event.id,
        event.type,
        stored,
        event.correlation_id,
    )
    return stored


async def consume(db: Database, bus: EventBus, consumer: str) -> None:
    """Handle events until cancelled. An event whose handling fails stays unacknowledged and
    is retried; a bus error (Redis restarting) reopens the consumer after a pause, which hands
    back what this consumer had pending first."""
    await consume_forever(
        bus, GROUP, consumer, CONSUMED_TYPES, functools.partial(_handle_until_done, db, bus)
    )


async def _handle_until_done(db: Database, bus: EventBus, event: Event) -> None:
    while True:
        try:
            await handle(db, bus, event)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event %s (%s) failed; retrying", event.id, event.type)
            await asyncio.sleep(1.0)


async def run(settings: Settings, *, consumer: str | None = None) -> None:
    """Consume events and send deliveries until cancelled."""
    db = Database.from_url(settings.database_url_for(NAME), echo=settings.database_echo)
    bus = event_bus_from_settings(settings)
    breakers = breakers_from_settings(settings)
    deliverer = Deliverer(
        db, channels_from_settings(settings), RetryPolicy.from_settings(settings), bus, breakers
    )
    tasks = [
        asyncio.create_task(consume(db, bus, consumer or consumer_name())),
        asyncio.create_task(deliverer.run()),
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        # The Redis client may swallow a cancellation that lands in a blocking read; closing
        # the bus below ends that read, and the consumer then sees it was cancelled.
        _, pending = await asyncio.wait(tasks, timeout=5)
        await bus.close()
        if pending:
            await asyncio.wait(pending, timeout=5)
        for channel in deliverer.channels.values():
            if isinstance(channel, WebhookChannel):
                await channel.aclose()
        if isinstance(breakers, RedisBreakers):
            await breakers.close()
        await db.dispose()
