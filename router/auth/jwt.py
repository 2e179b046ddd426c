"""JWT authentication at the router (Apollo Router's `authentication.router.jwt`).

Keys come from a JWKS: a URL (the users subgraph publishes /.well-known/jwks.json), fetched once,
kept for `cache_seconds`, and fetched again (at most every `min_refresh` seconds) when a token
names a `kid` the cached set lacks, which is how key rotation reaches the router; or a static
JWKS given in the settings (which may hold `oct` keys for HS256).

What is refused (UNAUTHENTICATED): `alg: none` and any algorithm outside the allow-list; a key
whose type does not fit the token's algorithm (an HS256 token can never be checked against an RSA
public key, the classic HS/RS confusion); an unknown `kid`; a bad signature; `exp` in the past or
`nbf` in the future beyond the leeway; a wrong `iss` or `aud` when they are configured.

Verified tokens are remembered (bounded, by token string) until they expire: RS256 verification
is ~50 µs of CPU, a dict lookup is nothing, and a client sends the same token for minutes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from jwt.algorithms import get_default_algorithms

log = logging.getLogger("mosaic.router.auth")

# Which JWK key types can check which algorithms (RFC 7518 section 3.1).
KEY_TYPES = {
    "HS256": "oct", "HS384": "oct", "HS512": "oct",
    "RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
    "PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
    "ES256": "EC", "ES384": "EC", "ES512": "EC",
    "EdDSA": "OKP",
}  # fmt: skip
CACHE_LIMIT = 10_000  # verified tokens remembered


class AuthError(Exception):
    """A token was presented and is not acceptable: the request is refused."""

    code = "UNAUTHENTICATED"
    status = 401

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Claims:
    """The verified claims of a caller's token, as hooks and authorization see them."""

    token: str
    values: Mapping[str, Any]
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def subject(self) -> str | None:
        sub = self.values.get("sub")
        return sub if isinstance(sub, str) else None


@dataclass(frozen=True)
class JwtKey:
    kid: str | None
    kty: str
    alg: str | None  # the JWK's own `alg`, when it names one
    key: Any  # what PyJWT verifies with


def parse_jwks(jwks: Mapping[str, Any]) -> tuple[JwtKey, ...]:
    """The usable signing keys of a JWKS document (others are skipped, with a log line)."""
    algorithms = get_default_algorithms()
    keys: list[JwtKey] = []
    for jwk in jwks.get("keys", []) if isinstance(jwks, Mapping) else ():
        if not isinstance(jwk, Mapping) or jwk.get("use", "sig") != "sig":
            continue
        kty = jwk.get("kty")
        sample = next((alg for alg, kt in KEY_TYPES.items() if kt == kty), None)
        if sample is None or sample not in algorithms:
            log.warning("JWKS key %r skipped: key type %r is not supported", jwk.get("kid"), kty)
            continue
        try:
            key = algorithms[sample].from_jwk(json.dumps(dict(jwk)))
        except (jwt.InvalidKeyError, ValueError, KeyError, TypeError) as error:
            log.warning("JWKS key %r skipped: %s", jwk.get("kid"), error)
            continue
        kid = jwk.get("kid")
        alg = jwk.get("alg")
        keys.append(
            JwtKey(
                kid=kid if isinstance(kid, str) else None,
                kty=str(kty),
                alg=alg if isinstance(alg, str) else None,
                key=key,
            )
        )
    return tuple(keys)


class KeySource:
    """Static keys; the base of the URL source."""

    def __init__(self, keys: Iterable[JwtKey] = ()) -> None:
        self.keys = tuple(keys)
        self.version = 0  # bumped when the key set changes: remembered tokens are forgotten

    async def candidates(self, kid: str | None, alg: str) -> list[JwtKey]:
        return _matching(self.keys, kid, alg)


class UrlKeySource(KeySource):
    """A JWKS URL: fetched on first use, again after `cache_seconds`, and on an unknown kid
    (at most every `min_refresh` seconds, so junk kids cannot make the router hammer it)."""

    def __init__(self, url: str, cache_seconds: float = 300.0, min_refresh: float = 10.0) -> None:
        super().__init__()
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh = min_refresh
        self.fetched_at = float("-inf")
        self.fetches = 0
        self._lock = asyncio.Lock()

    async def candidates(self, kid: str | None, alg: str) -> list[JwtKey]:
        found = _matching(self.keys, kid, alg)
        if not found or time.monotonic() - self.fetched_at >= self.cache_seconds:
            # Throttled inside; a request that arrives while a fetch is under way waits for it
            # (it must not conclude "unknown key" from the set being fetched).
            await self.refresh()
            found = _matching(self.keys, kid, alg)
        return found

    async def refresh(self) -> None:
        async with self._lock:
            started = time.monotonic()
            if started - self.fetched_at < self.min_refresh:
                return  # another request refreshed it while this one waited
            self.fetched_at = started
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                    keys = parse_jwks(response.json())
            except (httpx.HTTPError, ValueError) as error:
                # Keep the keys we had: a JWKS outage must not sign everybody out.
                log.warning("JWKS fetch from %s failed: %s", self.url, error)
                return
            self.fetches += 1
            if {k.kid for k in keys} != {k.kid for k in self.keys}:
                self.version += 1
            self.keys = keys


def _matching(keys: tuple[JwtKey, ...], kid: str | None, alg: str) -> list[JwtKey]:
    kty = KEY_TYPES[alg]
    return [
        k
        for k in keys
        if k.kty == kty and (k.alg is None or k.alg == alg) and (kid is None or k.kid == kid)
    ]


@dataclass(frozen=True)
class JwtConfig:
    algorithms: frozenset[str]
    issuer: str | None = None
    audience: str | None = None
    leeway: float = 60.0
    scope_claim: str = "scope"


class Authenticator:
    """Verifies bearer tokens; `verify` returns the claims or raises AuthError."""

    def __init__(self, source: KeySource, config: JwtConfig) -> None:
        unknown = config.algorithms - KEY_TYPES.keys()
        if unknown:
            raise ValueError(f"unsupported JWT algorithms: {', '.join(sorted(unknown))}")
        self.source = source
        self.config = config
        self._verified: dict[str, tuple[Claims, float, float, int]] = {}

    async def verify(self, token: str) -> Claims:
        hit = self._verified.get(token)
        if hit is not None:
            claims, not_before, expires, version = hit
            now = time.time()
            leeway = self.config.leeway
            if version == self.source.version and now + leeway >= not_before:
                if now - leeway < expires:
                    return claims
                del self._verified[token]
                raise AuthError("The access token has expired.")
        claims = await self._verify(token)
        if len(self._verified) >= CACHE_LIMIT:
            self._verified.clear()  # cheap and rare: a flood of distinct tokens starts afresh
        values = claims.values
        self._verified[token] = (
            claims,
            _number(values.get("nbf"), float("-inf")),
            _number(values.get("exp"), float("inf")),
            self.source.version,
        )
        return claims

    async def _verify(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthError("The access token is malformed.") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.config.algorithms:
            raise AuthError(f"The access token's algorithm {alg!r} is not accepted.")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthError("The access token's key id is malformed.")
        keys = await self.source.candidates(kid, alg)
        if not keys:
            raise AuthError("The access token is signed with an unknown key.")
        config = self.config
        problem = "The access token's signature is invalid."
        for key in keys:
            try:
                values = jwt.decode(
                    token,
                    key.key,
                    algorithms=[alg],
                    issuer=config.issuer,
                    audience=config.audience,
                    leeway=config.leeway,
                    options={"require": ["exp"], "verify_aud": config.audience is not None},
                )
            except jwt.InvalidSignatureError:
                continue  # another key with the same kid (or no kid) may fit
            except jwt.ExpiredSignatureError:
                raise AuthError("The access token has expired.") from None
            except jwt.ImmatureSignatureError:
                raise AuthError("The access token is not valid yet.") from None
            except jwt.InvalidAudienceError:
                raise AuthError("The access token is for another audience.") from None
            except jwt.InvalidIssuerError:
                raise AuthError("The access token is from another issuer.") from None
            except jwt.MissingRequiredClaimError as error:
                raise AuthError(f"The access token has no {error.claim!r} claim.") from None
            except jwt.InvalidTokenError as error:
                problem = f"The access token is invalid: {error}."
                break
            return Claims(token, values, _scopes(values.get(config.scope_claim)))
        raise AuthError(problem)


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def _scopes(value: Any) -> frozenset[str]:
    """OAuth's space-separated `scope` string, or a list of strings."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()


def token_from(authorization: str, cookie_header: str, cookie_name: str) -> str | None:
    """The token of `Authorization: Bearer <token>`, else of the auth cookie (None: anonymous).
    A malformed Authorization header is an error, not anonymity."""
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError("The Authorization header must be 'Bearer <token>'.")
        return token
    if cookie_header and cookie_name:
        for part in cookie_header.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name == cookie_name and value:
                return value.strip('"')
    return None
