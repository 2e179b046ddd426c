"""The media worker (`mosaic worker media`, started by `mosaic dev`): makes the variants of
every upload. It consumes `media.uploaded` as the consumer group `media` (Redis Streams in
production, the shared log in dev) with `MOSAIC_MEDIA_WORKER_PROCESSES` consumers, each
handing its job to a process pool of that size (processing.py). An event is acknowledged when
its consumer asks for the next one, after the job ended: a worker that dies mid-job leaves it
pending, and a live consumer claims it after MOSAIC_EVENT_CLAIM_IDLE_SECONDS. Every minute it
also processes uploads left PROCESSING for 10 minutes with no worker on them (their event lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from db import Database
from subgraphs.common.events import Event, EventBus, consume_forever, event_bus_from_settings
from subgraphs.common.settings import Settings
from subgraphs.media import NAME, events
from subgraphs.media.processing import Processor
from subgraphs.media.service import limits
from subgraphs.media.storage import storage_from_settings

log = logging.getLogger("mosaic.media.worker")

GROUP = "media"
SWEEP_EVERY = 60.0  # seconds


async def consume(processor: Processor, bus: EventBus, consumer: str) -> None:
    """Process uploads until cancelled; a bus error reopens the consumer after a pause."""

    async def process(event: Event) -> None:
        media_id = str(event.payload.get("id", ""))
        if media_id:
            await processor.process(media_id)

    await consume_forever(bus, GROUP, consumer, [events.MEDIA_UPLOADED], process)


async def sweep(processor: Processor) -> None:
    """Now and then, the jobs no event will bring any more (processing.py: `sweep`)."""
    while True:
        try:
            await processor.sweep()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("sweeping stale media failed; trying again later", exc_info=True)
        await asyncio.sleep(SWEEP_EVERY)


async def serve(processor: Processor, bus: EventBus, consumers: int, name: str) -> None:
    """`consumers` consumers named `<name>-<i>`, and the sweep, until cancelled."""
    tasks = [asyncio.create_task(consume(processor, bus, f"{name}-{i}")) for i in range(consumers)]
    tasks.append(asyncio.create_task(sweep(processor)))
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=5)


async def run(settings: Settings) -> None:
    """Make variants until cancelled."""
    db = Database.from_url(settings.database_url_for(NAME), echo=settings.database_echo)
    bus = event_bus_from_settings(settings)
    storage = storage_from_settings(settings)
    processes = settings.media_worker_processes
    processor = Processor(db, bus, storage, limits(settings), processes)
    try:
        await serve(processor, bus, processes, f"media-{socket.gethostname()}-{os.getpid()}")
    finally:
        with contextlib.suppress(Exception):
            await bus.close()
        await processor.close()
        await storage.close()
        await db.dispose()
