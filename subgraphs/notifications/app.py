"""ASGI entry point: `uvicorn subgraphs.notifications.app:app` (what `mosaic dev` runs)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.common.app import create_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings, get_settings
from subgraphs.notifications import NAME
from subgraphs.notifications.loaders import create_loaders
from subgraphs.notifications.schema import schema


def build(settings: Settings, events: EventBus | None = None) -> Starlette:
    return create_app(
        name=NAME, schema=schema, settings=settings, loaders=create_loaders, events=events
    )


def __getattr__(name: str) -> Starlette:
    # Built on first access, so importing this module (tests, tools) reads no settings.
    if name == "app":
        return build(get_settings())
    raise AttributeError(name)
