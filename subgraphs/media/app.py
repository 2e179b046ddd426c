"""ASGI entry point: `uvicorn subgraphs.media.app:app` (what `mosaic dev` runs)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.common.app import create_app, lazy_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings
from subgraphs.media import NAME
from subgraphs.media.files import file_routes
from subgraphs.media.loaders import create_loaders
from subgraphs.media.schema import schema
from subgraphs.media.storage import storage_from_settings


def build(settings: Settings, *, events: EventBus | None = None) -> Starlette:
    storage = storage_from_settings(settings)
    app = create_app(
        name=NAME,
        schema=schema,
        settings=settings,
        loaders=create_loaders,
        routes=file_routes(storage),
        events=events,
        multipart_uploads=True,
        on_close=[storage.close],
        ready_checks={"storage": storage.ping},
    )
    app.state.media_storage = storage
    return app


__getattr__ = lazy_app(build)
