"""The router's front door, before any GraphQL work: IP allow/deny lists, JWT authentication,
rate limits and persisted documents, in that order (a denied address costs nothing; a bad token
is refused before it is counted against a user; the document is resolved last).

Each part is built only when its settings ask for it, so a router without them pays one
`is None` check per part and request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from router.auth.jwt import (
    Authenticator,
    AuthError,
    Claims,
    JwtConfig,
    KeySource,
    UrlKeySource,
    parse_jwks,
    token_from,
)
from router.persisted.documents import DocumentError, PersistedDocuments
from router.settings import RouterSettings
from router.traffic.iplist import IpFilter
from router.traffic.ratelimit import RateLimiter, parse_limit

log = logging.getLogger("mosaic.router")


class Refused(Exception):
    """The request is answered with this status and GraphQL error, and goes no further."""

    def __init__(
        self, status: int, message: str, code: str, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or []


@dataclass(frozen=True)
class Admitted:
    query: str
    claims: Claims | None
    forwarded: tuple[tuple[str, str], ...]  # headers added for subgraphs


NO_HEADERS: tuple[tuple[str, str], ...] = ()


class Edge:
    def __init__(self, settings: RouterSettings) -> None:
        self.ip_filter = (
            IpFilter(settings.ip_allow, settings.ip_deny)
            if settings.ip_allow or settings.ip_deny
            else None
        )
        self.authenticator: Authenticator | None = None
        source: KeySource | None = None
        if settings.jwt_jwks:
            source = KeySource(parse_jwks(json.loads(settings.jwt_jwks)))
        elif settings.jwt_jwks_url:
            source = UrlKeySource(
                settings.jwt_jwks_url,
                settings.jwt_jwks_cache_seconds,
                settings.jwt_jwks_min_refresh,
            )
        if source is not None:
            config = JwtConfig(
                algorithms=frozenset(settings.jwt_algorithms),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                leeway=settings.jwt_leeway,
            )
            self.authenticator = Authenticator(source, config)
        self.cookie = settings.jwt_cookie
        self.claims_header = settings.jwt_claims_header.lower()
        self.limiter = (
            RateLimiter(
                [parse_limit(limit) for limit in settings.rate_limits],
                settings.redis_url,
                fail_open=settings.rate_limit_on_redis_failure == "open",
            )
            if settings.rate_limits
            else None
        )
        self.limit_by = tuple(settings.rate_limit_by)
        self.documents = PersistedDocuments(
            settings.apq,
            settings.redis_url,
            settings.persisted_documents,
            settings.persisted_documents_safelist,
        )
        # Whether every request needs `admit`; otherwise only those with `extensions` (APQ).
        self.always = (
            self.authenticator is not None or self.limiter is not None or self.documents.safelist
        )

    def check_address(self, client: str) -> None:
        if self.ip_filter is not None and not self.ip_filter.permits(client):
            raise Refused(403, "Your address may not use this API.", "FORBIDDEN")

    async def admit(
        self,
        params: Mapping[str, Any],
        client: str,
        authorization: str,
        cookie: str,
    ) -> Admitted:
        claims: Claims | None = None
        forwarded = NO_HEADERS
        if self.authenticator is not None:
            try:
                token = token_from(authorization, cookie, self.cookie)
                if token is not None:
                    claims = await self.authenticator.verify(token)
            except AuthError as error:
                log.info("refused a token: %s", error.message)
                raise Refused(error.status, error.message, error.code) from None
            if claims is not None:
                extra = []
                if not authorization:  # from the cookie: subgraphs verify the same token
                    extra.append(("authorization", f"Bearer {claims.token}"))
                if self.claims_header:
                    extra.append((self.claims_header, json.dumps(dict(claims.values))))
                forwarded = tuple(extra)
        if self.limiter is not None:
            decision = await self.limiter.hit(self._client_key(params, client, claims))
            if not decision.allowed:
                if decision.unavailable:
                    raise Refused(
                        503, "Rate limits cannot be checked right now.", "SERVICE_UNAVAILABLE"
                    )
                retry = str(decision.retry_after).encode()
                raise Refused(
                    429,
                    f"Rate limit of {decision.limit} exceeded; retry in {decision.retry_after} s.",
                    "RATE_LIMITED",
                    [(b"retry-after", retry)],
                )
        try:
            query = await self.documents.resolve(params.get("query"), params.get("extensions"))
        except DocumentError as error:
            raise Refused(error.status, error.message, error.code) from None
        if not isinstance(query, str) or not query:
            raise Refused(400, "The request has no query string.", "BAD_REQUEST")
        return Admitted(query, claims, forwarded)

    def _client_key(self, params: Mapping[str, Any], client: str, claims: Claims | None) -> str:
        parts = []
        for part in self.limit_by:
            if part == "ip":
                parts.append(f"ip={client}")
            elif part == "user":
                subject = claims.subject if claims is not None else None
                parts.append(f"user={subject}" if subject else f"ip={client}")
            else:
                parts.append(f"op={params.get('operationName') or ''}")
        return "|".join(parts)

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.authenticator is not None:
            source = self.authenticator.source
            out["jwt"] = {"keys": len(source.keys)}
        if self.documents.manifest_path is not None:
            out["persisted_documents"] = {
                "operations": len(self.documents.manifest.operations),
                "safelist": self.documents.safelist,
            }
        return out

    async def close(self) -> None:
        if self.limiter is not None:
            await self.limiter.close()
        await self.documents.close()
