"""ASGI entry point: `uvicorn subgraphs.<name>.app:app` (what `mosaic dev` runs)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs._template import NAME
from subgraphs._template.loaders import create_loaders
from subgraphs._template.schema import schema
from subgraphs.common.app import create_app, lazy_app
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings


def build(settings: Settings, *, events: EventBus | None = None) -> Starlette:
    return create_app(
        name=NAME, schema=schema, settings=settings, loaders=create_loaders, events=events
    )


__getattr__ = lazy_app(build)
