"""ASGI entry point: `uvicorn subgraphs.tasks.app:app` (what `mosaic dev` runs)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.common.app import create_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings, get_settings
from subgraphs.tasks import NAME
from subgraphs.tasks.loaders import create_loaders
from subgraphs.tasks.schema import schema


def build(settings: Settings, events: EventBus | None = None) -> Starlette:
    return create_app(
        name=NAME, schema=schema, settings=settings, loaders=create_loaders, events=events
    )


def __getattr__(name: str) -> Starlette:
    # Built on first access, so importing this module (tests, tools) reads no settings.
    if name == "app":
        return build(get_settings())
    raise AttributeError(name)
