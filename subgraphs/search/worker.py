"""The indexing worker (`mosaic worker search`; `mosaic dev` starts it): reads the domain
events the index follows as the consumer group `search` (each event to one worker of the
group, at least once) and applies them to the backend. An event is acknowledged only after
the index took it: a failure is retried with a growing pause, so a backend that is briefly down
loses nothing. Replays need no event-id bookkeeping: every change is ordered by version
(`indexer.py`), so applying one twice changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
from collections.abc import Callable

from subgraphs.common.events import Event, EventBus, consume_forever, event_bus_from_settings
from subgraphs.common.settings import Settings
from subgraphs.search import indexer, reindex
from subgraphs.search.backends import SearchBackend, backend_from_settings, prepare
from subgraphs.search.documents import SearchQuery

log = logging.getLogger("mosaic.search.worker")

GROUP = "search"
MAX_PAUSE = 30.0


async def run(settings: Settings) -> None:
    """Index events until cancelled; in dev, also fill an index that is empty at start."""
    backend = backend_from_settings(settings)
    events = event_bus_from_settings(settings)
    try:
        await prepare(backend)
        work = [index(events, backend, f"search-{socket.gethostname()}")]
        if settings.is_dev and await is_empty(backend):
            # `mosaic dev`'s router: seed data that reached its owner without an event.
            router = f"http://{settings.host}:{settings.dev_base_port}/graphql"
            work.append(
                bootstrap(backend, router, functools.partial(reindex.service_token, settings))
            )
        await asyncio.gather(*work)
    finally:
        with contextlib.suppress(Exception):
            await events.close()
        await backend.close()


async def index(events: EventBus, backend: SearchBackend, consumer: str) -> None:
    """Apply the events the index follows until cancelled; a bus error reopens the consumer
    after a pause."""

    async def apply(event: Event) -> None:
        found = indexer.changes(event)
        pause = 0.1
        while True:
            try:
                await indexer.apply(backend, found)
                return
            except Exception:
                log.exception(
                    "indexing %s %s failed; retrying in %.1f s", event.type, event.id, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)

    await consume_forever(events, GROUP, consumer, indexer.EVENT_TYPES, apply)


async def is_empty(backend: SearchBackend) -> bool:
    found = await backend.search(SearchQuery(text="", viewer=None, limit=0, facets=False))
    return found.total == 0


async def bootstrap(
    backend: SearchBackend, url: str, token: Callable[[], str], *, attempts: int = 300
) -> None:
    """Fill the index from the owners once the router at `url` answers (in `mosaic dev` it
    starts after the subgraphs). Nothing is cleared: what the worker indexes meanwhile and
    what the owners return meet in the version check."""
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
