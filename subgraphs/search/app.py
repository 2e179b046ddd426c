"""ASGI entry point: `uvicorn subgraphs.search.app:app` (what `mosaic dev` runs).

The process answers `search` and `suggest` from one search backend (Elasticsearch when
`MOSAIC_ELASTICSEARCH_URL` is set, else the index in this subgraph's database); the indexing
worker (`worker.py`, `mosaic worker search`) keeps the index current.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from subgraphs.common.app import create_app, lazy_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings
from subgraphs.search import NAME
from subgraphs.search.backends import SearchBackend, backend_from_settings, prepare
from subgraphs.search.loaders import Loaders
from subgraphs.search.schema import schema


def build(
    settings: Settings, events: EventBus | None = None, backend: SearchBackend | None = None
) -> Starlette:
    chosen = backend or backend_from_settings(settings)
    app = create_app(
        name=NAME,
        schema=schema,
        settings=settings,
        loaders=lambda _runtime: Loaders(backend=chosen),
        events=events,
    )
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):
            await prepare(chosen)
            try:
                yield
            finally:
                await chosen.close()

    app.router.lifespan_context = lifespan
    return app


__getattr__ = lazy_app(build)
