"""ASGI entry point: `uvicorn subgraphs.bookings.app:app` (what `mosaic dev` runs)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.bookings import NAME
from subgraphs.bookings.loaders import create_loaders
from subgraphs.bookings.schema import schema
from subgraphs.common.app import create_app, lazy_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings


def build(settings: Settings, events: EventBus | None = None) -> Starlette:
    return create_app(
        name=NAME, schema=schema, settings=settings, loaders=create_loaders, events=events
    )


__getattr__ = lazy_app(build)
