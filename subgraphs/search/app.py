"""ASGI entry point: `uvicorn subgraphs.search.app:app` (what `mosaic dev` runs).

The process holds one search backend (settings: Elasticsearch when
`MOSAIC_ELASTICSEARCH_URL` is set, else the index in this subgraph's database) and runs the
indexing worker beside the GraphQL endpoint for its lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from subgraphs.common.app import Runtime, create_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings, get_settings
from subgraphs.search import NAME, worker
from subgraphs.search.backends import SearchBackend, backend_for_url
from subgraphs.search.loaders import Loaders
from subgraphs.search.schema import schema


def backend_from_settings(settings: Settings) -> SearchBackend:
    return backend_for_url(
        settings.database_url_for(NAME),
        settings.elasticsearch_url,
        prefix=settings.elasticsearch_index_prefix,
    )


def build(
    settings: Settings,
    events: EventBus | None = None,
    backend: SearchBackend | None = None,
    *,
    index_events: bool = True,
) -> Starlette:
    """The search subgraph; `index_events=False` serves queries only (no worker)."""
    chosen = backend or backend_from_settings(settings)
    app = create_app(
        name=NAME,
        schema=schema,
        settings=settings,
        loaders=lambda _runtime: Loaders(backend=chosen),
        events=events,
    )
    runtime: Runtime = app.state.runtime
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):
            consumer = f"{socket.gethostname()}-{os.getpid()}"
            task = (
                asyncio.create_task(worker.run(runtime.events, chosen, consumer))
                if index_events
                else None
            )
            try:
                yield
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await chosen.close()

    app.router.lifespan_context = lifespan
    return app


def __getattr__(name: str) -> Starlette:
    # Built on first access, so importing this module (tests, tools) reads no settings.
    if name == "app":
        return build(get_settings())
    raise AttributeError(name)
