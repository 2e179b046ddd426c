"""The indexing worker: reads the domain events the index follows from the event bus as the
consumer group `search` (each event to one worker of the group, at least once) and applies
them to the backend. An event is acknowledged only after the index took it: a failure is
retried with a growing pause, so a backend that is briefly down loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from subgraphs.common.events import EventBus
from subgraphs.search import indexer, reindex
from subgraphs.search.backends import SearchBackend
from subgraphs.search.documents import SearchQuery

log = logging.getLogger("mosaic.search.worker")

GROUP = "search"
MAX_PAUSE = 30.0


async def run(events: EventBus, backend: SearchBackend, consumer: str) -> None:
    """Index events until cancelled."""
    stream = events.consume(GROUP, consumer, indexer.EVENT_TYPES)
    async for event in stream:
        found = indexer.changes(event)
        pause = 0.1
        while True:
            try:
                await indexer.apply(backend, found)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "indexing %s %s failed; retrying in %.1f s", event.type, event.id, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)


async def is_empty(backend: SearchBackend) -> bool:
    found = await backend.search(SearchQuery(text="", viewer=None, limit=0, facets=False))
    return found.total == 0


async def bootstrap(
    backend: SearchBackend, url: str, token: Callable[[], str], *, attempts: int = 300
) -> None:
    """`make dev`: fill an index that was empty at start from the owners once the router at
    `url` answers (it starts after the subgraphs), so seed data that reached the owners
    without events is searchable too. Nothing is cleared: what the worker indexes meanwhile
    and what the owners return meet in the version check."""
    for attempt in range(attempts):
        try:
            written = await reindex.reindex(backend, url, token(), replace=False)
        except reindex.ReindexError as error:
            if attempt == 0:
                log.info("search waits for the router to build its index (%s)", error)
            await asyncio.sleep(1.0)
            continue
        log.info("search index built: %s", written)
        return
    log.warning("search could not build its index from %s; run `mosaic search reindex`", url)
