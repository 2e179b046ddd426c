"""ASGI entry point: `uvicorn subgraphs.search.app:app` (what `mosaic dev` runs).

The process holds one search backend (settings: Elasticsearch when
`MOSAIC_ELASTICSEARCH_URL` is set, else the index in this subgraph's database) and runs the
indexing worker beside the GraphQL endpoint for its lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from subgraphs.common.app import Runtime, create_app
from subgraphs.common.events import EventBus
from subgraphs.common.keys import load_signing_key
from subgraphs.common.settings import Settings, get_settings
from subgraphs.common.tokens import mint_access_token
from subgraphs.search import NAME, reindex, worker
from subgraphs.search.backends import SearchBackend, backend_for_url
from subgraphs.search.backends.sql import SqlBackend
from subgraphs.search.loaders import Loaders
from subgraphs.search.schema import schema


def backend_from_settings(settings: Settings) -> SearchBackend:
    return backend_for_url(
        settings.database_url_for(NAME),
        settings.elasticsearch_url,
        prefix=settings.elasticsearch_index_prefix,
    )


def service_token(settings: Settings) -> str:
    """An ADMIN token for reading every owner's entities (reindex)."""
    key = load_signing_key(settings)
    return mint_access_token(settings, key, reindex.SERVICE_USER, ["ADMIN"], ttl_seconds=3600)


def build(
    settings: Settings,
    events: EventBus | None = None,
    backend: SearchBackend | None = None,
    *,
    index_events: bool = True,
    bootstrap_url: str | None = None,
) -> Starlette:
    """The search subgraph; `index_events=False` serves queries only (no worker);
    `bootstrap_url`: a router to build an empty index from (`worker.bootstrap`)."""
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
            if not isinstance(chosen, SqlBackend):  # SQL tables come from `mosaic db upgrade`
                await chosen.setup()
            consumer = f"{socket.gethostname()}-{os.getpid()}"
            empty = bootstrap_url is not None and await worker.is_empty(chosen)
            tasks = []
            if index_events:
                tasks.append(asyncio.create_task(worker.run(runtime.events, chosen, consumer)))
            if bootstrap_url is not None and empty:
                token = functools.partial(service_token, settings)
                tasks.append(asyncio.create_task(worker.bootstrap(chosen, bootstrap_url, token)))
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await chosen.close()

    app.router.lifespan_context = lifespan
    return app


def __getattr__(name: str) -> Starlette:
    # Built on first access, so importing this module (tests, tools) reads no settings.
    if name == "app":
        settings = get_settings()
        # `mosaic dev` seeds the owners' databases without events: build the index from them.
        router = f"http://{settings.host}:{settings.dev_base_port}/graphql"
        return build(settings, bootstrap_url=router if settings.is_dev else None)
    raise AttributeError(name)
