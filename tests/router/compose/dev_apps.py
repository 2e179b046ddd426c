"""ASGI subgraph apps for the dev-loop test, run by `mosaic dev`'s supervisor as processes.

The users app serves the v2 schema (with `email`) once a file `use_users_v2` exists in its
working directory, so a test can change a running subgraph's SDL without restarting it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from tests.router.compose import sample_subgraphs


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


class _UsersGraphQL:
    def __init__(self) -> None:
        self.v1 = GraphQL(sample_subgraphs.users)
        self.v2 = GraphQL(sample_subgraphs.users_v2)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.v2 if _use_v2() else self.v1
        await app(scope, receive, send)


def _use_v2() -> bool:
    return Path("use_users_v2").exists()


def _app(graphql: Any) -> Starlette:
    return Starlette(routes=[Route("/health", health), Route("/graphql", graphql)])


users_app = _app(_UsersGraphQL())
tasks_app = _app(GraphQL(sample_subgraphs.tasks))
