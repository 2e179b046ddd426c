"""ASGI entry point: `uvicorn subgraphs.users.app:app` (what `mosaic dev` runs)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from subgraphs.common.app import Runtime, create_app, lazy_app
from subgraphs.common.keys import load_signing_key
from subgraphs.common.settings import Settings
from subgraphs.users import NAME
from subgraphs.users.loaders import create_loaders
from subgraphs.users.schema import schema


def build(settings: Settings) -> Starlette:
    signing_key = load_signing_key(settings)
    jwks = signing_key.jwks()

    def routes(_: Runtime) -> Sequence[BaseRoute]:
        async def serve_jwks(_: Request) -> Response:
            return JSONResponse(jwks, headers={"cache-control": "public, max-age=300"})

        return [Route("/.well-known/jwks.json", serve_jwks, methods=["GET"])]

    app = create_app(
        name=NAME, schema=schema, settings=settings, loaders=create_loaders, routes=routes
    )
    app.state.signing_key = signing_key
    return app


__getattr__ = lazy_app(build)
