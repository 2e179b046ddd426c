"""The per-request context every resolver receives as `info.context`.

Built once per HTTP request (once per websocket connection): the database, fresh DataLoaders,
the event bus and the caller, verified lazily from `Authorization: Bearer` (or, on websockets,
the `authorization` field of the `connection_init` payload).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from db import Database
from subgraphs.common.auth import Caller, TokenVerifier, bearer_token
from subgraphs.common.errors import Unauthenticated
from subgraphs.common.events import EventBus
from subgraphs.common.settings import Settings

LoadersT = TypeVar("LoadersT")

_UNSET: Any = object()


@dataclass
class Context(Generic[LoadersT]):
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    db: Database
    events: EventBus
    loaders: LoadersT
    verifier: TokenVerifier
    # Set by Strawberry from the graphql-transport-ws `connection_init` payload.
    connection_params: dict[str, Any] | None = None
    _caller: Any = field(default=_UNSET, repr=False)

    def _authorization(self) -> str | None:
        params = self.connection_params or {}
        for name in ("authorization", "Authorization"):
            value = params.get(name)
            if isinstance(value, str):
                return value
        return self.request.headers.get("authorization")

    async def caller(self) -> Caller | None:
        """The verified caller, None when anonymous; UNAUTHENTICATED when a token is bad."""
        if self._caller is _UNSET:
            token = bearer_token(self._authorization())
            self._caller = None if token is None else await self.verifier.verify(token)
        caller: Caller | None = self._caller
        return caller

    async def require_caller(self) -> Caller:
        caller = await self.caller()
        if caller is None:
            raise Unauthenticated("Sign in first: this needs an access token")
        return caller
