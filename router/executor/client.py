"""Pooled keep-alive HTTP clients, one per subgraph, with shared identical in-flight requests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson


class SubgraphFailure(Exception):
    """A subgraph request failed at the transport or protocol level."""

    def __init__(self, message: str, code: str = "SUBREQUEST_HTTP_ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SubgraphClients:
    """POSTs GraphQL requests to subgraph URLs over one keep-alive session per subgraph."""

    def __init__(
        self,
        urls: Mapping[str, str],
        timeout: float = 30.0,
        dedup: bool = True,
        max_connections: int = 100,
    ) -> None:
        self.urls = dict(urls)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.dedup = dedup
        self.max_connections = max_connections
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._inflight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...]], asyncio.Future[Any]
        ] = {}

    def _session(self, service: str) -> aiohttp.ClientSession:
        session = self._sessions.get(service)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, keepalive_timeout=60, ttl_dns_cache=300
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                json_serialize=lambda o: orjson.dumps(o).decode(),
                skip_auto_headers=("User-Agent",),
            )
            self._sessions[service] = session
        return session

    async def post(
        self, service: str, body: bytes, headers: tuple[tuple[str, str], ...] = ()
    ) -> dict[str, Any]:
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
        self, service: str, body: bytes, headers: tuple[tuple[str, str], ...]
    ) -> dict[str, Any]:
        url = self.urls.get(service)
        if url is None:
            raise SubgraphFailure(f"unknown subgraph {service!r}")
        request_headers = {"content-type": "application/json", "accept": "application/json"}
        request_headers.update(headers)
        try:
            async with self._session(service).post(url, data=body, headers=request_headers) as r:
                raw = await r.read()
                status = r.status
        except TimeoutError as error:
            raise SubgraphFailure(
                f"HTTP fetch failed from '{service}': request timed out"
            ) from error
        except aiohttp.ClientError as error:
            raise SubgraphFailure(f"HTTP fetch failed from '{service}': {error}") from error
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
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            await session.close()
