"""The consumer loop every worker runs: one consumer of a group, kept alive across bus errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection

from subgraphs.common.events.bus import EventBus
from subgraphs.common.events.envelope import Event

log = logging.getLogger("mosaic.events.consumer")

RECONSUME_PAUSE = 1.0  # seconds between a bus error and consuming again


async def consume_forever(
    bus: EventBus,
    group: str,
    consumer: str,
    types: Collection[str] | None,
    handle: Callable[[Event], Awaitable[object]],
) -> None:
    """Hand every event of `types` to `handle` until cancelled. An error (Redis restarting,
    or one `handle` let out) reopens the consumer after a pause; the event being handled stays
    unacknowledged, so the reopened consumer gets what it had pending first."""
    while True:
        try:
            async for event in bus.consume(group, consumer, types):
                await handle(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # the client swallowed our cancel
                raise asyncio.CancelledError from None
            log.warning(
                "event bus failed for %s/%s; consuming again in %.0f s",
                group,
                consumer,
                RECONSUME_PAUSE,
                exc_info=True,
            )
            await asyncio.sleep(RECONSUME_PAUSE)
