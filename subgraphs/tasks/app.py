"""ASGI entry point: `uvicorn subgraphs.tasks.app:app` (what `mosaic dev` runs)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.common.app import create_app, lazy_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings
from subgraphs.tasks import NAME
from subgraphs.tasks.loaders import create_loaders
from subgraphs.tasks.schema import schema


def build(settings: Settings, events: EventBus | None = None) -> Starlette:
    return create_app(
        name=NAME, schema=schema, settings=settings, loaders=create_loaders, events=events
    )


__getattr__ = lazy_app(build)
