"""Subgraph clients: one pooled keep-alive HTTP/1.1 origin per subgraph (router/executor/http1.py),
JSON answers parsed once, identical in-flight requests shared."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

import orjson

from router.executor.http1 import HttpError, Origin


class SubgraphFailure(Exception):
    """A subgraph request failed at the transport or protocol level."""

    def __init__(self, message: str, code: str = "SUBREQUEST_HTTP_ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SubgraphClients:
    """POSTs GraphQL requests to subgraph URLs over a bounded keep-alive pool per subgraph."""

    def __init__(
        self,
        urls: Mapping[str, str],
        timeout: float = 30.0,
        dedup: bool = True,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.urls = dict(urls)
        self.timeout = timeout
        self.dedup = dedup
        self.max_connections = max_connections
        self.ssl_context = ssl_context  # for https subgraphs; default: the system's CAs
        self._origins: dict[str, Origin] = {}
        self._inflight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...]], asyncio.Future[Any]
        ] = {}

    def _origin(self, service: str) -> Origin:
        url = self.urls.get(service)
        if url is None:
            raise SubgraphFailure(f"unknown subgraph {service!r}")
        try:
            origin = Origin(url, self.timeout, self.max_connections, self.ssl_context)
        except HttpError as error:
            raise SubgraphFailure(f"HTTP fetch failed from '{service}': {error}") from None
        self._origins[service] = origin
        return origin

    async def post(
        self,
        service: str,
        body: bytes,
        headers: tuple[tuple[str, str], ...] = (),
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One subgraph request. Only `idempotent` ones (queries) are shared with identical
        in-flight requests or re-sent after a stale keep-alive connection: a mutation is a write
        that must happen exactly as often as the client asked."""
        if not idempotent:
            return await self._post(service, body, headers, retry=False)
        if not self.dedup:
            return await self._post(service, body, headers)
        key = (service, body, headers)
        future = self._inflight.get(key)
        if future is not None:
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._post(service, body, headers)
        except BaseException as error:
            if not future.done():
                future.set_exception(error)
                future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            future.set_result(result)
            return result
        finally:
            self._inflight.pop(key, None)

    async def _post(
        self,
        service: str,
        body: bytes,
        headers: tuple[tuple[str, str], ...],
        retry: bool = True,
    ) -> dict[str, Any]:
        origin = self._origins.get(service) or self._origin(service)
        try:
            status, raw = await origin.post(origin.encode(body, headers), retry)
        except TimeoutError:
            raise SubgraphFailure(
                f"HTTP fetch failed from '{service}': request timed out"
            ) from None
        except HttpError as error:
            raise SubgraphFailure(f"HTTP fetch failed from '{service}': {error}") from None
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise SubgraphFailure(
                f"HTTP fetch failed from '{service}': {status}: invalid JSON response"
            ) from None
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise SubgraphFailure(
                f"HTTP fetch failed from '{service}': {status}: not a GraphQL response"
            )
        return payload

    async def close(self) -> None:
        origins, self._origins = self._origins, {}
        for origin in origins.values():
            origin.close()
