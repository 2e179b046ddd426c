"""Subgraph clients: one pooled keep-alive HTTP/1.1 origin per subgraph (router/executor/http1.py),
JSON answers parsed once, identical in-flight requests shared (router/singleflight.py).

Traffic shaping per subgraph (each with its own timeout, retries, breaker and connection cap:
router/traffic/shaping.py): a circuit breaker (router/traffic/breaker.py) in front of each
origin, and retries of queries only (never of a mutation: a write must happen exactly as often
as the client asked) with exponential backoff and full jitter. Each attempt is signed afresh
when a signing key is set (router/executor/signing.py), so a retry is never a replay.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from router.executor.http1 import HttpError, Origin
from router.executor.signing import Signer
from router.executor.upload import MultipartBody
from router.singleflight import SingleFlight
from router.traffic.breaker import Breaker
from router.traffic.shaping import Traffic

Answer = tuple[dict[str, Any], tuple[tuple[bytes, bytes], ...]]  # (payload, captured headers)
DedupKey = tuple[str, bytes, tuple[tuple[str, str], ...]]


class SubgraphFailure(Exception):
    """A subgraph request failed at the transport or protocol level."""

    def __init__(
        self, message: str, code: str = "SUBREQUEST_HTTP_ERROR", retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        # A timeout is not retried: another full timeout would only make the client wait more.
        self.retryable = retryable


class SubgraphClients:
    """POSTs GraphQL requests to subgraph URLs over a bounded keep-alive pool per subgraph."""

    def __init__(
        self,
        urls: Mapping[str, str],
        timeout: float = 30.0,
        dedup: bool = True,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        retries: int = 0,
        backoff: float = 0.05,
        breaker_failures: int = 0,
        breaker_seconds: float = 60.0,
        response_headers: Iterable[str] = (),
        traffic: Mapping[str, Traffic] | None = None,
    ) -> None:
        """The keyword settings apply to every subgraph `traffic` has no entry for."""
        self.urls = dict(urls)
        self.dedup = dedup
        self.ssl_context = ssl_context  # for https subgraphs; default: the system's CAs
        self.signer = signer
        # retries: extra attempts of an idempotent request after a failure; backoff: seconds
        # before the first retry, doubling each time, jittered.
        default = Traffic(timeout, retries, backoff, breaker_failures, breaker_seconds,
                          max_connections)  # fmt: skip
        self.traffic: dict[str, Traffic] = {
            name: (traffic or {}).get(name, default) for name in self.urls
        }
        # breaker_failures 0: no breaker for that subgraph.
        self.breakers: dict[str, Breaker] = {
            name: Breaker(t.breaker_failures, t.breaker_open_seconds)
            for name, t in self.traffic.items()
            if t.breaker_failures > 0
        }
        # Neither breakers nor retries anywhere: nothing of this on the hot path.
        self.shaped = bool(self.breakers) or any(t.retries for t in self.traffic.values())
        # Response headers kept for the client (router/pipeline/response_headers.py).
        self.capture = frozenset(name.lower().encode("latin-1") for name in response_headers)
        self._origins: dict[str, Origin] = {}
        self._inflight: SingleFlight[DedupKey, Answer] = SingleFlight()

    def _origin(self, service: str) -> Origin:
        url = self.urls.get(service)
        if url is None:
            raise SubgraphFailure(f"unknown subgraph {service!r}")
        traffic = self.traffic[service]
        try:
            origin = Origin(
                url, traffic.timeout, traffic.max_connections, self.ssl_context,
                capture=self.capture,
            )  # fmt: skip
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
        request_id: str = "",
    ) -> dict[str, Any]:
        """One subgraph request: its JSON payload (see `fetch`)."""
        return (await self.fetch(service, body, headers, idempotent, request_id))[0]

    async def fetch(
        self,
        service: str,
        body: bytes,
        headers: tuple[tuple[str, str], ...] = (),
        idempotent: bool = True,
        request_id: str = "",
    ) -> Answer:
        """One subgraph request: its JSON payload and the captured response headers. Only
        `idempotent` ones (queries) are shared with identical in-flight requests or re-sent
        after a stale keep-alive connection: a mutation is a write that must happen exactly as
        often as the client asked. A shared request carries the first caller's x-request-id,
        and the callers that joined it never get its Set-Cookie."""
        if not idempotent:
            return await self._post(service, body, headers, request_id, False)
        if not self.dedup:
            return await self._post(service, body, headers, request_id, True)
        key = (service, body, headers)
        shared = key in self._inflight
        answer = await self._inflight.run(key, self._post, service, body, headers, request_id, True)
        if shared and answer[1]:
            answer = (answer[0], tuple(h for h in answer[1] if h[0] != b"set-cookie"))
        return answer

    async def _post(
        self,
        service: str,
        body: bytes,
        headers: tuple[tuple[str, str], ...],
        request_id: str,
        retry: bool,
    ) -> Answer:
        if not self.shaped:
            return await self._attempt(service, body, headers, request_id, retry)
        traffic = self.traffic.get(service)
        if traffic is None:  # unknown: `_attempt` says so
            return await self._attempt(service, body, headers, request_id, retry)
        attempts = 1 + (traffic.retries if retry else 0)
        breaker = self.breakers.get(service)
        for attempt in range(attempts):
            if breaker is not None and not breaker.allow():
                raise SubgraphFailure(
                    f"HTTP fetch failed from '{service}': circuit open after repeated failures"
                    f" (retry in {breaker.retry_after():.0f} s)",
                    "SUBREQUEST_CIRCUIT_OPEN",
                    retryable=False,
                )
            try:
                result = await self._attempt(service, body, headers, request_id, retry)
            except SubgraphFailure as failure:
                if breaker is not None:
                    breaker.failure()
                if attempt + 1 == attempts or not failure.retryable:
                    raise
            except BaseException:
                if breaker is not None:
                    breaker.abandon()
                raise
            else:
                if breaker is not None:
                    breaker.success()
                return result
            # Full jitter (AWS's "exponential backoff and jitter"): spreads the retries of
            # many requests that failed together.
            await asyncio.sleep(random.uniform(0, traffic.retry_backoff * 2**attempt))
        raise AssertionError("unreachable")

    async def _attempt(
        self,
        service: str,
        body: bytes,
        headers: tuple[tuple[str, str], ...],
        request_id: str,
        retry: bool,
    ) -> Answer:
        origin = self._origins.get(service) or self._origin(service)
        if self.signer is not None:
            headers = (*headers, self.signer.header("POST", origin.target, body))
        try:
            status, raw, captured = await origin.post(
                origin.encode(body, headers, request_id), retry
            )
        except TimeoutError:
            raise SubgraphFailure(
                f"HTTP fetch failed from '{service}': request timed out", retryable=False
            ) from None
        except HttpError as error:
            raise SubgraphFailure(f"HTTP fetch failed from '{service}': {error}") from None
        return _answer(service, status, raw), captured

    async def upload(
        self,
        service: str,
        body: MultipartBody,
        headers: tuple[tuple[str, str], ...] = (),
        idempotent: bool = False,
        request_id: str = "",
    ) -> Answer:
        """A request carrying files (router/executor/upload.py): streamed from the spool, signed
        over the streamed body, never shared with another request; a query is re-sent after a
        stale keep-alive connection (the body is read afresh), a mutation never."""
        origin = self._origins.get(service) or self._origin(service)
        if self.signer is not None:
            headers = (*headers, self.signer.streamed_header("POST", origin.target, body))
        head = origin.stream_head(body.content_type, body.length, headers, request_id)
        try:
            status, raw, captured = await origin.post_stream(head, body, idempotent)
        except TimeoutError:
            raise SubgraphFailure(
                f"HTTP fetch failed from '{service}': request timed out", retryable=False
            ) from None
        except (HttpError, OSError) as error:
            raise SubgraphFailure(f"HTTP fetch failed from '{service}': {error}") from None
        return _answer(service, status, raw), captured

    def details(self) -> dict[str, Any]:
        """Per subgraph: its circuit breaker, connection pool and traffic settings, for /ready."""
        out: dict[str, Any] = {}
        for name in self.urls:
            traffic = self.traffic[name]
            entry: dict[str, Any] = {}
            breaker = self.breakers.get(name)
            if breaker is not None:
                entry["circuit"] = breaker.details()
            origin = self._origins.get(name)
            entry["connections"] = {
                "open": origin.size if origin is not None else 0,
                "idle": len(origin.idle) if origin is not None else 0,
                "limit": traffic.max_connections,
            }
            entry["traffic"] = {
                "timeout": traffic.timeout,
                "retries": traffic.retries,
                "retry_backoff": traffic.retry_backoff,
                "breaker_failures": traffic.breaker_failures,
                "breaker_open_seconds": traffic.breaker_open_seconds,
            }
            out[name] = entry
        return out

    async def close(self) -> None:
        origins, self._origins = self._origins, {}
        for origin in origins.values():
            origin.close()


def _answer(service: str, status: int, raw: bytes) -> dict[str, Any]:
    """A subgraph's response body as a GraphQL response, or the failure it is."""
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
